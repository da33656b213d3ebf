"""Compliance reports (Reports.json): `GET|POST /report`, `GET|DELETE /report/{id}`, `/report/{id}/download`,
`GET /report/type`; what prismacloud-api's `compliance_report_*` calls use.

A report is generated from the data as it is when it is created (the posture of each standard in
`target.complianceStandardIds`, narrowed to the target's accounts, groups and regions), and becomes
downloadable `GENERATION_SECONDS` later on the emulator clock; until then the download is a 204
("pending", as the spec says). A COMPLIANCE report downloads as a PDF; the other types as CSV of the
inventory in scope, gzip-compressed (`application/x-gzip`) when `target.compressionEnabled` is set.
Scheduling is accepted and echoed but never runs again; `PUT`, `/v2/report` and the history routes are
not emulated.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from cortexkit.emulator import errors, reportfile, timerange
from cortexkit.emulator.catalog import STANDARDS
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.routes.compliance import posture, standard_uuid
from cortexkit.emulator.routeutil import clip, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Reports"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

REPORTS_KEY = "compliance_reports"
GENERATION_SECONDS = 2
CLOUD_TYPES = ("aws", "azure", "gcp", "alibaba_cloud", "oci")
REPORT_TYPES = ("COMPLIANCE", "RIS", "INVENTORY_OVERVIEW", "INVENTORY_DETAIL")
LIST_FILTERS = {"cloud.type": "cloudType", "report_view": "type"}
INVENTORY_HEADER = [
    "Resource ID",
    "Name",
    "Cloud Type",
    "Account ID",
    "Account Name",
    "Region",
    "Service",
    "Type",
]


@dataclass(frozen=True)
class Report:
    config: dict[str, Any]
    ready_at: int
    content: bytes
    media_type: str

    def view(self, now_ms: int) -> dict[str, Any]:
        """The spec's `ReportGenerationConfigApiModel`."""
        done = now_ms >= self.ready_at
        stamps = {"lastScheduled": self.ready_at} if done else {}
        return {**self.config, **stamps, "status": "completed" if done else "pending"}


def _reports(state: TenantState) -> dict[str, Report]:
    """The tenant's reports; `state.extensions` is emptied on reset, so reports go with the rest."""
    reports: dict[str, Report] = state.extensions.setdefault(REPORTS_KEY, {})
    return reports


def _missing(name: str) -> errors.RedlockError:
    return errors.RedlockError(400, "missing_required_parameter", subject=name)


def _invalid(subject: str) -> errors.RedlockError:
    return errors.RedlockError(400, "invalid_parameter_value", subject=clip(subject))


def _strings(target: dict[str, Any], name: str) -> list[str]:
    value = target.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(f"target.{name} must be a list of strings")
    return list(value)


def _standards(target: dict[str, Any], kind: str) -> list[tuple[str, str]]:
    """(uuid, name) of each standard the target names; a COMPLIANCE report needs at least one."""
    by_uuid = {standard_uuid(s[0]): s[1] for s in STANDARDS}
    ids = _strings(target, "complianceStandardIds")
    if kind == "COMPLIANCE" and not ids:
        raise _missing("target.complianceStandardIds")
    unknown = [i for i in ids if i not in by_uuid]
    if unknown:
        raise _invalid(f"target.complianceStandardIds: unknown standard {unknown[0]}")
    return [(i, by_uuid[i]) for i in ids]


def _scope(state: TenantState, cloud_type: str, target: dict[str, Any]) -> dict[str, set[str]]:
    """Posture filters for the target: its cloud, accounts (the groups' accounts too) and regions."""
    filters: dict[str, set[str]] = {"cloud.type": {cloud_type}}
    accounts = set(_strings(target, "accounts"))
    groups = set(_strings(target, "accountGroups"))
    for group in state.groups:
        if group.id in groups or group.name in groups:
            accounts.update(group.account_ids)
    if accounts or groups:
        filters["cloud.accountId"] = accounts
    regions = _strings(target, "regions")
    if regions:
        filters["cloud.region"] = set(regions)
    return filters


def _counts(summary: dict[str, Any]) -> dict[str, int]:
    """`ComplianceAggregateCount` from a posture summary (critical counts with high, as the model has
    no critical field)."""
    return {
        "failed": int(summary["failedResources"]),
        "passed": int(summary["passedResources"]),
        "total": int(summary["totalResources"]),
        "highSeverityFailed": int(summary["criticalSeverityFailedResources"])
        + int(summary["highSeverityFailedResources"]),
        "mediumSeverityFailed": int(summary["mediumSeverityFailedResources"]),
        "lowSeverityFailed": int(summary["lowSeverityFailedResources"])
        + int(summary["informationalSeverityFailedResources"]),
    }


def _compliance_pdf(name: str, details: list[dict[str, Any]], end_ms: int) -> bytes:
    lines = [f"Prisma Cloud compliance report: {name}", f"Data as of {end_ms} (epoch ms)", ""]
    for row in details:
        severities = ", ".join(
            f"{s} {row[f'{s}SeverityFailedResources']}"
            for s in ("critical", "high", "medium", "low", "informational")
        )
        lines += [
            str(row["name"]),
            f"  passed {row['passedResources']}, failed {row['failedResources']}, "
            f"total {row['totalResources']}",
            f"  failed by severity: {severities}",
        ]
    return reportfile.pdf(lines)


