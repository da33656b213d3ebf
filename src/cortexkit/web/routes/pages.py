"""Connection page and cloud accounts list."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from cortexkit.web.cortexaccounts import read_cortex_accounts
from cortexkit.web.deps import render, settings_of
from cortexkit.web.errors import explain
from cortexkit.web.settings import ConnectionReport
from cortexkit.web.views import get, to_epoch

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.records import JobRecord

router = APIRouter()


@router.get("/")
def connection(request: Request) -> Response:
    settings = settings_of(request)
    try:
        profiles = settings.backend.profiles()
        problem = None
    except Exception as exc:
        profiles, problem = [], explain(exc)
    return render(request, "connection.html", profiles=profiles, problem=problem)


@router.get("/api/connection")
def check_connection(request: Request, profile: str = "") -> JSONResponse:
    """Log in with one profile and report what it reaches; one call per profile so the page fills in."""
    settings = settings_of(request)
    try:
        report = settings.backend.check_profile(profile)
    except Exception as exc:
        info = explain(exc, cortex=settings.cortex)
        dialect = "cortex" if settings.cortex else "prisma"
        message = f"{info.message} {info.action}".strip()
        report = ConnectionReport(profile=profile, ok=False, message=message, dialect=dialect)
    return JSONResponse(asdict(report))


def account_row(raw: Any) -> dict[str, Any]:
    """The columns of the accounts table, flattened from `GET /cloud` items."""
    enabled = get(raw, "enabled")
    return {
        "name": str(get(raw, "name", "") or ""),
        "account_id": str(get(raw, "accountId", get(raw, "account_id", "")) or ""),
        "cloud_type": str(get(raw, "cloudType", get(raw, "cloud_type", "")) or ""),
        "account_type": str(get(raw, "accountType", get(raw, "account_type", "")) or ""),
        "status": "enabled" if enabled else "disabled" if enabled is not None else "unknown",
        "modified": to_epoch(get(raw, "lastModifiedTs", get(raw, "addedOn"))),
        "groups": ", ".join(str(g) for g in (get(raw, "groupIds") or get(raw, "accountGroupNames") or [])),
    }


def attach_jobs(rows: list[dict[str, Any]], jobs: list[JobRecord]) -> None:
    """Link each account to the latest local onboarding job for it, if any."""
    latest: dict[str, JobRecord] = {}
    for job in sorted(jobs, key=lambda j: j.created_at):
        if job.prisma_account_id:
            latest[job.prisma_account_id.lower()] = job
    for row in rows:
        match = latest.get(row["account_id"].lower())
        row["job_id"] = match.id if match else ""
        row["job_state"] = match.state if match else ""


def filter_accounts(rows: list[dict[str, Any]], q: str, cloud: str, status: str) -> list[dict[str, Any]]:
    needle = q.strip().lower()
    return [
        r
        for r in rows
        if (not needle or needle in f"{r['name']} {r['account_id']}".lower())
        and (not cloud or r["cloud_type"] == cloud)
        and (not status or r["status"] == status)
    ]


def _jobs(request: Request) -> list[JobRecord]:
    try:
        return settings_of(request).backend.store.list_jobs()
    except Exception:  # the list still helps without the job column
        return []


@router.get("/accounts")
def accounts(request: Request, q: str = "", cloud: str = "", status: str = "", profile: str = "") -> Response:
    settings = settings_of(request)
    problem = None
    rows: list[dict[str, Any]] = []
    instances: list[dict[str, Any]] = []
    jobs = _jobs(request)
    try:
        with settings.backend.client_factory(profile or settings.default_profile) as client:
            if settings.cortex:
                found = read_cortex_accounts(client, jobs)
                rows, instances = found.accounts, found.instances
            else:
                rows = [account_row(a) for a in client.cloud_accounts.list()]
    except Exception as exc:
        problem = explain(exc, cortex=settings.cortex)
    if not settings.cortex:
        attach_jobs(rows, jobs)
    clouds = sorted({r["cloud_type"] for r in rows if r["cloud_type"]})
    shown = filter_accounts(rows, q, cloud, status)
    shown.sort(key=lambda r: (r["cloud_type"], r["name"].lower()))
    return render(
        request,
        "accounts.html",
        rows=shown,
        total=len(rows),
        clouds=clouds,
        q=q,
        cloud=cloud,
        status=status,
        problem=problem,
        instances=sorted(instances, key=lambda r: (r["name"] or "").lower()),
    )
