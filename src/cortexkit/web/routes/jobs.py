"""Jobs list, job page, its live event stream, and resume / cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.responses import JSONResponse, RedirectResponse, Response

from cortexkit.web import sse
from cortexkit.web.deps import FriendlyError, render, require_csrf, settings_of
from cortexkit.web.views import JobView, job_view

router = APIRouter()

RETRY_MS = 2000


def _load(request: Request, job_id: str) -> JobView:
    settings = settings_of(request)
    raw = _fetch(settings.backend.store, job_id)
    if raw is None:
        raise FriendlyError(
            404, "No such job", f"There is no onboarding job with id {job_id}.", "See the Jobs page."
        )
    return settings.backend.job(raw)


def _fetch(store: Any, job_id: str) -> Any:
    try:
        return store.get_job(job_id)
    except (KeyError, LookupError):
        return None


def filter_jobs(jobs: list[JobView], state: str, q: str, batch: list[str]) -> list[JobView]:
    needle = q.strip().lower()
    return [
        j
        for j in jobs
        if (not state or j.state == state)
        and (not batch or j.id in batch)
        and (not needle or needle in f"{j.id} {j.name} {j.subscription_id} {j.tenant_id}".lower())
    ]


@router.get("/jobs")
def jobs_list(request: Request, state: str = "", q: str = "", batch: str = "") -> Response:
    settings = settings_of(request)
    jobs = [settings.backend.job(j) for j in settings.backend.store.list_jobs() or []]
    wanted = [b for b in batch.split(",") if b]
    shown = filter_jobs(jobs, state, q, wanted)
    shown.sort(key=lambda j: j.created or 0.0, reverse=True)
    states = sorted({j.state for j in jobs})
    return render(
        request, "jobs.html", jobs=shown, total=len(jobs), state=state, q=q, batch=batch, states=states
    )


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    return render(request, "job.html", job=_load(request, job_id))


@router.get("/api/jobs/{job_id}")
def job_json(request: Request, job_id: str) -> JSONResponse:
    return JSONResponse(_load(request, job_id).as_json())


async def existing_job(request: Request, job_id: str) -> None:
    """Checked as a dependency so an unknown id is a plain 404, not an error inside an open stream."""
    store = settings_of(request).backend.store
    if await anyio.to_thread.run_sync(_fetch, store, job_id) is None:
        raise FriendlyError(404, "No such job", f"There is no onboarding job with id {job_id}.", "")


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse, dependencies=[Depends(existing_job)])
async def job_events(
    request: Request,
    job_id: str,
    after: str | None = None,
    last_event_id: str | None = Header(default=None),
) -> AsyncIterator[ServerSentEvent]:
    """Tail the job's events; `id:` is the event row id so `Last-Event-ID` resumes without gaps."""
    settings = settings_of(request)
    store = settings.backend.store
    start = sse.parse_last_event_id(last_event_id, after)

    def state() -> str | None:
        raw = _fetch(store, job_id)
        return job_view(raw).state if raw is not None else "failed"

    yield ServerSentEvent(comment="stream open", retry=RETRY_MS)
    async for frame in sse.tail(store, job_id, start, job_state=state, poll_interval=settings.poll_interval):
        if await request.is_disconnected():
            return
        if frame.event is not None:
            yield ServerSentEvent(data=frame.event.as_json(), event="job", id=str(frame.event.id))
        else:
            yield ServerSentEvent(data={"state": frame.end_state}, event="end")


@router.post("/jobs/{job_id}/cancel", dependencies=[Depends(require_csrf)])
async def cancel(request: Request, job_id: str) -> Response:
    settings = settings_of(request)
    _load(request, job_id)
    await anyio.to_thread.run_sync(settings.backend.store.request_cancel, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/resume", dependencies=[Depends(require_csrf)])
async def resume(request: Request, job_id: str) -> Response:
    settings = settings_of(request)
    job = _load(request, job_id)
    if not job.can_resume:
        raise FriendlyError(
            409,
            "Nothing to resume",
            f"Job {job_id} is {job.state}; only failed or waiting jobs resume.",
            "",
        )
    await anyio.to_thread.run_sync(settings.backend.start_job, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
