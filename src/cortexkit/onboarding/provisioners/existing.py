"""The user already has an app registration and service principal; check that the job has all of it."""

from __future__ import annotations

from typing import Any

from cortexkit.onboarding.context import StepContext, StepFailedError


def provision(ctx: StepContext) -> dict[str, Any]:
    spec = ctx.spec
    if not spec.client_id or not spec.service_principal_id:
        raise StepFailedError("the 'existing' provisioner needs --client-id and --service-principal-id")
    if ctx.io.get_secret(ctx.job_id, "client_secret") is None:
        raise StepFailedError("the 'existing' provisioner needs the client secret (AZURE_CLIENT_SECRET)")
    return {"client_id": spec.client_id, "service_principal_id": spec.service_principal_id}
