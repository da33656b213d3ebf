"""`AsyncClient` only: single-flight refresh across many tasks of one loop (the decisions both clients share
are tested once for both in test_client.py)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cortexkit import errors
from cortexkit.client import AsyncClient
from cortexkit.retry import RetryConfig
from tests.unit.client_support import API, KEY_ID, SECRET, FakeAPI, FakeClock, async_transport


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


def make(api: FakeAPI, clock: FakeClock, **kw: object) -> AsyncClient:
    return AsyncClient(
        api_url=API,
        access_key_id=KEY_ID,
        secret_key=SECRET,
        transport=async_transport(api),
        clock=clock,
        retry=RetryConfig(max_attempts=5, deadline=None),
        **{"rate_limit": False, "sleep": clock.asleep, **kw},  # type: ignore[arg-type]
    )


async def test_many_tasks_share_one_login(api: FakeAPI, clock: FakeClock) -> None:
    async with make(api, clock) as client:
        results = await asyncio.gather(*(client.request("GET", "/cloud") for _ in range(32)))
    assert all(r == {"ok": True} for r in results)
    assert api.logins == 1


async def test_many_tasks_share_one_extend(api: FakeAPI, clock: FakeClock) -> None:
    async with make(api, clock) as client:
        await client.request("GET", "/cloud")
        clock.now += 510
        await asyncio.gather(*(client.request("GET", "/cloud") for _ in range(32)))
        assert (api.logins, api.extends) == (1, 1)


async def test_many_401s_cause_one_login(api: FakeAPI, clock: FakeClock) -> None:
    async with make(api, clock) as client:
        await client.request("GET", "/cloud")
        api.valid.clear()
        await asyncio.gather(*(client.request("GET", "/cloud") for _ in range(32)))
        assert api.logins == 2
        assert client.stats.replays_401 >= 1


async def test_async_failed_login_reaches_every_waiter_once(api: FakeAPI, clock: FakeClock) -> None:
    async with AsyncClient(
        api_url=API,
        access_key_id=KEY_ID,
        secret_key="wrong",
        transport=async_transport(api),
        rate_limit=False,
        clock=clock,
        sleep=clock.asleep,
    ) as client:
        results = await asyncio.gather(
            *(client.request("GET", "/cloud") for _ in range(8)), return_exceptions=True
        )
    assert all(isinstance(r, errors.AuthenticationError) for r in results)
    assert len(api.calls("POST /login")) == 1


async def test_async_paginate_and_resources(api: FakeAPI, clock: FakeClock) -> None:
    pages = {None: ("p2", [{"id": "a1"}, {"id": "a2"}]), "p2": ("", [{"id": "a3"}])}
    seen_bodies: list[dict[str, object]] = []

    def alerts(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        seen_bodies.append(body)
        token, items = pages[body.get("pageToken")]
        return httpx.Response(200, json={"items": items, "nextPageToken": token, "totalRows": 3})

    api.routes["POST /v2/alert"] = alerts
    async with make(api, clock) as client:
        got = [a.id async for a in client.alerts.iterate(filters={"alert.status": "open"}, page_size=2)]
    assert got == ["a1", "a2", "a3"]
    assert all(
        b["filters"] == [{"name": "alert.status", "operator": "=", "value": "open"}] for b in seen_bodies
    )
    assert seen_bodies[1]["pageToken"] == "p2" and seen_bodies[1]["limit"] == 2


# -- issue 12 --------------------------------------------------------------------------------------------


async def test_cancelling_the_refreshing_task_does_not_fail_the_waiters(
    api: FakeAPI, clock: FakeClock
) -> None:
    """Defect 1: the refresh's CancelledError became every waiter's error. A waiter takes over instead."""
    gate = asyncio.Event()
    first_login = True

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal first_login
        await request.aread()
        if request.url.path == "/login" and first_login:
            first_login = False
            await gate.wait()  # the first login hangs until its task is cancelled
        return api(request)

    client = AsyncClient(
        api_url=API,
        access_key_id=KEY_ID,
        secret_key=SECRET,
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.asleep,
        rate_limit=False,
    )
    async with client:
        refresher = asyncio.create_task(client.request("GET", "/cloud"))
        await asyncio.sleep(0.01)
        waiters = [asyncio.create_task(client.request("GET", "/cloud")) for _ in range(4)]
        await asyncio.sleep(0.01)
        refresher.cancel()
        results = await asyncio.gather(*waiters, return_exceptions=True)
    assert results == [{"ok": True}] * 4
    assert refresher.cancelled()
    assert api.logins == 1  # the waiter that took over logged in once for all


async def test_cancelled_waits_give_their_rate_limit_slots_back(api: FakeAPI, clock: FakeClock) -> None:
    """Defect 4: 60 cancelled tasks kept their reservations and the next unrelated call waited 10+ s."""
    from cortexkit.ratelimit import RateLimiter

    hang = True

    async def sleep(seconds: float) -> None:
        clock.sleeps.append(seconds)
        if hang:
            await asyncio.Event().wait()  # a wait that only ends by cancellation
        clock.now += seconds

    limiter = RateLimiter()
    async with make(api, clock, rate_limit=limiter, sleep=sleep) as client:
        await client.request("GET", "/cloud")  # log in first
        tasks = [asyncio.create_task(client.request("POST", "/v2/alert", json={})) for _ in range(60)]
        await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hang = False
        clock.sleeps.clear()
        await client.request("POST", "/v2/alert", json={})
    assert sum(clock.sleeps) < 1.0  # as if the cancelled callers had never asked


async def test_an_async_client_refuses_a_second_event_loop(api: FakeAPI, clock: FakeClock) -> None:
    """Ergonomics: used from another loop it raises a clear ConfigurationError, not a RuntimeError deep in
    asyncio."""
    client = make(api, clock)
    await client.request("GET", "/cloud")

    def other_loop() -> BaseException | None:
        try:
            asyncio.run(client.request("GET", "/cloud"))
        except BaseException as exc:  # returned for the assertion
            return exc
        return None

    error = await asyncio.to_thread(other_loop)
    await client.aclose()
    assert isinstance(error, errors.ConfigurationError)
    assert "one AsyncClient per event loop" in str(error)
