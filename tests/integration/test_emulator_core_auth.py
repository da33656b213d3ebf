"""Login, extend, expiry and token checks over real HTTP, validated against Login.json."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import jwt
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.spec_validation import validate_response


def _login(running: RunningEmulator, **extra: str) -> httpx.Response:
    body = {"username": running.access_key_id, "password": running.secret_key, **extra}
    return httpx.post(f"{running.url}/login", json=body)


def _redlock_keys(response: httpx.Response) -> list[str]:
    return [s["i18nKey"] for s in json.loads(response.headers["x-redlock-status"])]


def test_login_returns_a_spec_conformant_answer(emulator: RunningEmulator) -> None:
    response = _login(emulator)
    assert response.status_code == 200
    body = response.json()
    validate_response("Login.json", "POST", "/login", 200, body)
    assert body["message"] == "login_successful"
    assert body["roles"] == []
    assert body["customerNames"] == [
        {"customerName": "cortexkit-emulator", "prismaId": "100000000000000001", "tosAccepted": True}
    ]
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sub"] == emulator.access_key_id
    assert claims["exp"] - claims["iat"] == 600
    assert response.headers["x-redlock-request-id"]


def test_login_accepts_the_spec_content_type(emulator: RunningEmulator) -> None:
    body = json.dumps({"username": emulator.access_key_id, "password": emulator.secret_key})
    response = httpx.post(
        f"{emulator.url}/login",
        content=body,
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("wrong", ["secret", "user"])
def test_wrong_keys_give_401_invalid_credentials(emulator: RunningEmulator, wrong: str) -> None:
    data = {"username": emulator.access_key_id, "password": emulator.secret_key}
    data["password" if wrong == "secret" else "username"] = "wrong"
    response = httpx.post(f"{emulator.url}/login", json=data)
    assert response.status_code == 401
    assert response.content == b""
    assert json.loads(response.headers["x-redlock-status"]) == [
        {"i18nKey": "invalid_credentials", "severity": "error", "subject": None}
    ]


def test_missing_password_is_a_400_not_a_422(emulator: RunningEmulator) -> None:
    response = httpx.post(f"{emulator.url}/login", json={"username": emulator.access_key_id})
    assert response.status_code == 400
    assert json.loads(response.headers["x-redlock-status"])[0] == {
        "i18nKey": "missing_required_parameter",
        "severity": "error",
        "subject": "password",
    }


def test_malformed_json_is_a_400(emulator: RunningEmulator) -> None:
    response = httpx.post(
        f"{emulator.url}/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert _redlock_keys(response) == ["bad_request"]


def test_tenant_selectors_must_name_this_tenant(emulator: RunningEmulator) -> None:
    assert _login(emulator, customerName="cortexkit-emulator").status_code == 200
    assert _login(emulator, prismaId="100000000000000001").status_code == 200
    both = _login(emulator, customerName="cortexkit-emulator", prismaId="100000000000000001")
    assert both.status_code == 200
    mismatch = _login(emulator, customerName="cortexkit-emulator", prismaId="999")
    assert mismatch.status_code == 401
    assert _redlock_keys(mismatch) == ["invalid_credentials"]
    assert _login(emulator, customerName="another-tenant").status_code == 401


def test_extend_is_chainable_fills_roles_and_keeps_the_old_token(emulator: RunningEmulator) -> None:
    first = _login(emulator).json()["token"]
    second_response = httpx.get(f"{emulator.url}/auth_token/extend", headers={"x-redlock-auth": first})
    assert second_response.status_code == 200
    body = second_response.json()
    validate_response("Login.json", "GET", "/auth_token/extend", 200, body)
    assert body["roles"] and body["message"] == "login_successful"
    second = body["token"]
    assert second != first
    third = httpx.get(f"{emulator.url}/auth_token/extend", headers={"x-redlock-auth": second})
    assert third.status_code == 200
    # The old token is not revoked by the extend: it stays valid until its own exp.
    again = httpx.get(f"{emulator.url}/auth_token/extend", headers={"x-redlock-auth": first})
    assert again.status_code == 200


def test_expired_token_gives_401_token_expired(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(token_ttl=60)
    token = _login(running).json()["token"]
    with httpx.Client(base_url=running.url) as client:
        assert client.get("/auth_token/extend", headers={"x-redlock-auth": token}).status_code == 200
        assert client.post("/_emulator/clock", json={"advance": 61}).status_code == 200
        expired = client.get("/auth_token/extend", headers={"x-redlock-auth": token})
        assert expired.status_code == 401
        assert _redlock_keys(expired) == ["token_expired"]
        # A fresh login works at the advanced time and counts as a new login.
        assert _login(running).status_code == 200
        stats = client.get("/_emulator/stats").json()
    assert stats["unauthorized"] == 1
    assert stats["logins"] == 2


def test_extended_token_outlives_the_original(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(token_ttl=100)
    with httpx.Client(base_url=running.url) as client:
        original = _login(running).json()["token"]
        client.post("/_emulator/clock", json={"advance": 60})
        extended = client.get("/auth_token/extend", headers={"x-redlock-auth": original}).json()["token"]
        client.post("/_emulator/clock", json={"advance": 50})
        assert client.get("/auth_token/extend", headers={"x-redlock-auth": original}).status_code == 401
        assert client.get("/auth_token/extend", headers={"x-redlock-auth": extended}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-redlock-auth": ""},
        {"x-redlock-auth": "not-a-jwt"},
        {"x-redlock-auth": jwt.encode({"sub": "x", "iat": 0, "exp": 4_000_000_000}, "k" * 32)},
        {"Authorization": "Bearer something"},
    ],
    ids=["missing", "empty", "garbage", "forged", "bearer-is-not-cspm"],
)
def test_missing_or_forged_token_gives_401(emulator: RunningEmulator, headers: dict[str, str]) -> None:
    response = httpx.get(f"{emulator.url}/auth_token/extend", headers=headers)
    assert response.status_code == 401
    assert _redlock_keys(response) == ["invalid_token"]
    assert response.content == b""


def test_unknown_route_is_a_404_in_the_legacy_style(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.url}/no/such/route")
    assert response.status_code == 404
    assert _redlock_keys(response) == ["not_found"]
