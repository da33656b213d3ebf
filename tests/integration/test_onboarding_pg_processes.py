"""Process-level proofs of the team deployment on PostgreSQL (issue 13 §1 "Proof"): real processes on a
real PostgreSQL 15 cluster and the emulator over loopback HTTP.

- Two worker processes share a bulk; one is SIGKILLed right after its add call returned. The other
  takes the orphaned job over only once the dead worker's lease has expired, and finishes every job:
  exactly one account per subscription.
- Two `cortexkit onboard resume` processes started together on one azure-api job a crashed host left
  behind: one runner, one app registration, one client secret, one account, in each of 4 trials
  (20 under `make soak`).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.permissions import app_display_name
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.onboarding.store.schema import jobs as jobs_table
from tests.integration.onboarding_support import azure_accounts, subscription_spec
from tests.trials import trial_counts

SECRET = "pg-proof-sp-secret"
LEASE = 3.0
"""The workers' lease, shortened from 30 s so the takeover comes quickly (the heartbeat renews every 1 s)."""
TRIALS_AT_ONCE = 4


@pytest.fixture
def running(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    emulator = make_emulator(status_delay=0)
    identity_state(emulator.emulator).propagation_delay = 0.0
    return emulator


@pytest.fixture
def team_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The key every host gets from the team's secret manager."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("CORTEXKIT_STORE_KEY", key)
    return key


@pytest.fixture
def store(postgres_url: str, team_key: str, tmp_path: Path) -> Iterator[JobStore]:
    opened = JobStore(postgres_url, data_dir=tmp_path)
    yield opened
    opened.close()


def process_env(running: RunningEmulator, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CORTEXKIT_ONBOARD_KILL_AT"}
    env.update(running.client_env())
    env.update(
        CORTEXKIT_DATA_DIR=str(data_dir),
        CORTEXKIT_AZURE_LOGIN_URL=f"{running.url}/_azure/login",
        CORTEXKIT_AZURE_GRAPH_URL=f"{running.url}/_azure/graph",
        CORTEXKIT_AZURE_ARM_URL=f"{running.url}/_azure/arm",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def worker(store: JobStore, env: dict[str, str], data_dir: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.integration.onboarding_worker", store.url, "--lease", str(LEASE)]
    return subprocess.Popen(
        [*command, "--data-dir", str(data_dir), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_sigkilled_workers_jobs_are_finished_by_the_other_after_its_lease(
    running: RunningEmulator, store: JobStore, tmp_path: Path
) -> None:
    specs = [subscription_spec() for _ in range(8)]
    job_ids = [store.create_job(spec, secret=SECRET) for spec in specs]
    env = process_env(running, tmp_path)
    # Worker A is killed right after its second add call returned: the account exists in Prisma Cloud,
    # the job does not know it yet. Both claim as other hosts would, so only the lease frees A's job.
    doomed = worker(
        store, env, tmp_path, "--host", "host-a", "--kill-at", "add_account:posted", "--kill-after", "2"
    )
    survivor = worker(store, env, tmp_path, "--host", "host-b")
    doomed.communicate(timeout=120)
    died_at = time.time()
    assert doomed.returncode == -signal.SIGKILL

    with store.engine.connect() as conn:
        orphans = conn.execute(
            select(jobs_table.c.id, jobs_table.c.lease_expires_at).where(
                jobs_table.c.state == JobState.RUNNING, jobs_table.c.owner.startswith("host-a:")
            )
        ).all()
    assert len(orphans) == 1, "the killed worker left exactly its one job running"
    orphan, expires_at = orphans[0]
    assert float(expires_at) > died_at, "its lease was still running when it died"

    out, err = survivor.communicate(timeout=180)
    assert survivor.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert {"busy": orphan} in lines, "the survivor was refused the orphan while its lease ran"
    assert {"finished": len(job_ids)} in lines

    takeovers = [
        e.ts
        for e in store.events_after(orphan, 0, limit=10_000)
        if e.type == "job" and e.payload.get("state") == JobState.RUNNING and e.ts > died_at - LEASE
    ]
    assert takeovers and max(takeovers) >= float(expires_at), "taken over only once the lease expired"
    for job_id, spec in zip(job_ids, specs, strict=True):
        job = store.require_job(job_id)
        assert job.state is JobState.DONE, (job_id, job.error)
        assert len(azure_accounts(running, spec.subscription_id or "")) == 1, job_id
    assert store.require_job(orphan).step("add_account").attempts == 2


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _resume_race(
    running: RunningEmulator, store: JobStore, env: dict[str, str], trial: int
) -> dict[str, Any]:
    """One trial: a job a crashed host left running, resumed by two processes started together."""
    spec = subscription_spec(
        name=f"race-{trial}-{os.urandom(3).hex()}",
        provisioner="azure-api",
        client_id=running.access_key_id,
        service_principal_id=None,
    )
    job_id = store.create_job(spec, secret=running.secret_key)
    store.claim(job_id, "crashed-host:4242#gone", lease_seconds=0.0)  # its lease has already run out
    command = [sys.executable, "-m", "cortexkit.cli.main", "onboard", "resume", job_id, "--store", store.url]
    command += ["--poll-interval", "0.05", "--verify-timeout", "60", "-o", "json"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    results = [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]
    return {"job_id": job_id, "spec": spec, "results": results}


@pytest.mark.slow
@pytest.mark.timeout(900)
@trial_counts(quick=TRIALS_AT_ONCE, full=20)
def test_two_simultaneous_resumes_of_an_azure_api_job_run_it_once(
    running: RunningEmulator, store: JobStore, tmp_path: Path, trials: int
) -> None:
    env = process_env(running, tmp_path)
    started, cpu = time.monotonic(), _children_cpu()
    with ThreadPoolExecutor(TRIALS_AT_ONCE) as pool:
        races = list(pool.map(lambda n: _resume_race(running, store, env, n), range(trials)))
    elapsed, cpu = time.monotonic() - started, _children_cpu() - cpu
    azure = identity_state(running.emulator)
    problems: list[str] = []
    for trial in races:
        job_id, spec = trial["job_id"], trial["spec"]
        codes = sorted(code for code, _, _ in trial["results"])
        errors = " | ".join(err.strip() for _, _, err in trial["results"])
        losers_ok = all(
            code == 0 or "being run by another live runner" in err for code, _, err in trial["results"]
        )
        claims = [
            e
            for e in store.events_after(job_id, 0, limit=10_000)
            if e.type == "job" and e.payload.get("state") == JobState.RUNNING
        ]
        apps = [a for a in azure.applications.values() if a["displayName"] == app_display_name(job_id)]
        secrets = sum(len(a["passwordCredentials"]) for a in apps)
        accounts = len(azure_accounts(running, spec.subscription_id or ""))
        job = store.require_job(job_id)
        # claims: the crashed host's, then exactly one winner's
        if not (
            job.state is JobState.DONE
            and 0 in codes
            and losers_ok
            and len(claims) == 2
            and len(apps) == 1
            and secrets == 1
            and accounts == 1
        ):
            problems.append(
                f"{job_id[:8]}: state={job.state} codes={codes} claims={len(claims)} apps={len(apps)} "
                f"secrets={secrets} accounts={accounts}: {errors}"
            )
    if os.environ.get("PGPROOF_DEBUG"):
        for trial in races:
            for code, _out, err in trial["results"]:
                print(code, err)
    print(f"{trials} resume races, {TRIALS_AT_ONCE} at a time: {elapsed:.1f} s, {cpu:.1f} CPU s")
    assert problems == [], f"{len(problems)} of {trials} trials ran the job twice:\n" + "\n".join(problems)
