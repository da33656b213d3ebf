"""cortexkit: a toolkit for the Prisma Cloud / Cortex Cloud CSPM API.

Public names are imported lazily so that `cortexkit --version` does not pay for httpx and pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AsyncCortexClient",
    "Client",
    "CortexClient",
    "CortexkitError",
    "RedactingFilter",
    "Secret",
    "__version__",
    "errors",
    "load_credentials",
]

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit import errors
    from cortexkit._redact import RedactingFilter, Secret
    from cortexkit.client import AsyncClient, Client
    from cortexkit.cortex.client import AsyncCortexClient, CortexClient
    from cortexkit.credentials import load_credentials
    from cortexkit.errors import CortexkitError

_LAZY = {
    "Client": ("cortexkit.client", "Client"),
    "AsyncClient": ("cortexkit.client", "AsyncClient"),
    "CortexClient": ("cortexkit.cortex.client", "CortexClient"),
    "AsyncCortexClient": ("cortexkit.cortex.client", "AsyncCortexClient"),
    "load_credentials": ("cortexkit.credentials", "load_credentials"),
    "CortexkitError": ("cortexkit.errors", "CortexkitError"),
    "Secret": ("cortexkit._redact", "Secret"),
    "RedactingFilter": ("cortexkit._redact", "RedactingFilter"),
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "errors":
        return importlib.import_module("cortexkit.errors")
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'cortexkit' has no attribute {name!r}")
