"""A Cortex bulk signs in to Azure once per process, not once per job step (the emulator counts the token
requests at its Entra endpoint): the steps and jobs of one (tenant, operator app) share one
`AzureSession`; a token near its end is fetched by one caller while the others wait; a token Azure
no longer takes (the emulator reset) is dropped and fetched again; a job resumed in a new process signs
in there again."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import httpx
import pytest

from cortexkit._redact import Secret
from cortexkit.azure import preflight, sessions
from cortexkit.azure.client import TOKEN_MARGIN, AzureClient
from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.emulator.server import RunningEmulator
from tests.integration.cortex_onboarding_support import (
    cli,
    emulator_fixture,
    guid,
    onboard_args,
    only_job,
    summary,
)

pytestmark = pytest.mark.xdist_group("cortex-onboarding-signin")
TOKEN_ROUTE = "POST /_azure/login/{tenant}/oauth2/v2.0/token"
AUDIENCES = 2
"""A Cortex job signs in for ARM (deployments, preflight reads) and for Graph (conditional access)."""


emulator = emulator_fixture(29, status_delay=0.3, scope="function", deployment_delay=0.3, whatif_delay=0.1)


def sign_ins(running: RunningEmulator) -> int:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return sum(n for status, n in stats["requests"].get(TOKEN_ROUTE, {}).items() if status == "200")


def test_a_ten_row_bulk_signs_in_to_azure_once(emulator: RunningEmulator, tmp_path: Path) -> None:
    tenant = guid()
    lines = ["name,tenant_id,subscription_id,client_id"]
    lines += [f"once{i}-{tenant[:6]},{tenant},{guid()},{emulator.access_key_id}" for i in range(10)]
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text("\n".join(lines) + "\n")
    args = ["onboard", "azure", "--from-csv", str(csv_file), "--scope", "subscription", "--deploy", "arm"]
    run = cli(emulator, tmp_path / "data", *args, "--poll-interval", "0.1", timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [j["state"] for j in json.loads(run.stdout)] == ["done"] * 10
    assert sign_ins(emulator) == AUDIENCES  # ARM and Graph; 30 when each step signed in


def test_a_killed_job_resumed_in_a_new_process_signs_in_there_again(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"resume-{guid()[:8]}"
    args = onboard_args(guid(), guid(), name, deploy="arm", client_id=emulator.access_key_id)
    killed = cli(emulator, tmp_path, *args, kill_at="deploy:start")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    before = sign_ins(emulator)
    assert before == AUDIENCES  # the preflight signed in for both
    resumed = cli(emulator, tmp_path, "onboard", "resume", only_job(tmp_path).id)
    assert resumed.returncode == 0, resumed.stderr
    assert summary(resumed)["state"] == "done"
    assert sign_ins(emulator) == before + 1  # the new process: one ARM sign-in for deploy and reconcile


class FakeClock:
    """A fake of `time.monotonic` (the token lifetime is an hour; the test cannot wait for it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_expiring_token_is_fetched_once_for_every_waiting_job(emulator: RunningEmulator) -> None:
    endpoints = AzureEndpoints(
        login=f"{emulator.url}/_azure/login",
        graph=f"{emulator.url}/_azure/graph",
        arm=f"{emulator.url}/_azure/arm",
    )
    clock = FakeClock()
    tenant, app, secret = guid(), emulator.access_key_id, Secret(emulator.secret_key)

    def client() -> AzureClient:
        session = sessions.shared_session(endpoints, tenant, app, secret, monotonic=clock)
        return AzureClient(endpoints, tenant, app, secret, monotonic=clock, session=session)

    with client() as first:
        token = first.token(endpoints.arm)
    with client() as second:  # another step (or job): the same token, no sign-in
        assert second.token(endpoints.arm) == token
    assert sign_ins(emulator) == 1

    clock.now += 3599 - TOKEN_MARGIN + 1  # within the margin of its end: every job wants a new one
    start = threading.Barrier(8)
    got: list[str] = []

    def job() -> None:
        with client() as azure:
            start.wait()
            got.append(azure.token(endpoints.arm))

    threads = [threading.Thread(target=job) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 8 and len(set(got)) == 1 and got[0] != token
    assert sign_ins(emulator) == 2  # one refresh for the eight

    httpx.post(f"{emulator.url}/_emulator/reset", timeout=10).raise_for_status()  # Azure forgets it
    with client() as azure:
        azure.send(preflight.subscriptions())  # a 401 with the cached token, then a fresh sign-in
        assert azure.token(endpoints.arm) != got[0]
    stats = httpx.get(f"{emulator.url}/_emulator/stats", timeout=10).json()["requests"]
    assert stats["GET /_azure/arm/subscriptions"] == {"401": 1, "200": 1}
    assert sign_ins(emulator) == 1  # the reset cleared the counters too: this is the fresh sign-in
