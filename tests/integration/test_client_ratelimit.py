"""Client-side rate limiting against the emulator's documented limits: a burst of work from many
threads finishes at the server's rate with almost no 429s."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.ratelimit import RateLimiter


def stats_of(running: RunningEmulator) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return result


@pytest.mark.slow
def test_burst_of_alert_pages_meets_almost_no_429(make_emulator: Callable[..., RunningEmulator]) -> None:
    # POST /v2/alert is documented at 2/s burst 10; rate_scale 10 makes the server allow 20/s, which
    # the client learns from X-RateLimit-Replenish-Rate after its first answer.
    running = make_emulator(rate_limits="documented", rate_scale=10.0)
    limiter = RateLimiter()
    errors: list[BaseException] = []
    with Client(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        rate_limit=limiter,
    ) as client:

        def worker() -> None:
            try:
                for _ in range(15):
                    client.request("POST", "/v2/alert", json={"limit": 1})
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        throttled = client.stats.throttled
    stats = stats_of(running)
    assert errors == []
    assert stats["requests"]["POST /v2/alert"].get("200") == 120
    assert throttled <= 3, f"{throttled} 429s for 120 calls"
    rate, _burst = limiter.snapshot()["POST /v2/alert"]
    assert rate > 2  # followed the advertised 20/s rather than the documented 2/s


def test_clients_with_the_same_key_share_one_limiter(emulator: RunningEmulator) -> None:
    kwargs = {
        "api_url": emulator.url,
        "access_key_id": emulator.access_key_id,
        "secret_key": emulator.secret_key,
    }
    with Client(**kwargs) as a, Client(**kwargs) as b:  # type: ignore[arg-type]
        assert a._core.limiter is not None
        assert a._core.limiter is b._core.limiter


@pytest.mark.slow
async def test_threads_and_tasks_share_the_documented_limit(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    """15 calls from threads of a `Client` and 15 from tasks of an `AsyncClient`, same key, against the
    documented 2/s burst 10 of POST /v2/alert: they share one bucket, so the server throttles (almost)
    nothing."""
    import asyncio

    from cortexkit.client import AsyncClient

    running = make_emulator(rate_limits="documented")
    kwargs = {
        "api_url": running.url,
        "access_key_id": running.access_key_id,
        "secret_key": running.secret_key,
    }
    sync_client = Client(**kwargs)  # type: ignore[arg-type]
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                sync_client.request("POST", "/v2/alert", json={"limit": 1})
        except BaseException as exc:
            failures.append(exc)

    async with AsyncClient(**kwargs) as async_client:  # type: ignore[arg-type]
        assert async_client._core.limiter is sync_client._core.limiter
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        results = await asyncio.gather(
            *(async_client.request("POST", "/v2/alert", json={"limit": 1}) for _ in range(15)),
            return_exceptions=True,
        )
        await asyncio.to_thread(lambda: [t.join() for t in threads])
        throttled = async_client.stats.throttled + sync_client.stats.throttled
    sync_client.close()
    stats = stats_of(running)
    assert failures == [] and all(isinstance(r, dict) for r in results)
    assert stats["requests"]["POST /v2/alert"].get("200") == 30
    assert throttled <= 1, f"{throttled} 429s"
