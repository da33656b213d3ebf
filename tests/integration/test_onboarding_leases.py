"""Leases at the runner level, on SQLite and PostgreSQL, against the emulator: the heartbeat keeps a
slow job's claim, and a runner that lost its lease stops before its next side effect."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.context import AzureEndpoints, RunnerSettings
from cortexkit.onboarding.runner import Runner
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobBusyError, JobStore
from tests.integration.onboarding_support import azure_accounts, client_factory, subscription_spec

SECRET = "lease-test-sp-secret"


def _runner(running: RunningEmulator, store: JobStore, hook: Callable[[str], None], lease: float) -> Runner:
    settings = RunnerSettings(
        verify_timeout=30.0, poll_interval=0.05, azure_endpoints=AzureEndpoints.for_emulator(running.url)
    )
    return Runner(store, client_factory(running), settings=settings, hook=hook, lease_seconds=lease)


@pytest.fixture
def running(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator(status_delay=0)


def test_the_heartbeat_keeps_a_slow_jobs_lease(
    running: RunningEmulator, store_url: str, tmp_path: Path
) -> None:
    """A step that runs 4x the lease (a long Terraform apply, verify polling) is not taken over."""
    store = JobStore(store_url, data_dir=tmp_path)
    other = JobStore(store_url, data_dir=tmp_path)
    job_id = store.create_job(subscription_spec(), secret=SECRET)
    refused: list[str] = []

    def hook(point: str) -> None:
        if point == "features:start":
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                try:
                    other.claim(job_id, "another-host:7#r")
                except JobBusyError as exc:
                    refused.append(exc.holder)
                time.sleep(0.2)

    job = _runner(running, store, hook, lease=0.5).run(job_id)
    assert job.state is JobState.DONE, job.error
    assert len(refused) >= 5, "every takeover attempt during the slow step was refused"
    other.close()
    store.close()


def test_a_runner_that_lost_its_lease_writes_nothing_more(
    running: RunningEmulator, store_url: str, tmp_path: Path
) -> None:
    """The stale runner stalls past its lease inside a step; another runner takes the job over and
    finishes it. The stale one's next write is refused and it stops: one account, no step run twice by it."""
    store = JobStore(store_url, data_dir=tmp_path)
    job_id = store.create_job(subscription_spec(), secret=SECRET)
    spec = store.require_job(job_id).spec
    taker_store = JobStore(store_url, data_dir=tmp_path)
    finished: list[Any] = []

    def stall(point: str) -> None:
        if point == "features:start":
            time.sleep(
                1.0
            )  # a stalled process: no heartbeat gets through (its lease is 0.3 s, renewals 0.1 s)
            finished.append(_runner(running, taker_store, lambda _p: None, lease=30).run(job_id))

    stale = _runner(running, store, stall, lease=0.3)
    stale_beat = stale.lease_seconds
    # Stall the heartbeat too: a lease renewed by nobody expires, as a frozen host's would.
    store.renew = lambda lease, seconds=stale_beat: lease  # type: ignore[method-assign]
    result = stale.run(job_id)
    assert finished and finished[0].state is JobState.DONE, finished and finished[0].error
    assert result.state is JobState.DONE
    job = taker_store.require_job(job_id)
    assert job.step("features").attempts == 2 and job.step("features").state is StepState.DONE
    assert all(s.attempts == 1 for s in job.steps if s.name not in ("validate", "features"))
    assert len(azure_accounts(running, spec.subscription_id or "")) == 1
    taker_store.close()
    store.close()
