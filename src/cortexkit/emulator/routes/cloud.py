"""Cloud accounts: `GET /cloud`, `GET /cloud/name`, `GET|DELETE /cloud/{cloud_type}/{id}` and
`PATCH /cloud/{id}/status/{enabled}`.

The read handlers are `async`: they only walk a few in-memory lists, and skipping the thread-pool hop
matters for `GET /cloud`, the route the benchmarks hammer.

`{cloud_type}` uses a path convertor that refuses `group`, so `/cloud/group/{id}` (account groups) never
lands here: Starlette matches routes by path before it looks at parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from starlette.convertors import Convertor, register_url_convertor

from cortexkit.emulator import accountviews, errors
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import CloudAccount
from cortexkit.emulator.routeutil import clip, empty_ok, flag, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

# The clouds a tenant can onboard: valid `{cloud_type}` path values, and what `GET /cloud/type` lists.
CLOUD_TYPES = ("aws", "azure", "gcp", "alibaba_cloud", "oci")


class CloudTypeConvertor(Convertor[str]):
    """A path segment that is not `group` (which belongs to the account-group routes)."""

    regex = r"(?!group(?:/|$))[A-Za-z_]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("cloudtype", CloudTypeConvertor())

router = APIRouter(tags=["Cloud Accounts"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]


def account_status(state: TenantState, account: CloudAccount) -> str:
    elapsed = (state.now_ms() - (account.onboarded_at_ms or 0)) / 1000
    return accountviews.overall_status(account, elapsed, state.config.status_delay)


@router.get("/cloud/type")
def cloud_types(
    _: Auth,
    emu: Emu,
    only_accessible: Annotated[str | None, Query(alias="onlyAccessible")] = None,
    include_others: Annotated[str | None, Query(alias="includeOthers")] = None,
) -> list[str]:
    """Every cloud type; `onlyAccessible=true` keeps the ones the tenant has accounts in."""
    if flag(only_accessible, default=False):
        state = state_of(emu)
        with state.lock:
            present = {a.cloud_type for a in state.accounts}
        return [c for c in CLOUD_TYPES if c in present]
    return list(CLOUD_TYPES)


@router.get("/cloud")
async def list_accounts(
    _: Auth,
    emu: Emu,
    exclude_groups: Annotated[str | None, Query(alias="excludeAccountGroupDetails")] = None,
    include_pending: Annotated[str | None, Query(alias="includePendingAccounts")] = None,
) -> list[dict[str, Any]]:
    state = state_of(emu)
    with state.lock:
        groups = state.groups_by_account()
        out = []
        for account in state.accounts:
            status = account_status(state, account)
            if status == "pending" and not flag(include_pending, default=True):
                continue
            account_groups = groups.get(account.account_id, [])
            out.append(accountviews.list_view(account, account_groups, status, not flag(exclude_groups)))
        return out


@router.get("/cloud/name")
async def account_names(
    _: Auth,
    emu: Emu,
    only_active: Annotated[str | None, Query(alias="onlyActive")] = None,
    group_ids: Annotated[list[str] | None, Query(alias="accountGroupIds")] = None,
    cloud_type: Annotated[str | None, Query(alias="cloudType")] = None,
) -> list[dict[str, Any]]:
    state = state_of(emu)
    wanted_groups = {g for value in group_ids or [] for g in value.split(",") if g}
    with state.lock:
        groups = state.groups_by_account()
        return [
            {"id": a.account_id, "name": a.name, "cloudType": a.cloud_type}
            for a in state.accounts
            if (not flag(only_active) or a.enabled)
            and (cloud_type is None or a.cloud_type == cloud_type.lower())
            and (not wanted_groups or wanted_groups & {g.id for g in groups.get(a.account_id, ())})
        ]


def _lookup(state: TenantState, cloud_type: str, account_id: str) -> CloudAccount:
    if cloud_type not in CLOUD_TYPES:
        raise errors.RedlockError(400, "invalid_cloud_type", subject=clip(cloud_type))
    account = state.find_account(cloud_type, account_id)
    if account is None:
        raise errors.RedlockError(404, "invalid_account_id_format", subject=clip(account_id))
    return account


@router.get("/cloud/{cloud_type:cloudtype}/{account_id}")
async def get_account(cloud_type: str, account_id: str, _: Auth, emu: Emu) -> dict[str, Any]:
    """One account's details, pending ones included unless `pending_by_id` is off (undocumented: then a
    pending account answers the unknown id's 404, and only the listing with pending accounts shows it)."""
    state = state_of(emu)
    with state.lock:
        account = _lookup(state, cloud_type, account_id)
        if not state.config.pending_by_id and account_status(state, account) == "pending":
            raise errors.RedlockError(404, "invalid_account_id_format", subject=clip(account_id))
        return accountviews.detail_view(account, state.groups_of(account))


@router.delete("/cloud/{cloud_type:cloudtype}/{account_id}")
def delete_account(cloud_type: str, account_id: str, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    with state.lock:
        account = _lookup(state, cloud_type, account_id)
        state.remove_account(account)
    state.record(
        principal.access_key_id,
        "DELETE",
        f"Cloud account '{account.name}' deleted",
        "Cloud Account",
        account.name,
    )
    return empty_ok()


@router.patch("/cloud/{account_id}/status/{enabled}")
def set_account_enabled(account_id: str, enabled: str, principal: Auth, emu: Emu) -> Response:
    """Turn ingestion on or off; asking for the state the account is already in is a 405, as documented."""
    if enabled.lower() not in ("true", "false"):
        raise errors.RedlockError(400, "invalid_account_patch", subject=clip(enabled))
    wanted = enabled.lower() == "true"
    state = state_of(emu)
    with state.lock:
        account = state.find_account(None, account_id)
        if account is None:
            raise errors.RedlockError(404, "invalid_account_id_format", subject=clip(account_id))
        if account.enabled == wanted:
            key = "cloud_account_already_enabled" if wanted else "cloud_account_already_disabled"
            raise errors.RedlockError(405, key)
        account.enabled = wanted
        account.last_modified_ts = state.now_ms()
        account.last_modified_by = principal.access_key_id
    verb = "enabled" if wanted else "disabled"
    state.record(
        principal.access_key_id,
        "UPDATE",
        f"Cloud account '{account.name}' {verb}",
        "Cloud Account",
        account.name,
    )
    return empty_ok()
