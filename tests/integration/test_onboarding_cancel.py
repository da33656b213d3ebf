"""Cancel is final (issue 13 §2): on SQLite and PostgreSQL, against the emulator."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.context import AzureEndpoints, RunnerSettings
from cortexkit.onboarding.runner import JobNotResumableError, Runner
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from tests.integration.onboarding_support import azure_accounts, client_factory, subscription_spec

SECRET = "cancel-test-sp-secret"


@pytest.fixture
def running(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator(status_delay=0)


def _runner(running: RunningEmulator, store: JobStore, hook: Callable[[str], None] | None = None) -> Runner:
    settings = RunnerSettings(
        verify_timeout=30.0, poll_interval=0.05, azure_endpoints=AzureEndpoints.for_emulator(running.url)
    )
    return Runner(store, client_factory(running), settings=settings, hook=hook)


def test_cancelling_a_killed_jobs_is_final_and_resume_needs_force(
    running: RunningEmulator, store_url: str, tmp_path: Path
) -> None:
    """The defect: a SIGKILLed job stayed `running` with only a flag set, and a later resume cleared the
    flag and onboarded the account."""
    store = JobStore(store_url, data_dir=tmp_path)
    job_id = store.create_job(subscription_spec(), secret=SECRET)
    subscription = store.require_job(job_id).spec.subscription_id or ""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.claim(job_id, f"{socket.gethostname()}:{dead.pid}#killed")  # left running by a killed process
    assert store.request_cancel(job_id)
    assert store.require_job(job_id).state is JobState.CANCELLED
    with pytest.raises(JobNotResumableError, match="--force"):
        _runner(running, store).run(job_id)
    assert azure_accounts(running, subscription) == []
    job = _runner(running, store).run(job_id, force=True)
    assert job.state is JobState.DONE, job.error
    assert len(azure_accounts(running, subscription)) == 1
    store.close()


def test_a_cancel_requested_before_the_runner_died_survives_the_takeover(
    running: RunningEmulator, store_url: str, tmp_path: Path
) -> None:
    clock = [1000.0]
    store = JobStore(store_url, data_dir=tmp_path, now=lambda: clock[0])
    job_id = store.create_job(subscription_spec(), secret=SECRET)
    subscription = store.require_job(job_id).spec.subscription_id or ""
    store.claim(job_id, "another-host:9#r", lease_seconds=30)
    assert store.request_cancel(job_id)
    assert store.require_job(job_id).state is JobState.RUNNING, "a live runner stops by itself"
    clock[0] += 60  # that host died before it saw the cancel; its lease expired
    job = _runner(running, store).run(job_id)
    assert job.state is JobState.CANCELLED
    assert azure_accounts(running, subscription) == []
    store.close()


def test_a_cancel_after_the_add_says_the_account_exists_and_how_to_remove_it(
    running: RunningEmulator, store_url: str, tmp_path: Path
) -> None:
    store = JobStore(store_url, data_dir=tmp_path)
    job_id = store.create_job(subscription_spec(), secret=SECRET)

    def cancel_after_add(point: str) -> None:
        if point == "add_account:done":
            store.request_cancel(job_id)

    job = _runner(running, store, cancel_after_add).run(job_id)
    assert job.state is JobState.CANCELLED
    assert job.account_id and job.account_id in (job.error or "")
    assert f"cortexkit api DELETE /cloud/azure/{job.account_id}" in (job.error or "")
    store.close()
