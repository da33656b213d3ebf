"""Retries over real HTTP: injected 429/5xx/drop storms on reads, a creating POST never sent twice,
Retry-After honoured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cortexkit import errors
from cortexkit.client import AsyncClient, Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.retry import RetryConfig

# Fast backoff so a storm finishes in seconds; enough attempts that 30 % faults never exhaust them.
STORM_RETRY = RetryConfig(max_attempts=12, base=0.01, cap=0.05, deadline=None)


def control(running: RunningEmulator, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{running.url}/_emulator/{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def client_for(running: RunningEmulator, **kw: Any) -> Client:
    return Client(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key, **kw
    )


def route_count(stats: dict[str, Any], route: str) -> dict[str, int]:
    counts: dict[str, int] = stats["requests"].get(route, {})
    return counts


@pytest.mark.slow
def test_read_storm_loses_no_read(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(fault_rate=0.3, seed=7, alerts=600)
    with client_for(running, retry=STORM_RETRY, rate_limit=False) as client:
        groups = [client.request("GET", "/cloud/group") for _ in range(40)]
        alerts = list(client.alerts.iterate(page_size=50, time_range={"type": "to_now", "value": "epoch"}))
        retries = client.stats.retries
    stats = control(running, "GET", "stats")
    assert all(isinstance(g, list) for g in groups)
    assert len(alerts) == 600
    assert len({a.id for a in alerts}) == 600  # every page exactly once, in spite of faults
    assert stats["faults_injected"] > 10
    assert retries >= stats["faults_injected"] - stats["faults"].get("latency", 0)


@pytest.mark.slow
async def test_async_read_storm_loses_no_read(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(fault_rate=0.3, seed=11)
    async with AsyncClient(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        retry=STORM_RETRY,
        rate_limit=False,
    ) as client:
        import asyncio

        results = await asyncio.gather(*(client.request("GET", "/cloud") for _ in range(60)))
    assert all(isinstance(r, list) for r in results)


def test_creating_post_is_not_resent_when_its_outcome_is_unknown(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator()
    with client_for(running, rate_limit=False) as client:
        alert = next(client.alerts.iterate(filters={"alert.status": "open"}, page_size=1, max_items=1))
        assert alert.id is not None
        control(
            running,
            "POST",
            "faults",
            {"route": "POST /alert/dismiss", "statuses": [503], "count": 1, "when": "after"},
        )
        with pytest.raises(errors.OutcomeUnknownError):
            client.alerts.dismiss([alert.id], note="reviewed")
        # the dismissal did happen: reconcile by reading, never by resending
        assert client.alerts.get(alert.id).status == "dismissed"
    stats = control(running, "GET", "stats")
    assert sum(route_count(stats, "POST /alert/dismiss").values()) == 1


def test_creating_post_is_resent_after_a_429(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with client_for(running, rate_limit=False) as client:
        alert = next(client.alerts.iterate(filters={"alert.status": "open"}, page_size=1, max_items=1))
        assert alert.id is not None
        control(
            running,
            "POST",
            "faults",
            {
                "route": "POST /alert/dismiss",
                "statuses": [429],
                "count": 1,
                "when": "before",
                "retry_after": 0,
            },
        )
        client.alerts.dismiss([alert.id], note="reviewed")
        assert client.alerts.get(alert.id).status == "dismissed"
        assert client.stats.throttled == 1
    stats = control(running, "GET", "stats")
    # (the emulator files requests faulted before routing under "<unmatched>", so count 429s globally)
    assert stats["throttled"] == 1
    assert route_count(stats, "POST /alert/dismiss").get("200") == 1


def test_retry_after_is_honoured_over_http(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    control(
        running,
        "POST",
        "faults",
        {"route": "GET /cloud", "statuses": [503, 429], "count": 2, "when": "before", "retry_after": 2},
    )
    with client_for(running, rate_limit=False, sleep=sleep) as client:
        assert isinstance(client.request("GET", "/cloud"), list)
    assert slept == [2.0, 2.0]
