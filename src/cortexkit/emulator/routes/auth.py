"""`POST /login` and `GET /auth_token/extend` (Login.json: `app-login`, `extend-session`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from .. import errors
from ..core import Emulator, authenticated, enforce_rate_limit, get_emulator
from ..tokens import Principal

router = APIRouter(tags=["Login"])

# Permissions reported by an extend; the real list depends on the user's role and is not documented.
ROLES: tuple[str, ...] = ("System Admin",)


class LoginModel(BaseModel):
    """The spec's `LoginModel`: username and password required, tenant selectors optional."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)

    username: str
    password: str
    customerName: str | None = None
    prismaId: str | None = None


class LoginResponse(JSONResponse):
    """Login.json gives `/login` the content type `application/json; charset=UTF-8` (extend: plain)."""

    media_type = "application/json; charset=UTF-8"


@router.post("/login", response_class=LoginResponse)
async def login(
    body: LoginModel, request: Request, emu: Annotated[Emulator, Depends(get_emulator)]
) -> dict[str, Any]:
    # Limited per username sent, before the credentials are checked (a guessing client is throttled too).
    enforce_rate_limit(request, emu, f"login:{body.username}", "/login")
    tenant_ok = _names_our_tenant(emu, body.customerName, body.prismaId)
    if not tenant_ok or not emu.check_credentials(body.username, body.password):
        emu.stats.failed_logins += 1
        raise errors.RedlockError(401, "invalid_credentials")
    token, _ = emu.tokens.issue(body.username)
    emu.stats.logins += 1
    return {
        "token": token,
        "message": "login_successful",
        "customerNames": emu.customer_names(),
        "roles": [],
    }


@router.get("/auth_token/extend")
async def extend(
    principal: Annotated[Principal, Depends(authenticated)],
    emu: Annotated[Emulator, Depends(get_emulator)],
) -> dict[str, Any]:
    """A fresh token for the same user; the presented token stays valid until its own `exp`."""
    token, _ = emu.tokens.issue(principal.access_key_id)
    emu.stats.extends += 1
    return {
        "token": token,
        "message": "login_successful",
        "customerNames": emu.customer_names(),
        "roles": list(ROLES),
    }


def _names_our_tenant(emu: Emulator, customer_name: str | None, prisma_id: str | None) -> bool:
    """Tenant selectors, when sent, must name this tenant (and agree with each other)."""
    if customer_name is not None and customer_name != emu.config.customer_name:
        return False
    return prisma_id is None or prisma_id == emu.config.prisma_id
