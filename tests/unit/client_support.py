"""What the client unit tests share: a stand-in CSPM API behind `httpx.MockTransport` (named a fake: it
replaces the remote service, never one of our components), a fake clock with a recording sleep, and one
driver interface over `Client` and `AsyncClient`, so a single parametrised suite runs against both."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from cortexkit.client import AsyncClient, Client, ClientStats
from cortexkit.retry import RetryConfig

API = "https://api.test.example"
KEY_ID = "key-id-1"
SECRET = "s3cr3t-value-never-logged"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


Handler = Callable[[httpx.Request], httpx.Response | None]


class FakeAPI:
    """A tiny CSPM stand-in: /login and /auth_token/extend mint opaque tokens; `routes` answer the rest.

    A route handler may return None to fall through to `{"ok": true}`. Every request is recorded.
    `login_route`/`extend_route`, when set, answer those two endpoints instead (faults, slow answers).
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.valid: set[str] = set()
        self.logins = 0
        self.extends = 0
        self.extend_status = 200
        self.routes: dict[str, Handler] = {}
        self.counter = 0
        self.token_body: Callable[[str], dict[str, Any]] = lambda token: {"token": token}

    def mint(self) -> str:
        self.counter += 1
        token = f"tok-{self.counter}"
        self.valid.add(token)
        return token

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = f"{request.method} {request.url.path}"
        handler = self.routes.get(key)
        if key == "POST /login":
            body = json.loads(request.content)
            if body != {"username": KEY_ID, "password": SECRET}:
                return httpx.Response(
                    401, headers={"x-redlock-status": '[{"i18nKey":"invalid_credentials"}]'}
                )
            early = handler(request) if handler else None
            if early is not None:
                return early
            self.logins += 1
            return httpx.Response(200, json={**self.token_body(self.mint()), "message": "login_successful"})
        token = request.headers.get("x-redlock-auth")
        if key == "GET /auth_token/extend":
            early = handler(request) if handler else None
            if early is not None:
                return early
            if self.extend_status != 200:
                return httpx.Response(self.extend_status)
            if token not in self.valid:
                return httpx.Response(401, headers={"x-redlock-status": '[{"i18nKey":"token_expired"}]'})
            self.extends += 1
            return httpx.Response(200, json=self.token_body(self.mint()))
        if token not in self.valid:
            return httpx.Response(401)
        result = handler(request) if handler else None
        return result if result is not None else httpx.Response(200, json={"ok": True})

    def calls(self, key: str) -> list[httpx.Request]:
        return [r for r in self.requests if f"{r.method} {r.url.path}" == key]


def script(*responses: httpx.Response | Exception) -> Handler:
    """A handler answering with `responses` in order, then falling through to the default."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response | None:
        if not queue:
            return None
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def async_transport(api: FakeAPI) -> httpx.MockTransport:
    """An async handler that yields to the loop first, as a network round trip would."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        await request.aread()
        return api(request)

    return httpx.MockTransport(handler)


DEFAULTS: dict[str, Any] = {
    "api_url": API,
    "access_key_id": KEY_ID,
    "secret_key": SECRET,
    "rate_limit": False,
    "retry": RetryConfig(max_attempts=5, deadline=None),
}


class Driver:
    """One client, sync or async, driven through the same blocking calls (the async one on its own loop)."""

    kind: str

    def request(self, method: str, path: str, **kw: Any) -> Any:
        raise NotImplementedError

    def request_raw(self, method: str, path: str, **kw: Any) -> httpx.Response:
        raise NotImplementedError

    def refresh_session(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def stats(self) -> ClientStats:
        raise NotImplementedError


class SyncDriver(Driver):
    kind = "sync"

    def __init__(self, api: FakeAPI, clock: FakeClock, **kw: Any) -> None:
        options = {**DEFAULTS, "transport": httpx.MockTransport(api), "clock": clock, "sleep": clock.sleep}
        self.client = Client(**{**options, **kw})

    def request(self, method: str, path: str, **kw: Any) -> Any:
        return self.client.request(method, path, **kw)

    def request_raw(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request_raw(method, path, **kw)

    def refresh_session(self) -> Any:
        return self.client.refresh_session()

    def close(self) -> None:
        self.client.close()

    @property
    def stats(self) -> ClientStats:
        return self.client.stats

    def __repr__(self) -> str:
        return repr(self.client)


class AsyncDriver(Driver):
    kind = "async"

    def __init__(self, api: FakeAPI, clock: FakeClock, **kw: Any) -> None:
        self.loop = asyncio.new_event_loop()
        options = {**DEFAULTS, "transport": async_transport(api), "clock": clock, "sleep": clock.asleep}
        self.client = AsyncClient(**{**options, **kw})

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        return self.run(self.client.request(method, path, **kw))

    def request_raw(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.run(self.client.request_raw(method, path, **kw))  # type: ignore[no-any-return]

    def refresh_session(self) -> Any:
        return self.run(self.client.refresh_session())

    def close(self) -> None:
        self.run(self.client.aclose())

    def dispose(self) -> None:
        self.close()
        self.loop.close()

    @property
    def stats(self) -> ClientStats:
        return self.client.stats

    def __repr__(self) -> str:
        return repr(self.client)


def make_driver(kind: str, api: FakeAPI, clock: FakeClock, **kw: Any) -> Driver:
    return SyncDriver(api, clock, **kw) if kind == "sync" else AsyncDriver(api, clock, **kw)
