"""Asset inventory (AssetInventory.json): `GET|POST /v2/inventory` and `/v3/inventory`.

The inventory is the tenant's resources (the ones RQL lists, deleted ones left out), grouped by
`groupBy` (cloud.type by default). A resource fails when it fails a policy on its API name (findings.py:
the policy's criteria match its document and the policy has an open alert in its account); it counts
under the worst such policy's severity. So dismissing alerts moves resources from failed to passed here
as it does on the compliance posture. Vulnerability counts are 0 (no Compute
findings are tied to these resources), and nothing is unscanned.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator import errors, findings, timerange
from cortexkit.emulator.catalog import SEVERITIES
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import Policy, Resource
from cortexkit.emulator.routeutil import clip, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Asset Inventory"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "cloud.type": ("cloudTypeName",),
    "cloud.account": ("accountName", "accountId"),
    "cloud.region": ("regionName",),
    "cloud.service": ("serviceName",),
    "resource.type": ("resourceTypeName",),
}
FILTERS = ("cloud.type", "cloud.account", "cloud.accountId", "cloud.region", "cloud.service", "resource.type")
# Documented query names accepted but not narrowing anything here (no scans, no vulnerabilities).
IGNORED = frozenset(
    {
        "timeType",
        "timeAmount",
        "timeUnit",
        "startTime",
        "endTime",
        "groupBy",
        "account.group",
        "scan.status",
        "policy.complianceStandard",
        "policy.complianceRequirement",
        "asset.severity",
        "vulnerability.severity",
    }
)
COUNTS = (
    "failedResources",
    "passedResources",
    "totalResources",
    "unscannedResources",
    *(f"{s}SeverityFailedResources" for s in SEVERITIES),
    *(f"{s}VulnerabilityFailedResources" for s in ("critical", "high", "medium", "low", "total")),
)


def _bad(message: str, target: str) -> errors.EmulatorError:
    return errors.error_for_path("/v2/inventory", 400, "bad_request", message, subject=clip(target))


def _value(resource: Resource, name: str) -> str:
    return {
        "cloud.type": resource.cloud_type,
        "cloud.account": resource.account_name,
        "cloud.accountId": resource.account_id,
        "cloud.region": resource.region_name,
        "cloud.service": resource.service,
        "resource.type": resource.resource_type,
    }[name]


def _snapshot(state: TenantState, group_by: list[str], filters: dict[str, set[str]]) -> dict[str, Any]:
    found = findings.Findings(state)
    by_api: dict[str, list[Policy]] = {}
    for policy in state.policies:
        by_api.setdefault(policy.api_name, []).append(policy)
    groups: dict[tuple[str, ...], Counter[str]] = {}
    labels: dict[tuple[str, ...], dict[str, str]] = {}
    total: Counter[str] = Counter()
    for resource in state.resources:
        if resource.deleted or any(_value(resource, n) not in v for n, v in filters.items()):
            continue
        key = tuple(_value(resource, g) for g in group_by)
        counts = groups.setdefault(key, Counter())
        labels[key] = {
            field: (resource.account_id if field == "accountId" else _value(resource, g))
            for g in group_by
            for field in GROUP_FIELDS[g]
        }
        severity = found.worst(resource, by_api.get(resource.api_name, []))
        for bucket in (counts, total):
            bucket["totalResources"] += 1
            if severity is None:
                bucket["passedResources"] += 1
            else:
                bucket["failedResources"] += 1
                bucket[f"{severity}SeverityFailedResources"] += 1
    now = state.now_ms()
    return {
        "groupedAggregates": [
            {**labels[key], "allowDrillDown": True, **{c: groups[key][c] for c in COUNTS}}
            for key in sorted(groups)
        ],
        "summary": {**{c: total[c] for c in COUNTS}, "timestamp": now},
        "requestedTimestamp": now,
        "timestamp": now,
    }


def _group_by(raw: str | None) -> list[str]:
    names = [n.strip() for n in (raw or "cloud.type").split(",") if n.strip()]
    unknown = [n for n in names if n not in GROUP_FIELDS]
    if unknown or not names:
        raise _bad(f"groupBy must be among {', '.join(GROUP_FIELDS)}", "groupBy")
    return names


def _add_filter(filters: dict[str, set[str]], name: Any, value: Any) -> None:
    if not isinstance(name, str) or (name not in FILTERS and name not in IGNORED):
        raise _bad(f"unsupported filter {name!r}", "filters")
    if name in FILTERS:
        filters.setdefault(name, set()).add(str(value).lower() if name == "cloud.type" else str(value))


@router.get("/v2/inventory")
@router.get("/v3/inventory")
def inventory_get(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    try:
        timerange.from_query(request.query_params)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc), "timeRange") from None
    filters: dict[str, set[str]] = {}
    for name, value in request.query_params.multi_items():
        _add_filter(filters, name, value)
    state = state_of(emu)
    with state.lock:
        return _snapshot(state, _group_by(request.query_params.get("groupBy")), filters)


@router.post("/v2/inventory")
@router.post("/v3/inventory")
async def inventory_post(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    body = await json_object(request, required=False)
    raw = body.get("filters") or []
    if not isinstance(raw, list):
        raise _bad("filters must be a list", "filters")
    filters: dict[str, set[str]] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise _bad("each filter is {name, operator, value}", "filters")
        _add_filter(filters, item.get("name"), item.get("value"))
    try:
        timerange.resolve(body.get("timeRange"), 0)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc), "timeRange") from None
    group_by = body.get("groupBy")
    if group_by is not None and not isinstance(group_by, list):
        raise _bad("groupBy must be a list", "groupBy")
    state = state_of(emu)
    with state.lock:
        return _snapshot(state, _group_by(",".join(str(g) for g in group_by or []) or None), filters)
