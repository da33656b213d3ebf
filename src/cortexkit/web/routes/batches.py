"""A bulk run's page: "7 of 20 done, 1 failed, 2 waiting" and a live per-job list.

A batch is the jobs the bulk form created with the idempotency keys `<batch>:<row>`, so its address is
`/batches/<batch>` whatever its size (the old redirect listed every job id in the URL, which a
1,700-row batch turned into a 72 KB address the server refused).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from cortexkit.onboarding.states import JobState
from cortexkit.web.deps import FriendlyError, render, settings_of

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.records import JobRecord

router = APIRouter()

BATCH_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
ORDER = (
    JobState.DONE,
    JobState.FAILED,
    JobState.WAITING,
    JobState.NEEDS_ATTENTION,
    JobState.CANCELLED,
    JobState.RUNNING,
    JobState.PENDING,
)
WORDS = {JobState.NEEDS_ATTENTION: "need attention"}


def batch_job_ids(store: Any, batch: str) -> list[str]:
    """The batch's job ids in CSV row order, in one store query."""
    keyed: dict[str, str] = store.keyed_jobs(f"{batch}:")

    def row(key: str) -> int:
        suffix = key.rsplit(":", 1)[-1]
        return int(suffix) if suffix.isdigit() else -1

    return [keyed[key] for key in sorted(keyed, key=row)]


@dataclass(frozen=True)
class Progress:
    total: int
    counts: dict[str, int]

    @property
    def finished(self) -> bool:
        """Every job has finished (waiting ones wait for a person, so the list keeps polling them)."""
        return all(JobState(state).finished for state, n in self.counts.items() if n)

    @property
    def text(self) -> str:
        """`7 of 20 done, 1 failed, 2 waiting`: done first, then every other state that has jobs."""
        done = self.counts.get(JobState.DONE, 0)
        parts = [f"{done} of {self.total} done"]
        for state in ORDER[1:]:
            n = self.counts.get(state, 0)
            if n:
                parts.append(f"{n} {WORDS.get(state, str(state))}")
        return ", ".join(parts)


def progress(jobs: list[JobRecord]) -> Progress:
    counts = Counter(str(j.state) for j in jobs)
    return Progress(len(jobs), dict(counts))


def _batch(request: Request, batch: str) -> list[JobRecord]:
    if not BATCH_ID.match(batch):
        raise FriendlyError(404, "No such batch", "That is not a batch address.", "See the Jobs page.")
    store = settings_of(request).backend.store
    ids = batch_job_ids(store, batch)
    if not ids:
        raise FriendlyError(
            404, "No such batch", f"No job was started by batch {batch}.", "See the Jobs page."
        )
    by_id = {j.id: j for j in store.list_jobs()}
    return [by_id[i] for i in ids if i in by_id]


@router.get("/batches/{batch}")
def batch_page(request: Request, batch: str) -> Response:
    jobs = _batch(request, batch)
    return render(request, "batch.html", batch=batch, jobs=jobs, progress=progress(jobs))


@router.get("/api/batches/{batch}")
def batch_json(request: Request, batch: str) -> JSONResponse:
    """The batch's counts and each job's id and state (small: the page polls it while jobs run)."""
    jobs = _batch(request, batch)
    done = progress(jobs)
    return JSONResponse(
        {
            "batch": batch,
            "total": done.total,
            "counts": done.counts,
            "text": done.text,
            "finished": done.finished,
            "jobs": [{"id": j.id, "state": str(j.state), "finished": j.finished} for j in jobs],
        }
    )
