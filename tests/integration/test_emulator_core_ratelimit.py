"""Per-user token buckets over HTTP: headers, 429s, shared across tokens, refills on the emulator clock."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from cortexkit.emulator.server import RunningEmulator

RATE_HEADERS = (
    "X-RateLimit-Burst-Capacity",
    "X-RateLimit-Remaining",
    "X-RateLimit-Replenish-Rate",
    "X-RateLimit-Requested-Tokens",
)


def _token(running: RunningEmulator) -> str:
    response = httpx.post(
        f"{running.url}/login", json={"username": running.access_key_id, "password": running.secret_key}
    )
    assert response.status_code == 200
    token: str = response.json()["token"]
    return token


def _extend(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/auth_token/extend", headers={"x-redlock-auth": token})


def test_headers_count_down_then_429_with_remaining_zero(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(rate_limits="documented", default_rate=1, default_burst=3)
    token = _token(running)
    with httpx.Client(base_url=running.url) as client:
        answers = [_extend(client, token) for _ in range(4)]
        stats = client.get("/_emulator/stats").json()
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    for response in answers:
        assert response.headers["X-RateLimit-Burst-Capacity"] == "3"
        assert response.headers["X-RateLimit-Replenish-Rate"] == "1"
        assert response.headers["X-RateLimit-Requested-Tokens"] == "1"
    throttled = answers[-1]
    assert "Retry-After" not in throttled.headers
    assert json.loads(throttled.headers["x-redlock-status"])[0]["i18nKey"] == "too_many_requests"
    assert stats["throttled"] == 1
    assert stats["requests"]["GET /auth_token/extend"] == {"200": 3, "429": 1}


def test_limit_is_shared_by_all_tokens_of_a_user(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(rate_limits="documented", default_rate=1, default_burst=2)
    first, second = _token(running), _token(running)
    with httpx.Client(base_url=running.url) as client:
        assert _extend(client, first).status_code == 200
        assert _extend(client, second).status_code == 200
        assert _extend(client, first).status_code == 429
        assert _extend(client, second).status_code == 429


def test_bucket_refills_when_the_emulator_clock_advances(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(rate_limits="documented", default_rate=0.5, default_burst=1)
    token = _token(running)
    with httpx.Client(base_url=running.url) as client:
        assert _extend(client, token).status_code == 200
        assert _extend(client, token).status_code == 429
        client.post("/_emulator/clock", json={"advance": 2})
        assert _extend(client, token).status_code == 200


def test_login_is_limited_per_username_sent(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(rate_limits="documented", default_rate=0.001, default_burst=2)
    with httpx.Client(base_url=running.url) as client:
        guesses = [client.post("/login", json={"username": "guesser", "password": "x"}) for _ in range(3)]
        assert [r.status_code for r in guesses] == [401, 401, 429]
        good = client.post("/login", json={"username": running.access_key_id, "password": running.secret_key})
    assert good.status_code == 200
    assert good.headers["X-RateLimit-Remaining"] == "1"


def test_rate_scale_multiplies_the_rate_and_keeps_the_burst(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(rate_limits="documented", rate_scale=10, default_rate=2, default_burst=5)
    token = _token(running)
    with httpx.Client(base_url=running.url) as client:
        response = _extend(client, token)
    assert response.headers["X-RateLimit-Replenish-Rate"] == "20"
    assert response.headers["X-RateLimit-Burst-Capacity"] == "5"


def test_retry_after_on_429_is_opt_in(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(
        rate_limits="documented", default_rate=0.5, default_burst=1, retry_after_on_429=True
    )
    token = _token(running)
    with httpx.Client(base_url=running.url) as client:
        _extend(client, token)
        throttled = _extend(client, token)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"


def test_off_mode_sends_no_rate_headers(emulator: RunningEmulator) -> None:
    token = _token(emulator)
    with httpx.Client(base_url=emulator.url) as client:
        responses = [_extend(client, token) for _ in range(50)]
    assert {r.status_code for r in responses} == {200}
    assert not any(h in responses[0].headers for h in RATE_HEADERS)


def test_control_plane_is_never_limited(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(rate_limits="documented", default_rate=0.001, default_burst=1)
    with httpx.Client(base_url=running.url) as client:
        responses = [client.get("/_emulator/health") for _ in range(10)]
    assert {r.status_code for r in responses} == {200}
    assert "X-RateLimit-Remaining" not in responses[0].headers


def test_documented_route_gets_the_documented_figures(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(rate_limits="documented")
    token = _token(running)
    with httpx.Client(base_url=running.url) as client:
        response = client.get("/cloud/group", headers={"x-redlock-auth": token})
    if response.status_code == 404:  # pragma: no cover - only while routes/account_groups.py is missing
        import pytest

        pytest.xfail("GET /cloud/group is not served yet (routes/account_groups.py)")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Burst-Capacity"] == "32"
    assert response.headers["X-RateLimit-Replenish-Rate"] == "32"
