"""Identity provisioners: how a job gets the app registration, service principal and secret it onboards.

Each module exposes `provision(ctx) -> dict` returning at least `client_id` and `service_principal_id`
(never the secret: a provisioner that obtains one stores it encrypted under the name "key").
"""

from __future__ import annotations

import importlib
from typing import Any

from cortexkit.onboarding.context import StepContext

_MODULES = {"existing": "existing", "azure-api": "azure_api", "terraform": "terraform"}


def provision(ctx: StepContext) -> dict[str, Any]:
    module = importlib.import_module(f"{__name__}.{_MODULES[ctx.spec.provisioner]}")
    result: dict[str, Any] = module.provision(ctx)
    return {"provisioner": ctx.spec.provisioner, **result}
