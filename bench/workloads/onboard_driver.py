"""Drives cortexkit's onboarding engine for the bulk workload (child side, cortexkit's python only).

Written against docs/internals.md: JobStore(url).create_job(spec, secret, idempotency_key) and
Runner(store, client_factory).start(job_id), polling the store until every job is in a final state.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from bench.worker import Ctx, Progress

FINAL_STATES = frozenset({"done", "succeeded", "completed", "failed", "cancelled", "canceled"})
OK_STATES = frozenset({"done", "succeeded", "completed"})


def _state(job: Any) -> str:
    value = job.get("state") if isinstance(job, dict) else getattr(job, "state", "")
    return str(getattr(value, "value", value)).lower()


def run_bulk(ctx: Ctx, subscriptions: list[str], progress: Progress) -> tuple[int, int, dict[str, Any]]:
    from cortexkit.client import Client
    from cortexkit.onboarding.model import JobSpec
    from cortexkit.onboarding.runner import Runner
    from cortexkit.onboarding.store import JobStore

    store = JobStore(f"sqlite:///{os.path.abspath('jobs.db')}")
    tenant = str(uuid.uuid5(uuid.NAMESPACE_DNS, "bench-tenant"))
    job_ids = []
    for i, sub in enumerate(subscriptions):
        spec = JobSpec(
            subscription_id=sub,
            tenant_id=tenant,
            name=f"bench-{i:04d}",
            provisioner="existing",
            client_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"app-{i}")),
            service_principal_id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"sp-{i}")),
        )
        job_ids.append(store.create_job(spec, secret="bench-client-secret", idempotency_key=f"bench-{sub}"))

    def client_factory(*_args: Any, **_kwargs: Any) -> Client:
        return Client(api_url=ctx.url, access_key_id=ctx.access_key_id, secret_key=ctx.secret_key)

    runner = Runner(store, client_factory)
    for job_id in job_ids:
        runner.start(job_id)
    pending = set(job_ids)
    states: dict[str, str] = {}
    while pending:
        for job_id in list(pending):
            state = _state(store.get_job(job_id))
            if state in FINAL_STATES:
                states[job_id] = state
                pending.discard(job_id)
        done = sum(s in OK_STATES for s in states.values())
        progress.update(done, len(states) - done)
        time.sleep(0.1)
    done = sum(s in OK_STATES for s in states.values())
    return done, len(states) - done, {}
