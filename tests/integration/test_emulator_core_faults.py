"""Injected faults over HTTP: per-route plans (before/after the action), drops, seeded reproducibility."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator


def _login(client: httpx.Client, running: RunningEmulator) -> httpx.Response:
    return client.post("/login", json={"username": running.access_key_id, "password": running.secret_key})


def test_plan_before_the_action_does_not_perform_it(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        plan = client.post(
            "/_emulator/faults", json={"route": "POST /login", "statuses": [503], "when": "before"}
        )
        assert plan.status_code == 201
        failed = _login(client, running)
        stats = client.get("/_emulator/stats").json()
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "1"
    assert json.loads(failed.headers["x-redlock-status"])[0]["i18nKey"] == "service_unavailable"
    assert stats["logins"] == 0
    assert stats["faults"] == {"503": 1}


def test_plan_after_the_action_performs_it_and_hides_the_answer(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        client.post("/_emulator/faults", json={"route": "POST /login", "statuses": [504], "when": "after"})
        failed = _login(client, running)
        stats = client.get("/_emulator/stats").json()
        assert _login(client, running).status_code == 200  # the plan is used up
    assert failed.status_code == 504
    assert stats["logins"] == 1  # the login happened although the client saw a 504
    assert stats["requests"]["POST /login"] == {"504": 1}


def test_plan_statuses_apply_in_order_for_count_calls(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        client.post(
            "/_emulator/faults", json={"route": "POST /login", "statuses": [429, 500, 502], "count": 3}
        )
        statuses = [_login(client, running).status_code for _ in range(4)]
        listed = client.get("/_emulator/faults").json()
    assert statuses == [429, 500, 502, 200]
    assert listed["plans"] == []


def test_injected_429_carries_rate_headers_with_remaining_zero(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        client.post("/_emulator/faults", json={"route": "POST /login", "statuses": [429]})
        throttled = _login(client, running)
    assert throttled.status_code == 429
    assert throttled.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in throttled.headers


@pytest.mark.parametrize("when", ["before", "after"])
def test_dropped_connection_gives_no_response(
    make_emulator: Callable[..., RunningEmulator], when: str
) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        client.post("/_emulator/faults", json={"route": "POST /login", "statuses": ["drop"], "when": when})
        with pytest.raises(httpx.RemoteProtocolError):
            _login(client, running)
        assert _login(client, running).status_code == 200  # the client reconnects
        stats = client.get("/_emulator/stats").json()
    assert stats["faults"] == {"drop": 1}
    assert stats["logins"] == (2 if when == "after" else 1)


def test_cas_routes_get_cas_style_fault_bodies(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        client.post("/_emulator/faults", json={"route": "POST /cas/v1/azure_account", "statuses": [503]})
        response = client.post("/cas/v1/azure_account", json={})
    assert response.status_code == 503
    assert set(response.json()) == {"status", "timestamp", "message", "debugMessage"}


def _fault_trace(running: RunningEmulator) -> list[int | str]:
    trace: list[int | str] = []
    with httpx.Client(base_url=running.url) as client:
        for _ in range(40):
            try:
                trace.append(client.post("/login", json={"username": "u", "password": "p"}).status_code)
            except httpx.RemoteProtocolError:
                trace.append("drop")
    return trace


def test_random_faults_are_reproducible_from_the_seed(make_emulator: Callable[..., RunningEmulator]) -> None:
    first = _fault_trace(make_emulator(fault_rate=0.5, seed=11, fault_latency=0.06))
    second = _fault_trace(make_emulator(fault_rate=0.5, seed=11, fault_latency=0.06))
    other = _fault_trace(make_emulator(fault_rate=0.5, seed=12, fault_latency=0.06))
    assert first == second
    assert first != other
    assert {429, 500, 502, 503, 504} & set(first)
    assert 401 in first  # requests without a fault reach the handler


def test_control_plane_is_never_faulted(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(fault_rate=1.0)
    with httpx.Client(base_url=running.url) as client:
        statuses = {client.get("/_emulator/health").status_code for _ in range(20)}
    assert statuses == {200}


def test_fault_rate_can_be_changed_at_run_time(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        assert client.put("/_emulator/faults/rate", json={"fault_rate": 1.0, "seed": 5}).status_code == 200
        assert client.get("/_emulator/faults").json()["fault_rate"] == 1.0
        client.put("/_emulator/faults/rate", json={"fault_rate": 0.0})
        assert _login(client, running).status_code == 200


def test_invalid_plans_are_refused_and_plans_can_be_cleared(emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=emulator.url) as client:
        bad = client.post("/_emulator/faults", json={"route": "POST /login", "statuses": [200]})
        assert bad.status_code == 400
        assert "unsupported fault" in bad.json()["error"]["message"]
        client.post("/_emulator/faults", json={"route": "GET /nowhere", "statuses": [500]})
        assert client.get("/_emulator/faults").json()["plans"]
        assert client.delete("/_emulator/faults").status_code == 200
        assert client.get("/_emulator/faults").json()["plans"] == []
