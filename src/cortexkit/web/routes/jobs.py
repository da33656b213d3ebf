"""Jobs list, job page, its live event stream, and resume / cancel.

Every handler reads the engine's `JobRecord` and renders it (pages) or its `as_dict` (JSON) as is; the
state words and what a state allows (`can_resume`, `can_cancel`, `finished`) are the engine's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from cortexkit import errors as api_errors
from cortexkit.onboarding.states import JobState
from cortexkit.web import sse
from cortexkit.web.cortexview import cortex_view
from cortexkit.web.deps import FriendlyError, render, require_csrf, settings_of
from cortexkit.web.errors import explain
from cortexkit.web.joblog import log_text
from cortexkit.web.jobview import JobView, job_view
from cortexkit.web.views import end_text, event_json

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.records import JobRecord

router = APIRouter()

RETRY_MS = 2000
SECRET_FIELD = "client_secret"
LOG_SECRET_NAMES = (SECRET_FIELD, "key")


def _not_found(job_id: str) -> FriendlyError:
    return FriendlyError(
        404, "No such job", f"There is no onboarding job with id {job_id}.", "See the Jobs page."
    )


def _load(request: Request, job_id: str) -> JobRecord:
    job = settings_of(request).backend.store.get_job(job_id)
    if job is None:
        raise _not_found(job_id)
    return job


def filter_jobs(jobs: list[JobRecord], state: str, q: str, batch: list[str]) -> list[JobRecord]:
    needle = q.strip().lower()
    return [
        j
        for j in jobs
        if (not state or j.state == state)
        and (not batch or j.id in batch)
        and (
            not needle
            or needle in f"{j.id} {j.name} {j.spec.subscription_id or ''} {j.spec.tenant_id}".lower()
        )
    ]


@router.get("/jobs")
def jobs_list(request: Request, state: str = "", q: str = "", batch: str = "") -> Response:
    jobs = settings_of(request).backend.store.list_jobs()
    wanted = [b for b in batch.split(",") if b]
    shown = filter_jobs(jobs, state, q, wanted)
    shown.sort(key=lambda j: j.created_at, reverse=True)
    return render(
        request,
        "jobs.html",
        jobs=shown,
        total=len(jobs),
        state=state,
        q=q,
        batch=batch,
        states=[str(s) for s in JobState],
    )


@router.get("/api/jobs")
def jobs_json(request: Request, state: str = "") -> JSONResponse:
    """Every job's summary (the leading fields of `/api/jobs/{id}`), oldest first."""
    if state and state not in set(JobState):
        raise FriendlyError(
            400, "Unknown state", f"{state!r} is not a job state.", "Use one of: " + ", ".join(JobState) + "."
        )
    jobs = settings_of(request).backend.store.list_jobs(JobState(state) if state else None)
    return JSONResponse({"jobs": [j.summary() for j in jobs]})


def _api_url(request: Request, profile: str | None) -> str:
    try:
        profiles = settings_of(request).backend.profiles()
    except Exception:
        return ""
    wanted = profile or settings_of(request).default_profile or ""
    found = next((p for p in profiles if p.name == wanted), None) or next(
        (p for p in profiles if p.is_default), None
    )
    return found.api_url if found else ""


def _view(request: Request, job: JobRecord) -> JobView:
    settings = settings_of(request)
    profile = job.spec.profile or settings.default_profile

    def read_account(account_id: str) -> object | None:
        with settings.backend.client_factory(profile) as client:
            try:
                found: object = client.cloud_accounts.get("azure", account_id)
            except api_errors.NotFoundError:
                return None
            return found

    return job_view(job, read_account, _api_url(request, profile))


def page_end_text(job: JobRecord, *, held: bool = False) -> str:
    if held and (job.at_rest or job.orphaned):  # resumed here: queued for a worker, not yet claimed
        return "Resumed: queued for one of this UI's workers; it carries on as soon as one is free."
    if job.orphaned:
        return end_text(job.state, orphaned=True)
    return end_text(job.state) if job.at_rest else ""


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    job = _load(request, job_id)
    held = settings_of(request).backend.holds_job(job_id)
    return render(
        request,
        "job.html",
        job=job,
        view=_view(request, job),
        cx=cortex_view(job),
        end_text=page_end_text(job, held=held),
        held=held,
    )


@router.get("/api/jobs/{job_id}")
def job_json(request: Request, job_id: str) -> JSONResponse:
    return JSONResponse(_load(request, job_id).as_dict())


