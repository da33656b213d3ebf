"""Errors from the Cortex dialect -> sentences that name Cortex's own fixes (and `cortexkit auth status`).

Cortex answers one `401 Public API request unauthorized` to a wrong key, a wrong key ID, a key of the
other type and a skewed clock, so the sentence lists them and points at the command that tells them apart.
Recognised without importing the dialect: its errors carry the body `shape` the parser found, and its
paths start with /public_api/ or /api_keys/.
"""

from __future__ import annotations

AUTH = 4
FAILURE = 1
CORTEX_PATHS = ("/public_api/", "/api_keys/")


def is_cortex(exc: BaseException) -> bool:
    path = getattr(exc, "path", None) or ""
    return hasattr(exc, "shape") or str(path).startswith(CORTEX_PATHS)


def describe_cortex(exc: BaseException) -> tuple[str, int] | None:
    """The sentence and exit code for a Cortex API error, or None to let the generic rules answer."""
    if not is_cortex(exc):
        return None
    status = getattr(exc, "status", None)
    method, path = getattr(exc, "method", None), getattr(exc, "path", None)
    where = f"{method} {path}" if method and path else "the request"
    if status == 401:
        return (
            f"the Cortex API key was refused on {where}: a wrong key or key ID, a key of the other type "
            "(CORTEXCLOUD_API_KEY_TYPE advanced|standard) or a local clock off by minutes; "
            "run `cortexkit auth status` to find out which and how to fix it.",
            AUTH,
        )
    if status == 402:
        return (
            f"the tenant's licence does not include {where} (402): ask your administrator or PANW to license "
            "Cortex Cloud Posture Management.",
            AUTH,
        )
    if status == 403:
        return (
            f"permission denied on {where} (403): the role of this API key does not allow it; give the key a "
            "role that does in Settings > Configurations > API Keys.",
            AUTH,
        )
    if status == 404 and str(path or "").startswith("/api_keys/"):
        return (
            "the URL is not the Cortex API (404 on /api_keys/validate): use the API URL from the console's "
            "API Keys page (https://api-<tenant fqdn>).",
            AUTH,
        )
    return None
