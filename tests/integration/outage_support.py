"""An API outage made with the emulator's fault plans, for the bulk-through-an-outage proofs (Prisma and
Cortex): routes fail with one status (or drop the connection) until `recover`, and the reasons the jobs
gave when they paused in `waiting`."""

from __future__ import annotations

import httpx

from cortexkit.emulator.server import RunningEmulator
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
