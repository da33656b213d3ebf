"""Account groups (`/cloud/group`)."""

from __future__ import annotations

import builtins

from cortexkit.pagination import RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, many, one
from cortexkit.resources.cloud_accounts import seg
from cortexkit.resources.models import AccountGroup


def list_call() -> Call[list[AccountGroup]]:
    return Call(RequestSpec("GET", "/cloud/group"), many(AccountGroup))


def names_call(max_retries: int | None = None) -> Call[list[AccountGroup]]:
    """The cheapest read of the API (names only); `max_retries=0` makes it a one-shot probe."""
    return Call(RequestSpec("GET", "/cloud/group/name", max_retries=max_retries), many(AccountGroup))


def get_call(group_id: str) -> Call[AccountGroup]:
    return Call(RequestSpec("GET", f"/cloud/group/{seg(group_id)}"), one(AccountGroup))


class AccountGroups(SyncResource):
    def list(self) -> builtins.list[AccountGroup]:
        return self._run(list_call())

    def names(self, *, max_retries: int | None = None) -> builtins.list[AccountGroup]:
        return self._run(names_call(max_retries))

    def get(self, group_id: str) -> AccountGroup:
        return self._run(get_call(group_id))


class AsyncAccountGroups(AsyncResource):
    async def list(self) -> builtins.list[AccountGroup]:
        return await self._run(list_call())

    async def names(self) -> builtins.list[AccountGroup]:
        return await self._run(names_call())

    async def get(self, group_id: str) -> AccountGroup:
        return await self._run(get_call(group_id))
