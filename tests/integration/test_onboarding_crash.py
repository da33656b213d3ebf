"""Crash safety: a real `cortexkit onboard azure` process is SIGKILLed at every step, then resumed.

The CLI's CORTEXKIT_ONBOARD_KILL_AT hook makes the process kill itself (SIGKILL, no cleanup) at an exact
point: as a step starts, after its work but before it is recorded, and right after the add call
returned. `onboard resume` must then finish the job with exactly one account in the emulator and a
sound database.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator, run_emulator
from cortexkit.onboarding.model import STEPS
from cortexkit.onboarding.store import JobStore
from cortexkit.onboarding.store.schema import job_secrets
from tests.integration.onboarding_support import azure_accounts, guid
from tests.trials import quick_and_full

POINTS = [
    point
    for step in STEPS
    for point in (
        f"{step}:start",
        *(("add_account:posted",) if step == "add_account" else ()),
        f"{step}:done",
    )
]
"""Every kill point in the order a run reaches them (all 13 in turn under `make soak`)."""
ADD_POINTS = ["add_account:start", "add_account:posted", "add_account:done", "verify:start", "verify:done"]
"""`make test`'s kills in turn (5 of the 13): around the one call that changes the tenant (the add) and the
last step, where a lost or repeated call would make a second account; the first in the `onboard azure`
run, the others in `onboard resume` runs, as in the full case."""


@pytest.fixture(scope="module")
def crash_emulator() -> Iterator[RunningEmulator]:
    with run_emulator(seed=7, rate_limits="off", fault_rate=0.0, status_delay=0.5) as running:
        identity_state(running.emulator).propagation_delay = 0.0
        yield running


def cli(
    running: RunningEmulator,
    data_dir: Path,
    *args: str,
    secret: str = "sp-secret",
    kill_at: str | None = None,
    store_url: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **running.client_env(),
        "CORTEXKIT_DATA_DIR": str(data_dir),
        "AZURE_CLIENT_SECRET": secret,
    }
    env.pop("CORTEXKIT_STORE_URL", None)
    if store_url and not store_url.startswith("sqlite"):
        env["CORTEXKIT_STORE_URL"] = store_url  # and CORTEXKIT_STORE_KEY, set by the store_url fixture
    env.update(
        CORTEXKIT_AZURE_LOGIN_URL=f"{running.url}/_azure/login",
        CORTEXKIT_AZURE_GRAPH_URL=f"{running.url}/_azure/graph",
        CORTEXKIT_AZURE_ARM_URL=f"{running.url}/_azure/arm",
    )
    env.pop("CORTEXKIT_ONBOARD_KILL_AT", None)
    if kill_at:
        env["CORTEXKIT_ONBOARD_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "cortexkit.cli.main", "onboard", *args, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def onboard_args(provisioner: str, subscription: str, running: RunningEmulator) -> list[str]:
    args = [
        "azure",
        "--subscription-id",
        subscription,
        "--tenant-id",
        guid(),
        "--name",
        f"crash-{subscription[:8]}",
        "--provisioner",
        provisioner,
        "--poll-interval",
        "0.1",
        "--verify-timeout",
        "30",
    ]
    if provisioner == "existing":
        args += ["--client-id", guid(), "--service-principal-id", guid()]
    else:
        args += ["--client-id", running.access_key_id]
    return args


def check_sound(data_dir: Path, secret: str, store_url: str | None = None) -> None:
    if store_url and not store_url.startswith("sqlite"):
        store = JobStore(store_url, data_dir=data_dir)
        try:
            with store.engine.connect() as conn:
                stored = conn.execute(select(job_secrets.c.ciphertext)).scalars().all()
            payloads = str([e.payload for e in store.events_after(None, 0, limit=100_000)])
        finally:
            store.close()
        assert stored and all(secret.encode() not in bytes(c) for c in stored)
        assert secret not in payloads
        return
    with sqlite3.connect(data_dir / "jobs.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        text = b"".join(
            p.read_bytes() for p in data_dir.iterdir() if p.is_file() and p.name.startswith("jobs.db")
        )
    assert secret.encode() not in text


def job_state(data_dir: Path, store_url: str | None = None) -> tuple[str, str]:
    sqlite_url = f"sqlite:///{data_dir / 'jobs.db'}"
    store = JobStore(store_url if store_url and not store_url.startswith("sqlite") else sqlite_url)
    try:
        (job,) = store.list_jobs()
        return job.id, job.state
    finally:
        store.close()


@quick_and_full("points", ADD_POINTS, POINTS, ("add-points", "every-point"))
def test_killed_at_every_point_in_turn_still_finishes_with_one_account(
    points: list[str], crash_emulator: RunningEmulator, tmp_path: Path, store_url: str
) -> None:
    """One job, one process per point: each run is SIGKILLed one point further than the last. On SQLite
    and on PostgreSQL (a fresh database on the session's cluster)."""
    running = crash_emulator
    subscription = guid()
    first, *rest = points
    args = onboard_args("existing", subscription, running)
    killed = cli(running, tmp_path, *args, kill_at=first, store_url=store_url)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    job_id, state = job_state(tmp_path, store_url)
    for point in rest:
        assert state == "running"
        check_sound(tmp_path, "sp-secret", store_url)
        assert len(azure_accounts(running, subscription)) <= 1
        killed = cli(running, tmp_path, "resume", job_id, kill_at=point, store_url=store_url)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
        job_id, state = job_state(tmp_path, store_url)
    resumed = cli(running, tmp_path, "resume", job_id, store_url=store_url)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)[0]["state"] == "done"
    assert len(azure_accounts(running, subscription)) == 1
    check_sound(tmp_path, "sp-secret", store_url)


@pytest.mark.parametrize(
    ("provisioner", "point"),
    [
        ("existing", "add_account:posted"),
        ("azure-api", "identity:app-created"),
        ("azure-api", "add_account:posted"),
    ],
)
def test_killed_once_then_resumed_to_exactly_one_account(
    crash_emulator: RunningEmulator, tmp_path: Path, provisioner: str, point: str, store_url: str
) -> None:
    """On SQLite and on PostgreSQL (the process is killed with its transaction open or just after)."""
    running = crash_emulator
    subscription = guid()
    # azure-api signs in to the emulated Entra with the emulator's own key pair (the operator credential)
    secret = running.secret_key if provisioner == "azure-api" else "sp-secret"
    args = onboard_args(provisioner, subscription, running)
    killed = cli(running, tmp_path, *args, secret=secret, kill_at=point, store_url=store_url)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    job_id, state = job_state(tmp_path, store_url)
    assert state == "running"
    check_sound(tmp_path, secret, store_url)

    resumed = cli(running, tmp_path, "resume", job_id, secret=secret, store_url=store_url)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)[0]["state"] == "done"
    assert len(azure_accounts(running, subscription)) == 1
    if provisioner == "azure-api":
        azure = identity_state(running.emulator)
        mine = [a for a in azure.applications.values() if a["displayName"].endswith(job_id[:8])]
        assert len(mine) == 1
    check_sound(tmp_path, secret, store_url)
