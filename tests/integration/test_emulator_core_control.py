"""The /_emulator/ control plane: health, stats, reset, clock; plus TLS and the `serve` command."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator


def test_health_reports_ok_and_the_clock(emulator: RunningEmulator) -> None:
    body = httpx.get(f"{emulator.url}/_emulator/health").json()
    assert body["status"] == "ok"
    assert body["now"] > 1_700_000_000
    assert body["state"] is True


def test_stats_count_by_route_template_and_status(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        token = client.post(
            "/login", json={"username": running.access_key_id, "password": running.secret_key}
        ).json()["token"]
        client.post("/login", json={"username": running.access_key_id, "password": "nope"})
        client.get("/auth_token/extend", headers={"x-redlock-auth": token})
        client.get("/auth_token/extend")
        client.get("/definitely/unknown")
        stats = client.get("/_emulator/stats").json()
    assert stats["requests"]["POST /login"] == {"200": 1, "401": 1}
    assert stats["requests"]["GET /auth_token/extend"] == {"200": 1, "401": 1}
    assert stats["requests"]["GET <unmatched>"] == {"404": 1}
    assert (stats["logins"], stats["failed_logins"], stats["extends"]) == (1, 1, 1)
    assert stats["unauthorized"] == 2
    assert stats["total"] == 5  # control-plane calls are not counted


def test_reset_clears_stats_clock_and_plans_but_keeps_tokens(
    make_emulator: Callable[..., RunningEmulator],
) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        token = client.post(
            "/login", json={"username": running.access_key_id, "password": running.secret_key}
        ).json()["token"]
        client.post("/_emulator/clock", json={"advance": 100})
        client.post("/_emulator/faults", json={"route": "GET /cloud", "statuses": [500]})
        assert client.post("/_emulator/reset").status_code == 200
        assert client.get("/_emulator/clock").json()["offset"] == 0
        assert client.get("/_emulator/faults").json()["plans"] == []
        assert client.get("/_emulator/stats").json()["total"] == 0
        assert client.get("/auth_token/extend", headers={"x-redlock-auth": token}).status_code == 200


def test_clock_advances_and_refuses_going_back(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with httpx.Client(base_url=running.url) as client:
        before = client.get("/_emulator/clock").json()["now"]
        after = client.post("/_emulator/clock", json={"advance": 3600}).json()
        assert after["offset"] == 3600
        assert after["now"] >= before + 3600
        assert client.post("/_emulator/clock", json={"advance": -5}).status_code == 400


def test_tls_serves_https_with_the_generated_ca(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(tls=True)
    assert running.url.startswith("https://127.0.0.1:")
    assert running.ca_file is not None and running.ca_file.is_file()
    context = ssl.create_default_context(cafile=str(running.ca_file))
    with httpx.Client(base_url=running.url, verify=context) as client:
        response = client.post(
            "/login", json={"username": running.access_key_id, "password": running.secret_key}
        )
        assert response.status_code == 200
    with pytest.raises(httpx.ConnectError), httpx.Client(base_url=running.url) as untrusting:
        untrusting.get("/_emulator/health")
    env = running.client_env()
    assert env["PRISMA_API_URL"] == running.url
    assert env["REQUESTS_CA_BUNDLE"] == str(running.ca_file)


def test_tls_also_works_via_localhost(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator(tls=True)
    url = running.url.replace("127.0.0.1", "localhost")
    context = ssl.create_default_context(cafile=str(running.ca_file))
    response = httpx.get(f"{url}/_emulator/health", verify=context)
    assert response.status_code == 200


def test_serve_command_prints_the_keys_and_serves() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORTEXKIT_EMULATOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortexkit.emulator", "serve", "--port", "0", "--rate-limits", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(3))
        url = lines["PRISMA_API_URL"]
        response = httpx.post(
            f"{url}/login",
            json={"username": lines["PRISMA_ACCESS_KEY_ID"], "password": lines["PRISMA_SECRET_KEY"]},
            timeout=10,
        )
        assert response.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_command_status_delay_sets_the_onboarding_timeline() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORTEXKIT_EMULATOR_")}
    args = ["serve", "--port", "0", "--rate-limits", "off", "--status-delay", "10"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortexkit.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(3))
        with httpx.Client(base_url=lines["PRISMA_API_URL"], timeout=10) as client:
            login = {"username": lines["PRISMA_ACCESS_KEY_ID"], "password": lines["PRISMA_SECRET_KEY"]}
            client.headers["x-redlock-auth"] = client.post("/login", json=login).json()["token"]
            subscription = str(uuid.uuid4())
            body = {
                "cloudAccount": {"accountType": "account", "accountId": subscription, "name": "delay"},
                "clientId": str(uuid.uuid4()),
                "key": "k",
                "tenantId": str(uuid.uuid4()),
                "servicePrincipalId": str(uuid.uuid4()),
                "environmentType": "azure",
            }
            assert client.post("/cas/v1/azure_account", json=body).status_code == 200
            status = f"/account/{subscription}/config/status"
            assert {c["status"] for c in client.get(status).json()} == {"pending"}
            client.post("/_emulator/clock", json={"advance": 11})  # past 10 s, far short of the default 120
            assert {c["status"] for c in client.get(status).json()} == {"ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_command_takes_keys_from_the_environment_and_does_not_echo_the_secret() -> None:
    env = {
        **os.environ,
        "CORTEXKIT_EMULATOR_ACCESS_KEY_ID": "env-key-id",
        "CORTEXKIT_EMULATOR_SECRET_KEY": "env-secret-value",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortexkit.emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split("=", 1)[1]
        assert proc.stdout.readline().strip() == "PRISMA_ACCESS_KEY_ID=env-key-id"
        response = httpx.post(
            f"{url}/login", json={"username": "env-key-id", "password": "env-secret-value"}, timeout=10
        )
        assert response.status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "env-secret-value" not in out + err


def test_serve_command_with_tls_prints_the_ca_file() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORTEXKIT_EMULATOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortexkit.emulator", "serve", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(4))
        assert lines["PRISMA_API_URL"].startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=lines["SSL_CERT_FILE"])
        response = httpx.get(f"{lines['PRISMA_API_URL']}/_emulator/health", verify=context, timeout=10)
        assert response.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
