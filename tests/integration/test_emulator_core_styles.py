"""Errors raised by the core before a handler runs take the route family's body style."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from cortexkit.emulator.routes.compute import COMPUTE_PREFIX
from cortexkit.emulator.server import RunningEmulator


def _token(running: RunningEmulator) -> str:
    response = httpx.post(
        f"{running.url}/login", json={"username": running.access_key_id, "password": running.secret_key}
    )
    token: str = response.json()["token"]
    return token


def test_cas_routes_answer_401_as_api_error(emulator: RunningEmulator) -> None:
    response = httpx.post(f"{emulator.url}/cas/v1/azure_template", json={})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"status", "timestamp", "message", "debugMessage"}
    assert body["debugMessage"] == "invalid_token"


def test_v2_routes_answer_401_as_v2_error(emulator: RunningEmulator) -> None:
    response = httpx.post(f"{emulator.url}/audit/api/v1/log", json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"


def test_cas_validation_errors_are_400_api_errors(emulator: RunningEmulator) -> None:
    response = httpx.post(
        f"{emulator.url}/cas/v1/azure_template",
        content=b"{broken",
        headers={"x-redlock-auth": _token(emulator), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "message" in response.json()


def test_compute_accepts_a_bearer_token_and_refuses_others(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator(token_ttl=60)
    token = _token(running)
    url = f"{running.url}{COMPUTE_PREFIX}/api/v1/version"
    with httpx.Client() as client:
        assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get(url, headers={"x-redlock-auth": token}).status_code == 200
        missing = client.get(url)
        assert missing.status_code == 401
        assert set(missing.json()) == {"err"}
        client.post(f"{running.url}/_emulator/clock", json={"advance": 61})
        expired = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401
    assert expired.json() == {"err": "token expired"}


def test_legacy_routes_keep_the_header_style(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.url}/cloud")
    assert response.status_code == 401
    assert response.content == b""
    assert json.loads(response.headers["x-redlock-status"])[0]["i18nKey"] == "invalid_token"


def test_compute_prefix_matches_the_error_style_table() -> None:
    from cortexkit.emulator.errors import COMPUTE_PATH_PREFIX

    assert f"{COMPUTE_PREFIX}/" == COMPUTE_PATH_PREFIX
