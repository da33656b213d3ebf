"""The session itself as an API area: who the keys reach (`/login`) and the tenant of a live session
(`/auth_token/extend`). The client core logs in and extends on its own; these are for pages and commands
that want to show the answer. The token in either answer is dropped before parsing, so it can never reach
a repr, a log or a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cortexkit.pagination import RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, one
from cortexkit.resources.models import SessionInfo

_parse = one(SessionInfo)


def _without_token(body: Any) -> SessionInfo:
    if isinstance(body, Mapping):
        body = {k: v for k, v in body.items() if k != "token"}
    return _parse(body)


def login_call(access_key_id: str, secret_key: str) -> Call[SessionInfo]:
    """A fresh login with these keys (a credentials check), sent without the current session token."""
    body = {"username": access_key_id, "password": secret_key}
    return Call(RequestSpec("POST", "/login", json=body, idempotent=True, auth=False), _without_token)


def extend_call() -> Call[SessionInfo]:
    """An extension of the current session; its answer names the tenant(s) (`customerNames`)."""
    return Call(RequestSpec("GET", "/auth_token/extend"), _without_token)


class Session(SyncResource):
    def login(self, access_key_id: str, secret_key: str) -> SessionInfo:
        return self._run(login_call(access_key_id, secret_key))

    def extend(self) -> SessionInfo:
        return self._run(extend_call())


class AsyncSession(AsyncResource):
    async def login(self, access_key_id: str, secret_key: str) -> SessionInfo:
        return await self._run(login_call(access_key_id, secret_key))

    async def extend(self) -> SessionInfo:
        return await self._run(extend_call())
