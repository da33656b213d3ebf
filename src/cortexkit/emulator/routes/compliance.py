"""Compliance posture: `GET|POST /compliance/posture` and `GET /compliance/posture/{complianceId}`.

A standard's resources are the inventory resources in scope that its policies scan; one fails when it
fails one of those policies (findings.py: the policy's criteria match its document and the policy has an
open alert in its account), counted under the worst such severity; the others pass. So pass rates differ
across standards as the policies' criteria do, and dismissing alerts visibly improves the posture.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator import errors, findings, timerange
from cortexkit.emulator.catalog import STANDARDS
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import Policy, Resource
from cortexkit.emulator.routeutil import clip, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Compliance Posture"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

FILTER_NAMES = frozenset(
    {"cloud.account", "cloud.accountId", "cloud.type", "cloud.region", "policy.complianceStandard"}
)


def standard_uuid(standard_id: str) -> str:
    """Standards are addressed by UUID in the API; derive a stable one from the short id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cortexkit-emulator/standard/{standard_id}"))


def _bad(subject: str) -> errors.RedlockError:
    return errors.RedlockError(400, "bad_request", subject=clip(subject))


def _allowed_accounts(state: TenantState, filters: dict[str, set[str]]) -> set[int]:
    return {
        i
        for i, a in enumerate(state.alerts.accounts)
        if ("cloud.type" not in filters or a.cloud_type in filters["cloud.type"])
        and ("cloud.account" not in filters or a.name in filters["cloud.account"])
        and ("cloud.accountId" not in filters or a.account_id in filters["cloud.accountId"])
    }


def _in_scope(state: TenantState, filters: dict[str, set[str]], allowed: set[int]) -> list[Resource]:
    accounts = {state.alerts.accounts[i].account_id for i in allowed}
    regions = filters.get("cloud.region")
    return [
        r
        for r in state.resources
        if not r.deleted
        and (not regions or r.region_id in regions or r.region_name in regions)
        and r.account_id in accounts
    ]


def posture(state: TenantState, filters: dict[str, set[str]], end_ms: int) -> dict[str, Any]:
    """Per standard: the in-scope resources its policies scan, failed when they fail one of those
    policies (findings.py: the policy's criteria match and its alert is open), under the worst severity."""
    allowed = _allowed_accounts(state, filters)
    found = findings.Findings(state, end_ms)
    in_scope = _in_scope(state, filters, allowed)
    now = state.now_ms()
    details = []
    totals: Counter[str] = Counter()
    for std_id, name, description, _clouds, _reqs in STANDARDS:
        if "policy.complianceStandard" in filters and name not in filters["policy.complianceStandard"]:
            continue
        mapped = [p for p in state.policies if any(r.standard_id == std_id for r in p.compliance)]
        by_api: dict[str, list[Policy]] = {}
        for policy in mapped:
            by_api.setdefault(policy.api_name, []).append(policy)
        by_severity: Counter[str] = Counter()
        scanned = 0
        for resource in in_scope:
            policies = by_api.get(resource.api_name)
            if not policies:
                continue
            scanned += 1
            worst = found.worst(resource, policies)
            if worst is not None:
                by_severity[worst] += 1
        failed = sum(by_severity.values())
        passed = scanned - failed
        row: dict[str, Any] = {
            "id": standard_uuid(std_id),
            "name": name,
            "description": description,
            "assignedPolicies": len(mapped),
            "default": True,
            "failedResources": failed,
            "passedResources": passed,
            "totalResources": scanned,
            "criticalSeverityFailedResources": by_severity["critical"],
            "highSeverityFailedResources": by_severity["high"],
            "mediumSeverityFailedResources": by_severity["medium"],
            "lowSeverityFailedResources": by_severity["low"],
            "informationalSeverityFailedResources": by_severity["informational"],
        }
        details.append(row)
        for key in (
            "failedResources",
            "passedResources",
            "totalResources",
            "criticalSeverityFailedResources",
            "highSeverityFailedResources",
            "mediumSeverityFailedResources",
            "lowSeverityFailedResources",
            "informationalSeverityFailedResources",
        ):
            totals[key] += int(row[key])
    summary = {
        key: totals[key]
        for key in (
            "failedResources",
            "passedResources",
            "totalResources",
            "criticalSeverityFailedResources",
            "highSeverityFailedResources",
            "mediumSeverityFailedResources",
            "lowSeverityFailedResources",
            "informationalSeverityFailedResources",
        )
    }
    summary["timestamp"] = end_ms
    return {"complianceDetails": details, "summary": summary, "requestedTimestamp": now, "timestamp": end_ms}


