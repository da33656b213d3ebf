"""The JWT lifecycle over real HTTP against the emulator with short tokens: 32 threads (and 32 asyncio
tasks) keep calling for 12 s (20 s under `make soak`); exactly one login, a bounded number of extends,
refreshes that never overlap (single-flight), and no 401 reaching any caller.

The 32-worker tests use 8 s tokens, not 2 s ones: a 2 s token (1 s certain) leaves a proactive-extend
window of a quarter second, and on a loaded machine (the emulator shares this process) a stall longer than
that lets the token run out before any worker asks; the client then logs in again, which is correct, and
the old `logins == 1` failed (seen once in the baseline, twice at load 23 with logins=2, 0 x 401). The
single-flight property itself is checked directly and without timing: no two refresh requests overlap."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cortexkit.auth import refresh_lead
from cortexkit.client import AsyncClient, Client, ClientStats
from cortexkit.emulator.server import RunningEmulator
from tests.trials import quick_and_full

# 12 s outlives the 8 s token (so one login holds only through extends, and a failing extend forces a
# second login); `make soak` runs the 20 s of a few more refresh cycles.
durations = quick_and_full("duration", 12.0, 20.0, ("12s", "20s"))
WORKERS = 32
TOKEN_TTL = 2.0
BUSY_TOKEN_TTL = 8.0
# An 8 s token with whole-second claims is certain for 7 s; the client refreshes at half of that, and up to
# a quarter of the life earlier still when round trips are slow (a loaded machine).
REFRESH_INTERVAL = 7.0 - refresh_lead(7.0) - 7.0 / 4
REFRESH_PATHS = ("/login", "/auth_token/extend")


class RefreshRecorder:
    """Wraps the real HTTP transport and records when each login/extend request was in flight."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def add(self, start: float) -> None:
        with self._lock:
            self.spans.append((start, time.monotonic()))

    def overlaps(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        ordered = sorted(self.spans)
        return [(a, b) for a, b in itertools.pairwise(ordered) if b[0] < a[1]]


class RecordingTransport(httpx.HTTPTransport):
    def __init__(self, recorder: RefreshRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path not in REFRESH_PATHS:
            return super().handle_request(request)
        start = time.monotonic()
        try:
            response = super().handle_request(request)
            response.read()
            return response
        finally:
            self.recorder.add(start)


class AsyncRecordingTransport(httpx.AsyncHTTPTransport):
    def __init__(self, recorder: RefreshRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path not in REFRESH_PATHS:
            return await super().handle_async_request(request)
        start = time.monotonic()
        try:
            response = await super().handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.recorder.add(start)


def emulator_stats(running: RunningEmulator) -> dict[str, Any]:
    response = httpx.get(f"{running.url}/_emulator/stats", timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def make_client(running: RunningEmulator, **kw: Any) -> Client:
    return Client(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key, **kw
    )


def busy_threads(
    running: RunningEmulator, duration: float
) -> tuple[list[int], list[BaseException], RefreshRecorder, ClientStats]:
    """WORKERS threads share one client and call GET /cloud/group for `duration` seconds: each thread's
    call count, what any of them raised, the login/extend spans and the client's counters."""
    failures: list[BaseException] = []
    calls = [0] * WORKERS
    recorder = RefreshRecorder()
    with make_client(running, transport=RecordingTransport(recorder)) as client:
        stop_at = time.monotonic() + duration

        def worker(index: int) -> None:
            try:
                while time.monotonic() < stop_at:
                    client.request("GET", "/cloud/group")
                    calls[index] += 1
            except BaseException as exc:  # collected and asserted on below
                failures.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return calls, failures, recorder, client.stats


@pytest.mark.slow
@durations
def test_32_threads_share_one_login_and_single_flight_extends(
    make_emulator: Callable[..., RunningEmulator],
    record_property: Callable[[str, object], None],
    duration: float,
) -> None:
    running = make_emulator(token_ttl=BUSY_TOKEN_TTL)
    calls, failures, recorder, client_stats = busy_threads(running, duration)
    stats = emulator_stats(running)
    record_property("logins", stats["logins"])
    record_property("extends", stats["extends"])
    record_property("calls", sum(calls))
    print(
        f"\n32 threads: logins={stats['logins']} extends={stats['extends']} calls={sum(calls)} "
        f"server_401={stats['unauthorized']} replays={client_stats.replays_401}"
    )
    assert [f"{type(e).__name__}: {e}" for e in failures] == []  # say what went wrong
    assert all(n > 0 for n in calls), calls
    assert recorder.overlaps() == []  # single-flight, whatever the timing
    assert stats["logins"] == 1
    assert client_stats.logins == 1
    # single-flight: never more than one extend per (shortest) refresh interval, plus the one in flight
    assert 1 <= stats["extends"] <= duration / REFRESH_INTERVAL + 2
    assert client_stats.extends == stats["extends"]


@pytest.mark.slow
@durations
async def test_32_tasks_share_one_login_and_single_flight_extends(
    make_emulator: Callable[..., RunningEmulator], duration: float
) -> None:
    running = make_emulator(token_ttl=BUSY_TOKEN_TTL)
    calls = [0] * WORKERS
    recorder = RefreshRecorder()
    async with AsyncClient(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        transport=AsyncRecordingTransport(recorder),
    ) as client:
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + duration

        async def worker(index: int) -> None:
            while loop.time() < stop_at:
                await client.request("GET", "/cloud/group")
                calls[index] += 1

        results = await asyncio.gather(*(worker(i) for i in range(WORKERS)), return_exceptions=True)
        client_stats = client.stats
    stats = await asyncio.to_thread(emulator_stats, running)
    print(
        f"\n32 tasks: logins={stats['logins']} extends={stats['extends']} calls={sum(calls)} "
        f"server_401={stats['unauthorized']} replays={client_stats.replays_401}"
    )
    assert [f"{type(r).__name__}: {r}" for r in results if r is not None] == []  # say what went wrong
    assert all(n > 0 for n in calls), calls
    assert recorder.overlaps() == []  # single-flight, whatever the timing
    assert stats["logins"] == 1
    assert 1 <= stats["extends"] <= duration / REFRESH_INTERVAL + 2


@pytest.mark.slow
def test_background_refresher_keeps_an_idle_client_logged_in(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(token_ttl=TOKEN_TTL)
    with make_client(running, refresher="background") as client:
        client.request("GET", "/cloud/group")
        deadline = time.monotonic() + 4 * TOKEN_TTL
        while time.monotonic() < deadline:  # idle: only the refresher thread talks to the server
            time.sleep(0.2)
        before = emulator_stats(running)
        client.request("GET", "/cloud/group")
    after = emulator_stats(running)
    assert after["logins"] == 1
    assert before["extends"] >= 3
    assert after["unauthorized"] == 0


@pytest.mark.slow
async def test_async_background_refresher_keeps_an_idle_client_logged_in(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(token_ttl=TOKEN_TTL)
    async with AsyncClient(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        refresher="background",
    ) as client:
        await client.request("GET", "/cloud/group")
        await asyncio.sleep(4 * TOKEN_TTL)  # idle: only the refresher task talks to the server
        before = await asyncio.to_thread(emulator_stats, running)
        await client.request("GET", "/cloud/group")
    after = await asyncio.to_thread(emulator_stats, running)
    assert after["logins"] == 1
    assert before["extends"] >= 3
    assert after["unauthorized"] == 0


@pytest.mark.slow
@durations
def test_32_threads_with_a_failing_extend_fall_back_to_login(
    make_emulator: Callable[..., RunningEmulator],
    record_property: Callable[[str, object], None],
    duration: float,
) -> None:
    """Issue 12 defect 2: with /auth_token/extend answering 503, the extend ran the whole retry policy,
    outlived the token, and every waiting caller received its error although /login worked. Now the
    extend gives up within its short budget, callers keep the valid token, and the token that runs out is
    replaced by one login (single-flight)."""
    running = make_emulator(token_ttl=BUSY_TOKEN_TTL)
    plan = {"route": "GET /auth_token/extend", "statuses": [503], "count": 100_000}
    httpx.post(f"{running.url}/_emulator/faults", json=plan, timeout=10).raise_for_status()
    calls, failures, recorder, client_stats = busy_threads(running, duration)
    stats = emulator_stats(running)
    record_property("logins", stats["logins"])
    print(
        f"\n32 threads, extend failing: logins={stats['logins']} calls={sum(calls)} "
        f"server_401={stats['unauthorized']} refresh_failures={client_stats.refresh_failures}"
    )
    assert failures == []
    assert all(n > 0 for n in calls)
    assert recorder.overlaps() == []
    # an 8 s token is certain for 7 s: a fresh login every ~7 s at most, never a storm
    assert 2 <= stats["logins"] <= duration / 7.0 + 2
    assert client_stats.refresh_failures >= 1
