"""A bulk through a total API outage, against the emulator over HTTP with its fault plans and real time.

The issue's proof is a 60 s outage; these tests keep it to about 8 s (503 on every route, then dropped
connections) with the breaker's probe interval shortened by its setting, which is the same code path:
the breaker does not know how long an outage will last, only that the probe still fails.
The client here gives up after 2 attempts per call (the CLI's client tries 6 times over up to ~30 s,
which would ride out most of a short outage by itself and leave the breaker untested).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.bulk import run_all
from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.runner import Runner, shared_client_factory
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.retry import RetryConfig
from tests.figures import record_figures
from tests.integration.onboarding_support import subscription_spec
from tests.integration.outage_support import (
    bulk_through_outage,
    outage,
    outage_figures,
    recover,
    run_in_background,
    wait_for_done,
    waiting_reasons,
)

pytestmark = pytest.mark.xdist_group("outage")  # timing-sensitive: keep it off a busy worker's back

Make = Callable[..., RunningEmulator]
ROWS = 20


@contextmanager
def short_retry_client(running: RunningEmulator) -> Iterator[Client]:
    with Client(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        retry=RetryConfig(max_attempts=2, base=0.2, cap=0.5, deadline=5.0),
    ) as client:
        yield client


def make_runner(store: JobStore, client: Client, **settings: Any) -> Runner:
    tunables: dict[str, Any] = {
        "verify_timeout": 60.0,
        "poll_interval": 0.2,
        "outage_retry_interval": 0.5,
        "outage_budget": 60.0,
        **settings,
    }
    return Runner(store, shared_client_factory(lambda: client), settings=RunnerSettings(**tunables))


def onboarded(running: RunningEmulator) -> Counter[str]:
    return Counter(a.account_id for a in running.emulator.state.accounts if a.cloud_type == "azure")


def test_bulk_rides_out_a_total_outage_with_no_manual_resume(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=0.5)
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    specs = [subscription_spec(name=f"outage-{i:02d}") for i in range(ROWS)]
    job_ids = [store.create_job(s, secret="shared-sp-secret") for s in specs]
    with short_retry_client(running) as client:
        runner = make_runner(store, client)
        # Once 2 are done, every route answers 503 for 4 s, then drops connections for 4 s.
        run, jobs, done_before = bulk_through_outage(running, store, runner, job_ids, done_first=2)
    paused = run.paused[0]  # the jobs paused at the end of the 503 phase

    assert [j.state for j in jobs] == [JobState.DONE] * ROWS, [(j.name, j.state, j.error) for j in jobs]
    counts = onboarded(running)
    assert all(counts[s.subscription_id or ""] == 1 for s in specs), counts
    breaker = runner.breaker(None)
    assert not breaker.is_open and len(breaker.outages) >= 1
    reasons = waiting_reasons(store, job_ids)
    assert len(reasons) >= 4, "the running jobs paused in 'waiting'"
    assert paused, "during the outage the paused jobs read as paused (not at rest) in the store"
    assert all(j.state is JobState.WAITING and not j.at_rest and not j.can_resume for j in paused)
    # Switching the plan from 503 to drops (DELETE then POST) leaves a moment when the API answers: a
    # probe that lands in it ends the first outage and the drops open a second one, as a flapping API would.
    causes = {r.split(" since ", 1)[0] for r in reasons}
    assert causes <= {"the API answered 503", "the API could not be reached"}, reasons
    assert "the API answered 503" in causes
    assert all("retrying every 0.5 s" in r for r in reasons)
    probes = breaker.probes
    assert 1 <= probes <= 2 * (10.0 / 0.5 + 4), f"{probes} probes: one per interval, not one per job"
    assert store.integrity_check() == "ok"
    accounts = sum(counts[s.subscription_id or ""] for s in specs)
    figures = outage_figures(run, store, job_ids, jobs, done_before, causes, breaker)
    record_figures("outage_bulk", {**figures, "waiting_events": len(reasons), "accounts": accounts})


def test_outage_longer_than_the_budget_fails_the_jobs_resumably(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=0.5)
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    specs = [subscription_spec(name=f"budget-{i:02d}") for i in range(8)]
    job_ids = [store.create_job(s, secret="shared-sp-secret") for s in specs]
    with short_retry_client(running) as client:
        runner = make_runner(store, client, outage_budget=2.0)
        thread, jobs = run_in_background(runner, job_ids)
        wait_for_done(store, job_ids, 1)
        outage(running, 503)
        thread.join(60)
        assert not thread.is_alive()
        recover(running)

    failed = [j for j in jobs if j.state is JobState.FAILED]
    assert failed, [(j.name, j.state) for j in jobs]
    assert {j.state for j in jobs} <= {JobState.DONE, JobState.FAILED}
    for job in failed:
        assert job.error is not None and "longer than the outage budget (2 s)" in job.error
        assert "answered 503 since" in job.error and "resume --all" in job.error
        assert job.can_resume
        assert not any(s.state == "failed" for s in job.steps), "no step failed: the outage stopped them"

    with short_retry_client(running) as client:
        again = make_runner(store, client)
        resumed = run_all([j.id for j in failed], again.run, 4)
    assert [j.state for j in resumed] == [JobState.DONE] * len(failed), [(j.name, j.error) for j in resumed]
    counts = onboarded(running)
    assert all(counts[s.subscription_id or ""] == 1 for s in specs), counts
    record_figures(
        "outage_budget",
        {
            "rows": len(specs),
            "budget_s": 2.0,
            "failed_by_budget": len(failed),
            "done_before": len(jobs) - len(failed),
            "done_after_resume": sum(1 for j in resumed if j.ok),
            "accounts": sum(counts[s.subscription_id or ""] for s in specs),
        },
    )