@router.get("/jobs/{job_id}/log.txt")
def job_log(request: Request, job_id: str) -> Response:
    """The job's log as a text file, grouped by step, with the job's own secrets masked."""
    store = settings_of(request).backend.store
    job = _load(request, job_id)
    events = []
    after = 0
    while batch := store.events_after(job_id, after, 1000):
        events.extend(batch)
        after = batch[-1].id
    found = (store.get_secret(job_id, name) for name in LOG_SECRET_NAMES)
    secrets = tuple(secret.reveal() for secret in found if secret is not None)
    headers = {"Content-Disposition": f'attachment; filename="cortexkit-job-{job_id[:8]}.log"'}
    return PlainTextResponse(log_text(job, events, secrets), headers=headers)


async def existing_job(request: Request, job_id: str) -> None:
    """Checked as a dependency so an unknown id is a plain 404, not an error inside an open stream."""
    store = settings_of(request).backend.store
    if await anyio.to_thread.run_sync(store.get_job, job_id) is None:
        raise _not_found(job_id)


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

    yield ServerSentEvent(comment="stream open", retry=RETRY_MS)
    async for frame in sse.tail(
        store,
        job_id,
        start,
        job=lambda: store.get_job(job_id),
        held=lambda: settings.backend.holds_job(job_id),
        poll_interval=settings.poll_interval,
    ):
        if await request.is_disconnected():
            return
        if frame.event is not None:
            yield ServerSentEvent(data=event_json(frame.event), event="job", id=str(frame.event.id))
        elif frame.end_state is not None:
            message = end_text(frame.end_state, orphaned=frame.orphaned)
            yield ServerSentEvent(
                data={"state": frame.end_state, "orphaned": frame.orphaned, "message": message}, event="end"
            )


@router.post("/jobs/{job_id}/cancel", dependencies=[Depends(require_csrf)])
async def cancel(request: Request, job_id: str) -> Response:
    settings = settings_of(request)
    job = _load(request, job_id)
    if job.cancel_cleans_up:  # a failed / needs-attention Cortex job: its cleanup runs now
        await anyio.to_thread.run_sync(_cancel_settled, request, job)
    else:
        await anyio.to_thread.run_sync(settings.backend.store.request_cancel, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _cancel_settled(request: Request, job: JobRecord) -> None:
    """Cancel a Cortex job that already ended: `cleanup.cancel_settled` deletes the PENDING instance it
    made and ends it `cancelled` (what it did is the job's error text, shown on its page). A refused
    deletion is an outcome, not an error; a job another runner or user moved meanwhile is refused."""
    from cortexkit.onboarding.cortexflow.cleanup import cancel_settled
    from cortexkit.onboarding.store import JobBusyError, JobStateChangedError

    settings = settings_of(request)
    try:
        with settings.backend.client_factory(job.spec.profile or settings.default_profile) as client:
            cancel_settled(settings.backend.store, job.id, client)
    except (JobBusyError, JobStateChangedError) as exc:
        raise FriendlyError(
            409, "Not cancelled", f"{exc}.", "Reload the page to see the job as it is now."
        ) from None
    except api_errors.CortexkitError as exc:  # no usable Cortex credentials for the cleanup
        info = explain(exc, cortex=True)
        raise FriendlyError(info.status, "Not cancelled", info.message, info.action) from None


@router.post("/jobs/{job_id}/resume", dependencies=[Depends(require_csrf)])
async def resume(request: Request, job_id: str) -> Response:
    settings = settings_of(request)
    job = _load(request, job_id)
    if not job.can_resume:
        raise FriendlyError(
            409,
            "Nothing to resume",
            f"Job {job_id} is {job.state}; only failed or waiting jobs, and running ones whose runner is "
            "gone, resume.",
            "",
        )

    def check_keys_then_start() -> None:
        # A store with no usable key says so (the StoreKeyError page) before the job is claimed.
        settings.backend.store.require_keys([job])
        settings.backend.start_job(job_id)

    await anyio.to_thread.run_sync(check_keys_then_start)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/jobs/{job_id}/secret", dependencies=[Depends(require_csrf)])
async def give_secret(request: Request, job_id: str) -> Response:
    """Store the Azure client secret a job lacks (write-only: never shown again) and resume the job."""
    settings = settings_of(request)
    job = _load(request, job_id)
    if not job.can_resume:
        raise FriendlyError(
            409,
            "The job is not stopped",
            f"Job {job_id} is {job.state}; a secret can be given to a failed or waiting job.",
            "",
        )
    form = await request.form()
    value = form.get(SECRET_FIELD)
    secret = value.strip() if isinstance(value, str) else ""
    if not secret:
        raise FriendlyError(
            400,
            "No secret given",
            "The client secret field was empty, so the job was not resumed.",
            "Paste the Azure app registration's client secret and send it again.",
        )

    def store_and_start() -> None:
        settings.backend.store.put_secret(job_id, SECRET_FIELD, secret)
        settings.backend.start_job(job_id)

    await anyio.to_thread.run_sync(store_and_start)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)
