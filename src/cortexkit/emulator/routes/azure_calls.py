"""What every emulated ARM/Graph route of issue 17 checks first: the bearer token and the api-version.

The token is one the emulator's Entra endpoint issued (`routes/azure_identity.py`) for the right audience;
its tenant is the caller's tenant, whose hierarchy the directory routes show. Errors use ARM's shape
`{"error": {"code", "message"}}`.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from ..core import Emulator
from .azure_identity import ARM_AUDIENCE, identity_state


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def caller_tenant(request: Request, emu: Emulator, audience: str = ARM_AUDIENCE) -> str | JSONResponse:
    """The tenant id of the caller's valid token for `audience`, or the 401 to answer."""
    header = request.headers.get("authorization", "")
    value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    state = identity_state(emu)
    with state.lock:
        found = state.tokens.get(value)
    if found is None or found.expires < emu.clock.now():
        return arm_error(401, "InvalidAuthenticationToken", "Access token is empty, expired or invalid.")
    if found.audience != audience:
        return arm_error(401, "InvalidAuthenticationToken", f"Access token audience is not {audience}.")
    return found.tenant


def checked_tenant(request: Request, emu: Emulator, audience: str = ARM_AUDIENCE) -> str | JSONResponse:
    """`caller_tenant`, then (for ARM) the api-version every ARM call needs."""
    tenant = caller_tenant(request, emu, audience)
    if isinstance(tenant, JSONResponse):
        return tenant
    if audience == ARM_AUDIENCE and not request.query_params.get("api-version"):
        return arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    return tenant
