"""Cloud accounts (`/cloud`): list, names, get, status, delete."""

from __future__ import annotations

import builtins
from urllib.parse import quote

from cortexkit.pagination import RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, clean, many, none, one
from cortexkit.resources.models import AccountName, AccountStatus, CloudAccount


def seg(value: str) -> str:
    """One path segment, escaped so an id can never change the route."""
    return quote(str(value), safe="")


def list_call(
    *, exclude_group_details: bool | None = None, include_pending: bool | None = None
) -> Call[list[CloudAccount]]:
    params = clean(excludeAccountGroupDetails=exclude_group_details, includePendingAccounts=include_pending)
    return Call(RequestSpec("GET", "/cloud", params=params or None), many(CloudAccount))


def names_call(cloud_type: str | None = None) -> Call[list[AccountName]]:
    return Call(
        RequestSpec("GET", "/cloud/name", params=clean(cloudType=cloud_type) or None), many(AccountName)
    )


def get_call(cloud_type: str, account_id: str) -> Call[CloudAccount]:
    return Call(RequestSpec("GET", f"/cloud/{seg(cloud_type)}/{seg(account_id)}"), one(CloudAccount))


def status_call(account_id: str) -> Call[list[AccountStatus]]:
    """The account's components (ingestion, permissions ...), each with its `subComponents`."""
    return Call(RequestSpec("GET", f"/account/{seg(account_id)}/config/status"), many(AccountStatus))


def delete_call(cloud_type: str, account_id: str) -> Call[None]:
    return Call(RequestSpec("DELETE", f"/cloud/{seg(cloud_type)}/{seg(account_id)}"), none)


class CloudAccounts(SyncResource):
    def list(
        self, *, exclude_group_details: bool | None = None, include_pending: bool | None = None
    ) -> builtins.list[CloudAccount]:
        return self._run(
            list_call(exclude_group_details=exclude_group_details, include_pending=include_pending)
        )

    def names(self, cloud_type: str | None = None) -> builtins.list[AccountName]:
        return self._run(names_call(cloud_type))

    def get(self, cloud_type: str, account_id: str) -> CloudAccount:
        return self._run(get_call(cloud_type, account_id))

    def status(self, account_id: str) -> builtins.list[AccountStatus]:
        return self._run(status_call(account_id))

    def delete(self, cloud_type: str, account_id: str) -> None:
        self._run(delete_call(cloud_type, account_id))


class AsyncCloudAccounts(AsyncResource):
    async def list(
        self, *, exclude_group_details: bool | None = None, include_pending: bool | None = None
    ) -> builtins.list[CloudAccount]:
        return await self._run(
            list_call(exclude_group_details=exclude_group_details, include_pending=include_pending)
        )

    async def names(self, cloud_type: str | None = None) -> builtins.list[AccountName]:
        return await self._run(names_call(cloud_type))

    async def get(self, cloud_type: str, account_id: str) -> CloudAccount:
        return await self._run(get_call(cloud_type, account_id))

    async def status(self, account_id: str) -> builtins.list[AccountStatus]:
        return await self._run(status_call(account_id))

    async def delete(self, cloud_type: str, account_id: str) -> None:
        await self._run(delete_call(cloud_type, account_id))