def _end_of(state: TenantState, time_range: Any) -> int:
    """Posture is a snapshot: the end of the requested window (now when none was given)."""
    # Posture's time model takes to_now only as `epoch` (api-facts "Compliance posture and asset
    # inventory"); the schema's enum is the generic TimeRange one.
    if (
        isinstance(time_range, dict)
        and str(time_range.get("type", "")).lower() == "to_now"
        and str(time_range.get("value", "")).lower() != "epoch"
    ):
        raise _bad("timeRange: to_now takes only the value epoch here")
    try:
        window = timerange.resolve(time_range, state.now_ms(), state.anchor_ms)
    except timerange.TimeRangeError as exc:
        raise _bad(f"timeRange: {exc}") from None
    return state.now_ms() if window is None else window.end_ms


def _query_filters(request: Request) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, value in request.query_params.multi_items():
        if name in FILTER_NAMES:
            out.setdefault(name, set()).add(value.lower() if name == "cloud.type" else value)
    return out


@router.get("/compliance/posture")
def posture_get(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    try:
        time_range = timerange.from_query(request.query_params)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc)) from None
    with state.lock:
        return posture(state, _query_filters(request), _end_of(state, time_range))


@router.post("/compliance/posture")
async def posture_post(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request, required=False)
    filters: dict[str, set[str]] = {}
    raw = body.get("filters") or []
    if not isinstance(raw, list):
        raise _bad("filters")
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name not in FILTER_NAMES:
            raise _bad(f"filters {name!r}")
        value = str(item.get("value"))
        filters.setdefault(str(item["name"]), set()).add(
            value.lower() if item["name"] == "cloud.type" else value
        )
    with state.lock:
        return posture(state, filters, _end_of(state, body.get("timeRange")))


@router.get("/compliance/posture/{compliance_id}")
def posture_for_standard(compliance_id: str, request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    match = next((s for s in STANDARDS if standard_uuid(s[0]) == compliance_id), None)
    if match is None:
        raise errors.RedlockError(400, "bad_request", subject=clip(compliance_id))
    try:
        time_range = timerange.from_query(request.query_params)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc)) from None
    filters = _query_filters(request)
    filters["policy.complianceStandard"] = {match[1]}
    with state.lock:
        end_ms = _end_of(state, time_range)
        result = posture(state, filters, end_ms)
        found = findings.Findings(state, end_ms)
        in_scope = _in_scope(state, filters, _allowed_accounts(state, filters))

        def section(req_name: str, section_id: str) -> dict[str, Any]:
            policies = [
                p
                for p in state.policies
                if any(r.standard_id == match[0] and r.section_id == section_id for r in p.compliance)
            ]
            apis = {p.api_name for p in policies}
            scanned = [r for r in in_scope if r.api_name in apis]
            failed = sum(1 for r in scanned if found.worst(r, policies) is not None)
            return {
                "id": section_id,
                "name": f"{req_name} {section_id}",
                "failedResources": failed,
                "passedResources": len(scanned) - failed,
                "totalResources": len(scanned),
            }

        result["requirementSummaries"] = [
            {"id": req_id, "name": req_name, "sectionSummaries": [section(req_name, s) for s in sections]}
            for req_id, req_name, sections in match[4]
        ]
    return result
