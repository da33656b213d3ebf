"""Resource scan info (AssetExplorer.json): `GET|POST /resource/scan_info`, what `pc compliance export` and
`pc resource list` read.

Each resource (deleted ones left out) is scanned by the policies on its API name, narrowed to a
compliance standard, requirement or section when the filters name one; a resource with no policy left is
not listed. A policy fails a resource by findings.py's rule (its criteria match the resource's document
and it has an open alert in the resource's account), the rule of the inventory and the posture, so the
three agree and dismissing alerts passes resources everywhere. The page token is the spec's
`ResourceInfoPageOption` object (an offset, not an opaque string); clients send it back with the same
filters, as prismacloud-api does.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator import errors, findings, timerange
from cortexkit.emulator.catalog import SEVERITIES
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import Policy, Resource
from cortexkit.emulator.routes.search import rrn_of
from cortexkit.emulator.routeutil import clip, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Asset Explorer"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
RESOURCE_FILTERS = (
    "cloud.type",
    "cloud.account",
    "cloud.accountId",
    "cloud.region",
    "cloud.service",
    "resource.type",
    "resource.tagv2",
    "account.group",
)
POLICY_FILTERS = ("policy.complianceStandard", "policy.complianceRequirement", "policy.complianceSection")
# Documented names that narrow nothing here (no Compute findings, no event entities, rrn always set).
IGNORED = frozenset(
    {
        "timeType",
        "timeAmount",
        "timeUnit",
        "startTime",
        "endTime",
        "limit",
        "pageToken",
        "asset.severity",
        "vulnerability.severity",
        "includeEventForeignEntities",
        "decorateWithDerivedRRN",
    }
)
SCAN_STATUSES = ("passed", "failed", "all")


def _bad(subject: str) -> errors.RedlockError:
    return errors.RedlockError(400, "bad_request", subject=clip(subject))


def _add(filters: dict[str, set[str]], name: Any, value: Any) -> None:
    if not isinstance(name, str):
        raise _bad("filters: each filter is {name, operator, value}")
    if name in IGNORED:
        return
    if name not in (*RESOURCE_FILTERS, *POLICY_FILTERS, "scan.status"):
        raise _bad(f"filters: unsupported filter {name}")
    if isinstance(value, dict | list):
        raise _bad(f"filters: the value of {name} must be a string")
    text = str(value)
    if name == "resource.tagv2":
        text = _tag(text)
    if name == "scan.status" and text.lower() not in SCAN_STATUSES:
        raise _bad(f"scan.status must be one of {', '.join(SCAN_STATUSES)}")
    lower = name in ("cloud.type", "scan.status", "resource.type")
    filters.setdefault(name, set()).add(text.lower() if lower else text)


def _tag(value: str) -> str:
    """`resource.tagv2`'s JSON `{"key": .., "value": ..}` (api-facts section 6) as `key=value`."""
    try:
        tag = json.loads(value)
    except ValueError:
        tag = None
    if not isinstance(tag, dict) or not isinstance(tag.get("key"), str):
        raise _bad('resource.tagv2 must be a JSON string {"key": "...", "value": "..."}')
    return f"{tag['key']}={tag.get('value', '')}"


def _policies(state: TenantState, filters: dict[str, set[str]]) -> dict[str, list[Policy]]:
    """API name -> the policies that scan it, narrowed by the compliance filters."""
    wanted = {name: filters[name] for name in POLICY_FILTERS if name in filters}
    out: dict[str, list[Policy]] = {}
    for policy in state.policies:
        fields = {
            "policy.complianceStandard": {r.standard_name for r in policy.compliance},
            "policy.complianceRequirement": {r.requirement_name for r in policy.compliance}
            | {r.requirement_id for r in policy.compliance},
            "policy.complianceSection": {r.section_id for r in policy.compliance},
        }
        if all(fields[name] & values for name, values in wanted.items()):
            out.setdefault(policy.api_name, []).append(policy)
    return out


def _open_alerts(state: TenantState) -> dict[tuple[str, str], dict[str, int]]:
    """(account id, policy id) -> open alerts of that policy there, counted by severity."""
    index, store = state.alerts.index, state.alerts
    now = state.now_ms()
    out: dict[tuple[str, str], dict[str, int]] = {}
    for i in range(index.n):
        if store.status_of(i, now) != "open":
            continue
        policy = store.policies[index.policy[i]]
        counts = out.setdefault((store.accounts[index.account[i]].account_id, policy.policy_id), {})
        counts[policy.severity] = counts.get(policy.severity, 0) + 1
    return out


