"""Drives cortexkit's onboarding engine the way `cortexkit onboard azure --from-csv` does (child side).

One shared Client (one token, one rate limiter) lent to every job, `bulk.run_all` over `Runner.run`
with `--concurrency 16` (one runner: one outage breaker for the bulk); the store is a SQLite file in the
run's scratch directory. The process's RSS is read after the 100th job and at the end (flat memory).
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

from bench.worker import Ctx
from cortexkit.client import Client
from cortexkit.onboarding.bulk import run_all
from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.runner import Runner, shared_client_factory
from cortexkit.onboarding.store import JobStore

# Imported with the module, before the workload's Meter starts: `Meter` times the work, "leaving imports
# and login outside" (the login stays inside here, as in the other workloads: the client logs in lazily).

POLL_INTERVAL_S = 1.0  # `--poll-interval 1`: the emulator settles the account status at once
# `--concurrency 16`: the engine's default of 4 jobs at a time is for a handful of subscriptions; a bulk
# run of hundreds is what the flag is for, and the shared client's rate limiter still paces every call.
CONCURRENCY = 16


def run_bulk(ctx: Ctx, subscriptions: list[str]) -> tuple[int, int, dict[str, Any]]:
    """(jobs done, jobs failed, extras) after running one job per subscription."""
    store = JobStore(f"sqlite:///{os.path.abspath('jobs.db')}")
    tenant = str(uuid.uuid5(uuid.NAMESPACE_DNS, "bench-tenant"))
    specs = []
    for i, sub in enumerate(subscriptions):
        spec = JobSpec(
            subscription_id=sub,
            tenant_id=tenant,
            name=f"bench-{i:04d}",
            provisioner="existing",
            client_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"app-{i}")),
            service_principal_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"sp-{i}")),
        )
        specs.append((spec, None))
    job_ids = store.create_jobs(specs, secret="bench-client-secret")  # as the CLI does: one transaction
    settings = RunnerSettings(verify_timeout=120.0, poll_interval=POLL_INTERVAL_S)
    finished = [0]
    rss: dict[str, float | None] = {}
    lock = threading.Lock()
    with Client(api_url=ctx.url, access_key_id=ctx.access_key_id, secret_key=ctx.secret_key) as client:
        runner = Runner(store, shared_client_factory(lambda: client), settings=settings)

        def run(job_id: str) -> Any:
            job = runner.run(job_id).brief()  # what the CLI keeps of a finished job
            with lock:
                finished[0] += 1
                if finished[0] == 100:
                    rss["rss_mb_at_100_jobs"] = current_rss_mb()
            return job

        load_start = load_average()
        jobs = run_all(job_ids, run, CONCURRENCY)
        rss["rss_mb_at_end"] = current_rss_mb()
        load_end = load_average()
        stats = client.stats
        breaker = runner.breaker(None)
    done = sum(1 for job in jobs if getattr(job, "ok", False))
    errors = sorted({str(getattr(job, "error", "")) for job in jobs if not getattr(job, "ok", False)})
    extra: dict[str, Any] = {
        "concurrency": CONCURRENCY,
        "client_retries": getattr(stats, "retries", None),
        "outages": len(breaker.outages),
        "load_avg_1m_start": load_start,
        "load_avg_1m_end": load_end,
        **{k: round(v, 1) for k, v in rss.items() if v is not None},
    }
    if errors:
        extra["job_errors"] = "; ".join(errors)[:300]
    store.close()
    return done, len(jobs) - done, extra


def load_average() -> float | None:
    """The machine's 1-minute load average (the 2 cores are shared: a reason the wall time can miss)."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def current_rss_mb() -> float | None:
    """This process's resident set now (VmRSS), in MB; None where /proc is not there."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return None
