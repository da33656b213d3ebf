"""A bulk holds nothing per job once the job has ended: the runner's pool forgets it, and what the CLI
keeps of a finished job until the summary is the record without its step outputs."""

from __future__ import annotations

import threading
from pathlib import Path

from cortexkit.onboarding.bulk import run_all
from cortexkit.onboarding.runner import JobPool
from tests.unit.onboarding_fakes import FakeApi
from tests.unit.test_onboarding_runner import SECRET, make, spec


def test_the_pool_keeps_nothing_of_a_job_that_ended() -> None:
    ran: list[str] = []
    lock = threading.Lock()

    def run(job_id: str) -> None:
        with lock:
            ran.append(job_id)

    pool = JobPool(run, 4)
    ids = [f"job-{i}" for i in range(200)]
    for job_id in ids:
        pool.submit(job_id)
    for job_id in ids:
        pool.join(job_id, timeout=10)
    assert sorted(ran) == sorted(ids)
    assert pool.tracked() == 0


def test_a_job_that_ended_can_be_submitted_again() -> None:
    ran: list[str] = []
    pool = JobPool(ran.append, 1)
    pool.submit("a")
    pool.join("a", timeout=10)
    pool.submit("a")
    pool.join("a", timeout=10)
    assert ran == ["a", "a"] and pool.tracked() == 0


def test_a_brief_record_keeps_the_summary_and_drops_the_step_outputs(tmp_path: Path) -> None:
    store, runner = make(tmp_path, FakeApi())
    job_id = store.create_job(spec(), secret=SECRET)
    [kept] = run_all([job_id], lambda i: runner.run(i).brief(), 1)
    full = store.require_job(job_id)
    assert full.steps and full.step("verify").output
    assert kept.steps == ()
    assert kept.summary() == full.summary()
    assert (kept.state, kept.error, kept.account_id, kept.ok) == (
        full.state,
        full.error,
        full.account_id,
        True,
    )
