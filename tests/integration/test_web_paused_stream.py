"""The live stream of a job paused by an outage stays open: the job is `waiting` under its live runner's
lease (`JobRecord.paused`) and carries on by itself, so the page must keep following it."""

from __future__ import annotations

from pathlib import Path

from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.web.routes.jobs import _Watch
from tests.integration.web_support import SP_SECRET, spec_data


def test_a_paused_job_reads_as_running_to_the_stream_until_its_runner_lets_go(tmp_path: Path) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}", data_dir=tmp_path)
    try:
        job_id = store.create_job(JobSpec.model_validate(spec_data("Paused")), secret=SP_SECRET)
        lease = store.claim(job_id, owner="runner-a")
        store.set_state(job_id, JobState.WAITING, "the API answered 503 since 12:04; retrying every 30 s")
        watch = _Watch(store, job_id)
        job = store.get_job(job_id)
        assert job is not None and job.paused
        assert watch.state() is JobState.RUNNING and not watch.orphaned  # the stream stays open
        store.release(lease)  # the runner gave up (budget spent) and left the job waiting for a person
        assert watch.state() is JobState.WAITING
    finally:
        store.close()
