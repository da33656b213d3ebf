"""Compliance posture: `GET|POST /compliance/posture` and `GET /compliance/posture/{complianceId}`.

Failed resources are the open alerts of the policies mapped to a standard (one alert = one failing
resource), split by severity; passed resources are the inventory resources in scope. Both follow the
same seed and alert changes, so dismissing alerts visibly improves the posture.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator import errors, timerange
from cortexkit.emulator.catalog import STANDARDS
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
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


def _failing(state: TenantState, allowed: set[int], end_ms: int) -> Counter[int]:
    """Open alerts up to `end_ms` per policy index, in the allowed accounts."""
    index = state.alerts.index
    now = state.now_ms()
    last = index.first_at_or_after(end_ms + 1)
    failing: Counter[int] = Counter()
    pol, acc = index.policy, index.account
    for i in range(last):
        if acc[i] in allowed and state.alerts.status_of(i, now) == "open":
            failing[pol[i]] += 1
    return failing


def posture(state: TenantState, filters: dict[str, set[str]], end_ms: int) -> dict[str, Any]:
    allowed = _allowed_accounts(state, filters)
    failing = _failing(state, allowed, end_ms)
    now = state.now_ms()
    regions = filters.get("cloud.region")
    in_scope = [
        r
        for r in state.resources
        if not r.deleted
        and (not regions or r.region_id in regions or r.region_name in regions)
        and r.account_id in {state.alerts.accounts[i].account_id for i in allowed}
    ]
    details = []
    totals: Counter[str] = Counter()
    for std_id, name, description, clouds, _reqs in STANDARDS:
        if "policy.complianceStandard" in filters and name not in filters["policy.complianceStandard"]:
            continue
        mapped = [
            i for i, p in enumerate(state.policies) if any(r.standard_id == std_id for r in p.compliance)
        ]
        by_severity: Counter[str] = Counter()
        for i in mapped:
            by_severity[state.policies[i].severity] += failing[i]
        failed = sum(by_severity.values())
        passed = sum(1 for r in in_scope if r.cloud_type in clouds)
        row: dict[str, Any] = {
            "id": standard_uuid(std_id),
            "name": name,
            "description": description,
            "assignedPolicies": len(mapped),
            "default": True,
            "failedResources": failed,
            "passedResources": passed,
            "totalResources": failed + passed,
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
        failing = _failing(state, _allowed_accounts(state, filters), end_ms)
    passed = int(result["summary"]["passedResources"])

    def failed_in(section: str) -> int:
        return sum(
            failing[i]
            for i, p in enumerate(state.policies)
            if any(r.standard_id == match[0] and r.section_id == section for r in p.compliance)
        )

    result["requirementSummaries"] = [
        {
            "id": req_id,
            "name": req_name,
            "sectionSummaries": [
                {
                    "id": section,
                    "name": f"{req_name} {section}",
                    "failedResources": failed_in(section),
                    "passedResources": passed,
                    "totalResources": failed_in(section) + passed,
                }
                for section in sections
            ],
        }
        for req_id, req_name, sections in match[4]
    ]
    return result
