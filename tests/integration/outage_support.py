"""An API outage made with the emulator's fault plans, for the bulk-through-an-outage proofs (Prisma and
Cortex): routes fail with one status (or drop the connection) until `recover`; a bulk run in the
background through a 503 phase then a dropped-connection phase; the reasons the jobs gave when they
paused in `waiting`; the figures docs/RELIABILITY.md quotes of such a run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.breaker import OutageBreaker
from cortexkit.onboarding.bulk import run_all
from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.runner import Runner
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore

EVERY_ROUTE = "* /*"


def outage(running: RunningEmulator, kind: int | str, route: str = EVERY_ROUTE) -> None:
    """Every route matching `route` fails with `kind` (a status, or "drop") until `recover`; a plan already
    in place is replaced."""
    recover(running)
    plan = {"route": route, "statuses": [kind], "count": 10**9}
    httpx.post(f"{running.url}/_emulator/faults", json=plan, timeout=10).raise_for_status()


def recover(running: RunningEmulator) -> None:
    httpx.delete(f"{running.url}/_emulator/faults", timeout=10).raise_for_status()


def waiting_reasons(store: JobStore, job_ids: list[str]) -> list[str]:
    """The error of every `waiting` event of these jobs: why each pause happened."""
    return [
        str(e.payload.get("error"))
        for job_id in job_ids
        for e in store.events_after(job_id, 0, limit=10_000)
        if e.type == "job" and e.payload.get("state") == JobState.WAITING
    ]


def run_in_background(runner: Runner, job_ids: list[str]) -> tuple[threading.Thread, list[JobRecord]]:
    """The jobs run 4 at a time on a daemon thread; the list fills with their records when it ends."""
    results: list[JobRecord] = []
    thread = threading.Thread(target=lambda: results.extend(run_all(job_ids, runner.run, 4)), daemon=True)
    thread.start()
    return thread, results


def wait_for_done(store: JobStore, job_ids: list[str], count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for j in job_ids if store.require_job(j).state is JobState.DONE) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} jobs done after {timeout} s")


@dataclass
class OutageRun:
    """When a bulk through an outage started, the outage began and ended, and the bulk ended (monotonic
    seconds), and the jobs seen paused at the end of each phase."""

    started: float
    outage_started: float = 0.0
    recovered: float = 0.0
    finished: float = 0.0
    paused: list[list[JobRecord]] = field(default_factory=list)


def ride_outage(
    running: RunningEmulator,
    store: JobStore,
    job_ids: list[str],
    run: OutageRun,
    route: str = EVERY_ROUTE,
    seconds: float = 4.0,
    *,
    until: Callable[[list[JobRecord]], bool] | None = None,
    longest: float = 30.0,
) -> None:
    """`route` answers 503 for `seconds`, then drops connections for `seconds`, then recovers; the jobs
    paused at the end of each phase are kept in `run.paused`.

    With `until`, the 503 phase lasts past `seconds` until `until(paused jobs)` holds (at most `longest`
    seconds): what a test needs to see paused is then there however slow the machine is, instead of
    whatever the jobs reached in `seconds`."""
    run.outage_started = time.monotonic()
    for kind in (503, "drop"):
        outage(running, kind, route)
        wait_for = until if kind == 503 else None
        start = time.monotonic()
        while True:
            time.sleep(0.1)
            paused = [j for j in (store.require_job(i) for i in job_ids) if j.paused]
            elapsed = time.monotonic() - start
            if elapsed >= seconds and (wait_for is None or wait_for(paused) or elapsed >= longest):
                break
        run.paused.append(paused)
    recover(running)
    run.recovered = time.monotonic()


def bulk_through_outage(
    running: RunningEmulator,
    store: JobStore,
    runner: Runner,
    job_ids: list[str],
    *,
    done_first: int,
    route: str = EVERY_ROUTE,
    until: Callable[[list[JobRecord]], bool] | None = None,
    wait_seconds: float = 60.0,
    join_seconds: float = 120.0,
) -> tuple[OutageRun, list[JobRecord], int]:
    """The bulk runs in the background; once `done_first` jobs are done (the others mid-step) the API
    goes down (`ride_outage`), and the bulk must then end by itself, with no resume. Returns the run's
    timeline, the jobs' final records and how many were done before the outage."""
    run = OutageRun(started=time.monotonic())
    thread, jobs = run_in_background(runner, job_ids)
    wait_for_done(store, job_ids, done_first, timeout=wait_seconds)
    done_before = sum(1 for j in job_ids if store.require_job(j).ok)
    ride_outage(running, store, job_ids, run, route, until=until)
    thread.join(join_seconds)
    assert not thread.is_alive(), "the bulk did not carry on by itself after the outage"
    run.finished = time.monotonic()
    return run, jobs, done_before


def outage_figures(
    run: OutageRun,
    store: JobStore,
    job_ids: list[str],
    jobs: list[JobRecord],
    done_before: int,
    causes: set[str],
    breaker: OutageBreaker,
    **more: Any,
) -> dict[str, Any]:
    """The figures of a bulk through an outage that both proofs record, plus `more`."""
    return {
        "rows": len(job_ids),
        "done_before_outage": done_before,
        "outage_s": round(run.recovered - run.outage_started, 1),
        "bulk_wall_s": round(run.finished - run.started, 1),
        "after_recovery_s": round(run.finished - run.recovered, 1),
        "jobs_paused": sum(1 for j in job_ids if waiting_reasons(store, [j])),
        "causes": sorted(causes),
        "probes": breaker.probes,
        "breaker_outages_s": [round(o, 1) for o in breaker.outages],
        "done": sum(1 for j in jobs if j.ok),
        "manual_resumes": 0,
        **more,
    }