def _resource_value(state: TenantState, resource: Resource, name: str) -> set[str]:
    if name == "account.group":
        groups = [g for g in state.groups if resource.account_id in g.account_ids]
        return {g.name for g in groups} | {g.id for g in groups}
    return {
        "cloud.type": {resource.cloud_type},
        "cloud.account": {resource.account_name},
        "cloud.accountId": {resource.account_id},
        "cloud.region": {resource.region_name, resource.region_id},
        "cloud.service": {resource.service},
        "resource.type": {resource.resource_type.lower(), resource.api_name.split("-")[1].lower()},
        "resource.tagv2": {f"{k}={v}" for k, v in resource.tags.items()},
    }[name]


def _scan(state: TenantState, filters: dict[str, set[str]]) -> list[dict[str, Any]]:
    by_api = _policies(state, filters)
    alerts = _open_alerts(state)
    found = findings.Findings(state)
    status = (filters.get("scan.status") or {"all"}) - {"all"}
    out = []
    for resource in state.resources:
        scanned = by_api.get(resource.api_name)
        if resource.deleted or not scanned:
            continue
        if any(
            not (_resource_value(state, resource, n) & filters[n]) for n in RESOURCE_FILTERS if n in filters
        ):
            continue
        counts = {s: 0 for s in SEVERITIES}
        policies = []
        for policy in scanned:
            for severity, n in alerts.get((resource.account_id, policy.policy_id), {}).items():
                counts[severity] += n
            policies.append(
                {
                    "id": policy.policy_id,
                    "name": policy.name,
                    "severity": policy.severity,
                    "labels": list(policy.labels),
                    "passed": not found.fails(resource, policy),
                }
            )
        passed = all(p["passed"] for p in policies)
        if status and ("passed" if passed else "failed") not in status:
            continue
        out.append(
            {
                "id": resource.id,
                "name": resource.name,
                "rrn": rrn_of(resource),
                "unifiedAssetId": resource.id,
                "accountId": resource.account_id,
                "accountName": resource.account_name,
                "cloudType": resource.cloud_type,
                "regionId": resource.region_id,
                "regionName": resource.region_name,
                "assetType": resource.resource_type,
                "appNames": [],
                "overallPassed": passed,
                "scannedPolicies": policies,
                "alertStatus": counts,
                "vulnerabilityStatus": {"critical": 0, "high": 0, "medium": 0, "low": 0},
                "resourceConfigJsonAvailable": True,
                "resourceDetailsAvailable": True,
            }
        )
    return out


def _offset(token: Any) -> int:
    """The offset a `ResourceInfoPageOption` token carries; 400 for anything else."""
    if token is None:
        return 0
    if not isinstance(token, dict) or isinstance(token.get("offset"), bool):
        raise _bad("pageToken must be the nextPageToken object of the previous page")
    try:
        offset = int(token.get("offset", 0))
    except (TypeError, ValueError):
        raise _bad("pageToken.offset must be a number") from None
    if offset < 0:
        raise _bad("pageToken.offset must not be negative")
    return offset


def _limit(value: Any) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if isinstance(value, bool | dict | list):
        raise _bad("limit must be a number")
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise _bad("limit must be a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad(f"limit must be 1 to {MAX_LIMIT}")
    return limit


def _answer(state: TenantState, filters: dict[str, set[str]], limit: int, offset: int) -> dict[str, Any]:
    with state.lock:
        rows = _scan(state, filters)
        now = state.now_ms()
    page = rows[offset : offset + limit]
    result: dict[str, Any] = {
        "resources": page,
        "totalMatchedCount": len(rows),
        "pageSize": limit,
        "timestamp": now,
    }
    if offset + limit < len(rows):
        result["nextPageToken"] = {
            "offset": offset + limit,
            "limit": limit,
            "lastRowIdx": offset + len(page) - 1,
            "previousTotalMatchedCount": len(rows),
            "failedEventOffset": False,
            "timestamp": now,
        }
    return result


@router.post("/resource/scan_info")
async def resource_scan_info_post(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request, required=False)
    raw = body.get("filters") or []
    if not isinstance(raw, list):
        raise _bad("filters must be a list of {name, operator, value}")
    filters: dict[str, set[str]] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise _bad("filters: each filter is {name, operator, value}")
        _add(filters, item.get("name"), item.get("value"))
    try:
        timerange.resolve(body.get("timeRange"), state.now_ms())
    except timerange.TimeRangeError as exc:
        raise _bad(f"timeRange: {exc}") from None
    return _answer(state, filters, _limit(body.get("limit")), _offset(body.get("pageToken")))


@router.get("/resource/scan_info")
def resource_scan_info_get(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    """The query form; `timeType` is required as the spec says, and paging is by `limit` only."""
    state = state_of(emu)
    params = request.query_params
    if not params.get("timeType"):
        raise errors.RedlockError(400, "missing_required_parameter", subject="timeType")
    try:
        timerange.from_query(params)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc)) from None
    filters: dict[str, set[str]] = {}
    for name, value in params.multi_items():
        _add(filters, name, value)
    return _answer(state, filters, _limit(params.get("limit")), 0)
