"""Account groups: the `/cloud/group` family (AccountGroups.json)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from cortexkit.emulator import errors
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import AccountGroup, CloudAccount
from cortexkit.emulator.routeutil import clip, empty_ok, flag, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Account Groups"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]


def group_view(
    state: TenantState,
    group: AccountGroup,
    with_accounts: bool = True,
    members: list[CloudAccount] | None = None,
) -> dict[str, Any]:
    """A group as the API shows it; `members` (from `state.members_by_group()`, built once for a listing)
    saves a pass over every account."""
    if members is None:
        wanted = set(group.account_ids)
        members = [a for a in state.accounts if a.account_id in wanted]
    view: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "accountIds": [a.account_id for a in members],
        "cloudAccountCount": len(members),
        "autoCreated": group.auto_created,
        "lastModifiedBy": group.last_modified_by,
        "lastModifiedTs": group.last_modified_ts,
        "alertRules": [],
    }
    if with_accounts:
        view["cloudAccountInfos"] = [
            {"accountId": a.account_id, "cloudType": a.cloud_type, "lastModifiedBy": a.last_modified_by}
            for a in members
        ]
        view["accounts"] = [{"id": a.account_id, "name": a.name, "type": a.cloud_type} for a in members]
    return view


def _find(state: TenantState, group_id: str) -> AccountGroup:
    group = state.group_by_id(group_id)
    if group is None:
        raise errors.RedlockError(400, "invalid_id", subject=clip(group_id))
    return group


def _validated(
    state: TenantState, body: dict[str, Any], current: AccountGroup | None
) -> tuple[str, list[str]]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise errors.RedlockError(400, "invalid_account_group_name")
    if any(g.name == name and g is not current for g in state.groups):
        raise errors.RedlockError(400, "account_group_name_already_exists", subject=clip(name))
    ids = body.get("accountIds", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise errors.RedlockError(400, "invalid_account_ids")
    known = {a.account_id for a in state.accounts}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise errors.RedlockError(400, "invalid_account_ids", subject=clip(",".join(unknown)))
    return name, list(dict.fromkeys(ids))


@router.get("/cloud/group")
async def list_groups(
    _: Auth,
    emu: Emu,
    exclude_details: Annotated[str | None, Query(alias="excludeCloudAccountDetails")] = None,
) -> list[dict[str, Any]]:
    state = state_of(emu)
    with state.lock:
        members = state.members_by_group()
        return [group_view(state, g, not flag(exclude_details), members[g.id]) for g in state.groups]


@router.post("/cloud/group")
async def add_group(request: Request, principal: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        name, ids = _validated(state, body, None)
        group = AccountGroup(
            id=str(uuid.uuid4()),
            name=name,
            description=str(body.get("description") or ""),
            account_ids=ids,
            last_modified_ts=state.now_ms(),
            last_modified_by=principal.access_key_id,
        )
        state.groups.append(group)
        view = group_view(state, group)
    state.record(principal.access_key_id, "CREATE", f"Account group '{name}' created", "Account Group", name)
    return view


@router.get("/cloud/group/name")
async def group_names(
    _: Auth,
    emu: Emu,
    include_auto: Annotated[str | None, Query(alias="include_auto_created")] = None,
) -> list[dict[str, Any]]:
    state = state_of(emu)
    with state.lock:
        return [
            {"id": g.id, "name": g.name, "autoCreated": g.auto_created}
            for g in state.groups
            if flag(include_auto, default=True) or not g.auto_created
        ]


@router.get("/cloud/group/name/{cloud_type}")
def group_names_by_cloud(cloud_type: str, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    state = state_of(emu)
    with state.lock:
        clouds = {a.account_id: a.cloud_type for a in state.accounts}
        return [
            {"id": g.id, "name": g.name, "autoCreated": g.auto_created}
            for g in state.groups
            if any(clouds.get(i) == cloud_type.lower() for i in g.account_ids)
        ]


@router.get("/cloud/group/{group_id}")
async def get_group(group_id: str, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    with state.lock:
        return group_view(state, _find(state, group_id))


@router.put("/cloud/group/{group_id}")
async def update_group(group_id: str, request: Request, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        group = _find(state, group_id)
        name, ids = _validated(state, body, group)
        group.name = name
        group.description = str(body.get("description") or group.description)
        group.account_ids = ids
        group.last_modified_ts = state.now_ms()
        group.last_modified_by = principal.access_key_id
        index = state.groups_by_account()
        for account in state.accounts:
            account.group_ids = [g.id for g in index.get(account.account_id, ())]
    state.record(principal.access_key_id, "UPDATE", f"Account group '{name}' updated", "Account Group", name)
    return empty_ok()


@router.delete("/cloud/group/{group_id}")
def delete_group(group_id: str, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    with state.lock:
        group = _find(state, group_id)
        if group.account_ids:
            raise errors.RedlockError(409, "cannot_delete_an_account_group_associated_with_cloud_accounts")
        state.groups.remove(group)
    state.record(
        principal.access_key_id,
        "DELETE",
        f"Account group '{group.name}' deleted",
        "Account Group",
        group.name,
    )
    return empty_ok()
