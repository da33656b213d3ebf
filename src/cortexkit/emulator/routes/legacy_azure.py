"""Deprecated v1 Azure onboarding: `POST /cloud/azure`, `PUT /cloud/azure/{id}`, `POST /cloud/status/azure`.

Same rules as v2 (`azureonboarding`), legacy error style (`x-redlock-status`). The body may be the
nested 2023 spec form or the flat form seed document 004 shows; both are accepted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from cortexkit.emulator import azureonboarding, errors
from cortexkit.emulator.azureonboarding import OnboardingProblem
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.routeutil import clip, empty_ok, json_object, state_of
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Cloud Accounts (deprecated v1)"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]


def _legacy(problem: OnboardingProblem) -> errors.RedlockError:
    return errors.RedlockError(problem.status, problem.i18n_key, subject=clip(problem.message))


@router.post("/cloud/azure")
async def add_azure_v1(request: Request, principal: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = azureonboarding.from_v1(await json_object(request))
    with state.lock:
        try:
            azureonboarding.require_v1_fields(body)
            fields = azureonboarding.validate(state, body, v1=True)
        except OnboardingProblem as problem:
            raise _legacy(problem) from None
        account = azureonboarding.add(state, fields, principal.access_key_id)
    state.record(
        principal.access_key_id,
        "CREATE",
        f"Azure account '{account.name}' onboarded (v1)",
        "Cloud Account",
        account.name,
    )
    return {
        "accountId": account.account_id,
        "cloudType": "azure",
        "enabled": account.enabled,
        "name": account.name,
        "status": "onboarded",
    }


@router.put("/cloud/azure/{account_id}")
async def update_azure_v1(account_id: str, request: Request, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    body = azureonboarding.from_v1(await json_object(request))
    with state.lock:
        account = state.find_account("azure", account_id)
        if account is None:
            raise errors.RedlockError(404, "invalid_account_id_format", subject=clip(account_id))
        try:
            fields = azureonboarding.validate(state, body, account)
        except OnboardingProblem as problem:
            raise _legacy(problem) from None
        azureonboarding.update(state, account, fields, principal.access_key_id)
    return empty_ok()


@router.post("/cloud/status/azure")
async def status_v1(request: Request, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    state = state_of(emu)
    body = azureonboarding.from_v1(await json_object(request))
    with state.lock:
        account = body["cloudAccount"]
        existing = state.find_account("azure", str(account.get("accountId") or body.get("tenantId")))
        try:
            fields = azureonboarding.validate(state, body, existing)
        except OnboardingProblem as problem:
            raise _legacy(problem) from None
    return azureonboarding.precheck(fields)
