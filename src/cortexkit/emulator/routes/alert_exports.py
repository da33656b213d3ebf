"""The alert CSV export job (Alerts.json): `POST /alert/csv`, `GET /alert/csv/{id}/status`, `.../download`.

A job fixes the alerts it exports when it is submitted (the filters and time range of the body resolved
then; `sortBy`, `limit` and `pageToken` do not apply, as the spec says) and turns `READY_TO_DOWNLOAD`
`EXPORT_SECONDS` later on the emulator clock, so a client's poll loop runs as against the service and a
test moves it on with `POST /_emulator/clock`. The download streams the rows, so a million-alert export
costs no more memory than its index list.
"""

from __future__ import annotations

import csv
import io
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from cortexkit.emulator import errors
from cortexkit.emulator.alertstore import AlertQuery, AlertQueryError
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.routes.alerts import MAX_LIMIT, spec_from_body
from cortexkit.emulator.routeutil import clip, flag, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Alerts"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

JOBS_KEY = "alert_csv_jobs"
EXPORT_SECONDS = 2
ROWS_PER_CHUNK = 500
# FilterModel fields the spec says do not apply to an export job.
PAGING_FIELDS = frozenset({"sortBy", "limit", "pageToken", "offset"})
# The columns of the export. The real file's columns are undocumented; these are the alert list's
# fields under the console's names (scripts read e.g. "Policy Severity" from the real file).
COLUMNS = (
    "Alert ID",
    "Status",
    "Alert Time",
    "Policy Name",
    "Policy Type",
    "Description",
    "Policy Labels",
    "Policy Severity",
    "Resource Name",
    "Resource ID",
    "Resource Type",
    "Cloud Type",
    "Cloud Account Id",
    "Cloud Account Name",
    "Region",
    "Cloud Service",
    "Recommendation",
    "Alert Rule Name",
    "Reason",
    "Dismissed By",
    "Dismissal Note",
)


@dataclass(frozen=True)
class ExportJob:
    id: str
    created_by: str
    created_on: int
    indices: array[int]

    def ready_at(self) -> int:
        return self.created_on + EXPORT_SECONDS * 1000

    def view(self, now_ms: int) -> dict[str, Any]:
        """The spec's `AsyncJob`."""
        ready = now_ms >= self.ready_at()
        return {
            "id": self.id,
            "status": "READY_TO_DOWNLOAD" if ready else "IN_PROGRESS",
            "createdBy": self.created_by,
            "createdOn": self.created_on,
            "lastModified": self.ready_at() if ready else self.created_on,
            "recordCount": len(self.indices),
            "timeTaken": EXPORT_SECONDS * 1000 if ready else now_ms - self.created_on,
            "statusUri": f"/alert/csv/{self.id}/status",
            "downloadUri": f"/alert/csv/{self.id}/download",
        }


def _jobs(state: TenantState) -> dict[str, ExportJob]:
    """The tenant's jobs; `state.extensions` is emptied on reset, so jobs go with the rest."""
    jobs: dict[str, ExportJob] = state.extensions.setdefault(JOBS_KEY, {})
    return jobs


def _job(state: TenantState, job_id: str) -> ExportJob:
    job = _jobs(state).get(job_id)
    if job is None:
        raise errors.RedlockError(404, "not_found", subject=clip(f"Job Id {job_id} not found"))
    return job


def csv_row(alert: dict[str, Any]) -> list[str]:
    """One rendered `AlertModel` as a row of `COLUMNS`."""
    policy = alert.get("policy") or {}
    resource = alert.get("resource") or {}
    return [
        alert["id"],
        alert["status"],
        str(alert["alertTime"]),
        policy.get("name", ""),
        policy.get("policyType", ""),
        policy.get("description", ""),
        ",".join(policy.get("labels", [])),
        policy.get("severity", ""),
        resource.get("name", ""),
        resource.get("id", ""),
        resource.get("resourceType", ""),
        resource.get("cloudType", ""),
        resource.get("accountId", ""),
        resource.get("account", ""),
        resource.get("regionId", ""),
        resource.get("cloudServiceName", ""),
        policy.get("recommendation", ""),
        ",".join(rule["name"] for rule in alert.get("alertRules", [])),
        alert.get("reason", ""),
        alert.get("dismissedBy", ""),
        alert.get("dismissalNote", ""),
    ]


def _rows(state: TenantState, job: ExportJob) -> Iterator[str]:
    """The CSV text in chunks, each rendered under the state lock on the clock of its own moment."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for start in range(0, len(job.indices), ROWS_PER_CHUNK):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        with state.lock:
            now = state.now_ms()
            for i in job.indices[start : start + ROWS_PER_CHUNK]:
                writer.writerow(csv_row(state.alerts.render(i, now, True)))
        yield out.getvalue()


@router.post("/alert/csv")
async def submit_alert_csv_job(
    request: Request, principal: Auth, emu: Emu, detailed: str | None = None
) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    filters = {k: v for k, v in body.items() if k not in PAGING_FIELDS}
    is_detailed = flag(detailed) if detailed is not None else bool(body.get("detailed", False))
    spec = spec_from_body(state, filters, detailed=is_detailed, default_limit=MAX_LIMIT)
    query = AlertQuery(
        filters={k: tuple(v) for k, v in spec["f"].items()},
        start_ms=spec["a"],
        end_ms=spec["b"],
        descending=spec["d"],
    )
    with state.lock:
        now = state.now_ms()
        try:
            matched, _total = state.alerts.search(query, now, None, max(1, state.alerts.index.n))
        except AlertQueryError as exc:
            raise errors.RedlockError(400, "invalid_parameter_value", subject=clip(exc.subject)) from None
        job = ExportJob(str(uuid.uuid4()), principal.access_key_id, now, array("q", matched))
        _jobs(state)[job.id] = job
    return job.view(now)


@router.get("/alert/csv/{job_id}/status")
async def alert_csv_job_status(job_id: str, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    return _job(state, job_id).view(state.now_ms())


@router.get("/alert/csv/{job_id}/download", response_model=None)
async def download_alert_csv(job_id: str, _: Auth, emu: Emu) -> StreamingResponse:
    """The CSV once the job is ready (`Content-Type: text/csv` exactly, which prismacloud-api keys on);
    before that a 400 `internal_error` (the only 400 the spec lists) whose subject says it is not ready."""
    state = state_of(emu)
    job = _job(state, job_id)
    if state.now_ms() < job.ready_at():
        raise errors.RedlockError(400, "internal_error", subject=f"job {job_id} is IN_PROGRESS")
    return StreamingResponse(
        _rows(state, job),
        headers={
            "Content-Type": "text/csv",
            "Content-Disposition": f'attachment; filename="alerts-{job_id}.csv"',
        },
    )
