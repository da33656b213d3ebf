"""Bulk onboarding: 100 CSV rows, 5% injected faults, concurrent jobs, zero duplicates."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.bulk import parse_csv, run_all
from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.runner import Runner, shared_client_factory
from cortexkit.onboarding.store import JobStore
from tests.integration.onboarding_support import advancing_sleep

Make = Callable[..., RunningEmulator]
ROWS = 100


def csv_text(rows: int) -> tuple[str, list[str]]:
    tenant, client, sp = (str(uuid.uuid4()) for _ in range(3))
    lines = ["name,subscription_id,tenant_id,client_id,service_principal_id,features"]
    subs = []
    for i in range(rows):
        sub = str(uuid.uuid4())
        subs.append(sub)
        lines.append(f"bulk-{i:03d},{sub},{tenant},{client},{sp},Remediation")
    lines.insert(39, f"broken,{'x' * 8},{tenant},{client},{sp},")  # line 40 of the file
    return "\n".join(lines) + "\n", subs


def test_hundred_rows_with_five_percent_faults(make_emulator: Make, tmp_path: Path) -> None:
    hundred_rows(make_emulator, tmp_path, f"sqlite:///{tmp_path / 'jobs.db'}")


@pytest.mark.soak
def test_hundred_rows_with_five_percent_faults_on_postgresql(
    make_emulator: Make, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bulk, four runners at once, on a PostgreSQL store: passes (about 36 s on a loaded
    machine, as on SQLite), so it runs with `make soak` to keep `make test` short."""
    monkeypatch.setenv("CORTEXKIT_STORE_KEY", Fernet.generate_key().decode())
    hundred_rows(make_emulator, tmp_path, postgres_url)


def hundred_rows(make_emulator: Make, tmp_path: Path, url: str) -> None:
    running = make_emulator(fault_rate=0.05, seed=1234, status_delay=1, rate_limits="documented")
    text, subs = csv_text(ROWS)
    specs, errors = parse_csv(text)
    assert len(specs) == ROWS
    assert [(e.line, e.field) for e in errors] == [(40, "subscription_id")]

    # On top of the random 5%: the add call's answer is lost (504 or a dropped connection after the
    # account was created) six times, the case that must be reconciled by lookup, never resent.
    plan = {"route": "POST /cas/v1/azure_account", "statuses": [504, "drop"], "count": 6, "when": "after"}
    httpx.post(f"{running.url}/_emulator/faults", json=plan, timeout=10).raise_for_status()

    store = JobStore(url, data_dir=tmp_path)
    with Client(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key
    ) as client:
        runner = Runner(
            store,
            shared_client_factory(lambda: client),
            settings=RunnerSettings(verify_timeout=120, poll_interval=5),
            sleep=advancing_sleep(running),
            monotonic=running.emulator.clock.now,
        )
        job_ids = [store.create_job(s, secret="shared-sp-secret") for s in specs]
        jobs = run_all(job_ids, runner.run, concurrency=4)

    states = Counter(j.state for j in jobs)
    assert set(states) <= {"done", "failed"}, states
    for job in jobs:
        if job.state == "failed":
            assert job.error and len(job.error) > 10, "a failed row says why"
    assert states["done"] >= ROWS * 0.8, states  # the client's retries absorb most injected faults
    hows = Counter(j.step("add_account").output.get("how") for j in jobs if j.state == "done")
    assert hows["reconciled after an unknown outcome"] >= 1, hows

    # Ground truth from the emulator's state: no subscription onboarded twice, every done job's account there.
    onboarded = Counter(a.account_id for a in running.emulator.state.accounts if a.cloud_type == "azure")
    assert all(onboarded[s] <= 1 for s in subs)
    assert all(onboarded[j.spec.subscription_id or ""] == 1 for j in jobs if j.state == "done")
    assert store.integrity_check() == "ok"

    # A failed row resumes to done without creating a second account.
    for job in [j for j in jobs if j.state == "failed"][:3]:
        again = runner_for(running, store).run(job.id)
        assert again.state in {"done", "failed"}
    onboarded = Counter(a.account_id for a in running.emulator.state.accounts if a.cloud_type == "azure")
    assert all(onboarded[s] <= 1 for s in subs)


def runner_for(running: RunningEmulator, store: JobStore) -> Runner:
    def factory(_profile: object = None) -> Client:
        return Client(api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key)

    return Runner(
        store,
        factory,
        settings=RunnerSettings(verify_timeout=120, poll_interval=5),
        sleep=advancing_sleep(running),
        monotonic=running.emulator.clock.now,
    )