def _inventory_csv(state: TenantState, filters: dict[str, set[str]]) -> bytes:
    accounts = filters.get("cloud.accountId")
    regions = filters.get("cloud.region")
    rows = [
        [r.id, r.name, r.cloud_type, r.account_id, r.account_name, r.region_id, r.service, r.resource_type]
        for r in state.resources
        if not r.deleted
        and r.cloud_type in filters["cloud.type"]
        and (accounts is None or r.account_id in accounts)
        and (regions is None or r.region_id in regions or r.region_name in regions)
    ]
    return reportfile.csv_bytes(INVENTORY_HEADER, rows)


def _create(state: TenantState, body: dict[str, Any], user: str) -> Report:
    cloud_type, name, target = body.get("cloudType"), body.get("name"), body.get("target")
    if cloud_type is None:
        raise _missing("cloudType")
    if not isinstance(cloud_type, str) or cloud_type.lower() not in CLOUD_TYPES:
        raise _invalid(f"cloudType must be one of {', '.join(CLOUD_TYPES)}")
    if not isinstance(name, str) or not name.strip():
        raise _missing("name")
    if not isinstance(target, dict):
        raise _missing("target")
    kind = body.get("type", "COMPLIANCE")
    if not isinstance(kind, str) or kind.upper() not in REPORT_TYPES:
        raise _invalid(f"type must be one of {', '.join(REPORT_TYPES)}")
    kind = kind.upper()
    if target.get("timeRange") is None:
        raise _missing("target.timeRange")
    now = state.now_ms()
    try:
        window = timerange.resolve(target["timeRange"], now, state.anchor_ms)
    except timerange.TimeRangeError as exc:
        raise _invalid(f"target.timeRange: {exc}") from None
    end_ms = now if window is None else min(window.end_ms, now)
    standards = _standards(target, kind)
    filters = _scope(state, cloud_type.lower(), target)
    result = posture(state, {**filters, "policy.complianceStandard": {n for _, n in standards}}, end_ms)
    report_id = str(uuid.uuid4())
    config: dict[str, Any] = {
        "id": report_id,
        "name": name,
        "type": kind,
        "cloudType": cloud_type.lower(),
        "locale": str(body.get("locale") or "en_us"),
        "target": target,
        "counts": _counts(result["summary"]),
        "createdBy": user,
        "createdOn": now,
        "lastModifiedBy": user,
        "lastModifiedOn": now,
        "totalInstanceCount": 1,
    }
    if standards:
        config["complianceStandardId"] = standards[0][0]
    if kind == "COMPLIANCE":
        content, media = _compliance_pdf(name, result["complianceDetails"], end_ms), "application/pdf"
    else:
        content, media = _inventory_csv(state, filters), "text/csv"
        if target.get("compressionEnabled") is True:
            content, media = reportfile.gzipped(content), "application/x-gzip"
    return Report(config, now + GENERATION_SECONDS * 1000, content, media)


def _find(state: TenantState, report_id: str) -> Report:
    report = _reports(state).get(report_id)
    if report is None:
        raise errors.RedlockError(404, "not_found", subject=clip(report_id))
    return report


@router.get("/report")
def list_reports(request: Request, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    """Every report, narrowed by `cloud.type` and `report_view` (the other documented names are
    accepted and narrow nothing)."""
    state = state_of(emu)
    wanted = {
        field: value.lower()
        for name, field in LIST_FILTERS.items()
        if (value := request.query_params.get(name))
    }
    with state.lock:
        now = state.now_ms()
        views = [r.view(now) for r in _reports(state).values()]
    return [v for v in views if all(str(v[f]).lower() == w for f, w in wanted.items())]


@router.post("/report")
async def create_report(request: Request, principal: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        report = _create(state, body, principal.access_key_id)
        _reports(state)[report.config["id"]] = report
        now = state.now_ms()
    state.record(
        principal.access_key_id, "CREATE", f"report '{report.config['name']}' created", "Report", "1"
    )
    return report.view(now)


@router.get("/report/type")
def report_types(_: Auth) -> dict[str, list[str]]:
    """Which report types each cloud offers: all four for the three major clouds, COMPLIANCE elsewhere."""
    return {c: list(REPORT_TYPES) if c in ("aws", "azure", "gcp") else ["COMPLIANCE"] for c in CLOUD_TYPES}


@router.get("/report/{report_id}")
def get_report(report_id: str, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    with state.lock:
        return _find(state, report_id).view(state.now_ms())


@router.delete("/report/{report_id}")
def delete_report(report_id: str, _: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    with state.lock:
        _find(state, report_id)
        del _reports(state)[report_id]
    return Response(status_code=204)


@router.get("/report/{report_id}/download")
def download_report(report_id: str, _: Auth, emu: Emu) -> Response:
    """204 while the report is generated, then the file (`Content-Type` exact, no charset: clients
    such as prismacloud-api compare it as a whole)."""
    state = state_of(emu)
    with state.lock:
        report = _find(state, report_id)
        if state.now_ms() < report.ready_at:
            return Response(status_code=204)
    suffix = {"application/pdf": "pdf", "text/csv": "csv"}.get(report.media_type, "csv.gz")
    return Response(
        report.content,
        headers={
            "Content-Type": report.media_type,
            "Content-Disposition": f'attachment; filename="report-{report_id}.{suffix}"',
        },
    )
