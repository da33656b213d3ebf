"""RQL config search (SearchMicroService.json) over the generated resources.

`/search/config` nests results under `data`; `/search/api/v1/config` and `/search/api/v2/config` answer
flat; all three hand out a `nextPageToken` that `/search/config/page` continues. The token carries the
query, sort and position, so the page call needs nothing else. Unsupported RQL is a 400 whose
`x-redlock-status` subject names the unsupported part.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from cortexkit.emulator import errors, rql, timerange
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import Resource
from cortexkit.emulator.pagetoken import PageTokenError
from cortexkit.emulator.routeutil import clip, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["RQL Search"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

TOKEN_KIND = "search"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
V2_MAX = 100
CUSTOMER_ID = 1


def _state_id(resource: Resource) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, resource.id).hex


# The sort fields of SortConfigRuleSortField, each a key over a resource. `customer_id` is one value for
# the whole tenant (a no-op sort, as it must be on a single-tenant answer); `json` orders by the raw
# resource document (serialised with sorted keys); `state_id` by the item's `stateId`.
SORT_FIELDS: dict[str, Callable[[Resource], Any]] = {
    "id": lambda r: r.id,
    "time": lambda r: r.insert_ts,
    "insert_ts": lambda r: r.insert_ts,
    "api_name": lambda r: r.api_name,
    "customer_id": lambda r: CUSTOMER_ID,
    "json": lambda r: json.dumps(r.data, sort_keys=True),
    "cloud_account": lambda r: r.account_name,
    "cloud_region": lambda r: r.region_id,
    "state_id": _state_id,
}
DEFAULT_TIME_RANGE = {"type": "relative", "value": {"unit": "hour", "amount": 24}}


def _bad(subject: str) -> errors.RedlockError:
    return errors.RedlockError(400, "bad_request", subject=clip(subject))


def _limit(value: Any, default: int, maximum: int) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise _bad("limit must be a number") from None
    if limit < 1:
        raise _bad("limit must be at least 1")
    return min(limit, maximum)


def _sort(raw: Any) -> list[tuple[str, bool]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("sort must be a list")
    out = []
    for item in raw:
        field = item.get("field") if isinstance(item, dict) else None
        if field not in SORT_FIELDS:
            raise _bad(f"unsupported sort field {field!r} (supported: {', '.join(SORT_FIELDS)})")
        out.append((field, str(item.get("direction", "asc")).lower() == "desc"))
    return out


def _parse(query: Any) -> rql.ConfigQuery:
    if not isinstance(query, str):
        raise errors.RedlockError(400, "missing_required_parameter", subject="query")
    try:
        return rql.parse(query)
    except rql.RQLError as exc:
        raise _bad(str(exc)) from None


def _existed(resource: Resource, window: tuple[int, int] | None) -> bool:
    """Whether the resource existed at some time in the window: created before its end and, when
    deleted, last seen (`insert_ts`) after its start. The inventory is a snapshot, so this is the only
    history it has."""
    if window is None:
        return True
    start, end = window
    if start > end:
        return False
    return resource.created_ts <= end and (not resource.deleted or resource.insert_ts >= start)


def _matches(
    state: TenantState,
    parsed: rql.ConfigQuery,
    sort: list[tuple[str, bool]],
    window: tuple[int, int] | None,
) -> list[int]:
    indices = [i for i, r in enumerate(state.resources) if _existed(r, window) and parsed.matches(r)]
    for field, descending in reversed(sort):
        key = SORT_FIELDS[field]
        indices.sort(key=lambda i: key(state.resources[i]), reverse=descending)
    return indices


def _window(state: TenantState, time_range: Any) -> tuple[int, int] | None:
    """The request's `timeRange` resolved on the emulator clock; 400 `bad_request` naming what is wrong."""
    try:
        window = timerange.resolve(time_range, state.now_ms(), state.anchor_ms)
    except timerange.TimeRangeError as exc:
        raise _bad(f"timeRange: {exc}") from None
    return None if window is None else (window.start_ms, window.end_ms)


def _group_names(state: TenantState) -> dict[str, str]:
    """`accountGroupName` per account id: the names of the account's groups, comma-separated."""
    names: dict[str, list[str]] = {}
    for group in state.groups:
        for account_id in group.account_ids:
            names.setdefault(account_id, []).append(group.name)
    return {account_id: ", ".join(group_names) for account_id, group_names in names.items()}


def rrn_of(resource: Resource) -> str:
    """The resource's RRN as search and scan-info items show it."""
    parts = (resource.cloud_type, resource.api_name, resource.region_id, resource.account_id, resource.id)
    return ":".join(("rrn", *parts))


def resource_view(
    resource: Resource, with_json: bool, v2: bool = False, group_name: str = ""
) -> dict[str, Any]:
    """`ResourceMetaModel`; `data` (the raw JSON) only when `withResourceJson` is set."""
    item: dict[str, Any] = {
        "id": resource.id,
        "name": resource.name,
        "rrn": rrn_of(resource),
        "stateId": _state_id(resource),
        "assetId": uuid.uuid5(uuid.NAMESPACE_OID, resource.id).hex,
        "url": "",
        "accountId": resource.account_id,
        "accountName": resource.account_name,
        "accountGroupName": group_name,
        "cloudType": resource.cloud_type,
        "regionId": resource.region_id,
        "regionName": resource.region_name,
        "service": resource.service,
        "resourceType": resource.resource_type if v2 else resource.api_name.split("-")[1].upper(),
        "insertTs": resource.insert_ts,
        "createdTs": resource.created_ts,
        "deleted": resource.deleted,
        "vpcId": resource.vpc_id,
        "vpcName": resource.vpc_name,
        "tags": dict(resource.tags),
        "riskGrade": "A",
        "hasNetwork": False,
        "hasExternalFinding": False,
        "hasExternalIntegration": False,
        "allowDrillDown": True,
        "hasExtFindingRiskFactors": False,
        "resourceConfigJsonAvailable": True,
        "dynamicData": {},
    }
    if v2:
        item["resourceTypeId"] = _type_id(resource)
    if with_json:
        item["data"] = resource.data
    return item


def _type_id(resource: Resource) -> int:
    """A stable small number per resource type (v2 answers carry it; its values are undocumented)."""
    return sum(ord(c) for c in resource.resource_type) % 1000 + 1000


def _page(
    state: TenantState, spec: dict[str, Any], limit: int, with_json: bool, v2: bool = False
) -> dict[str, Any]:
    """One page from position `spec["o"]`, with a token for the next one when results remain."""
    parsed = _parse(spec["q"])
    sort = [(f, bool(d)) for f, d in spec["s"]]
    window = spec.get("w")
    with state.lock:
        indices = _matches(state, parsed, sort, None if window is None else (window[0], window[1]))
        start = spec["o"]
        chosen = indices[start : start + limit]
        groups = _group_names(state)
        items = [
            resource_view(state.resources[i], with_json, v2, groups.get(state.resources[i].account_id, ""))
            for i in chosen
        ]
    result: dict[str, Any] = {
        "totalRows": len(indices),
        "items": items,
        "dynamicColumns": [],
        "sortAllowedColumns": list(SORT_FIELDS),
    }
    if start + limit < len(indices):
        result["nextPageToken"] = state.tokens.encode(
            TOKEN_KIND, {**spec, "o": start + limit, "l": limit, "j": with_json}
        )
    return result


def _spec(body: dict[str, Any], window: tuple[int, int] | None) -> dict[str, Any]:
    """What a page token carries: the query, the sort, the window resolved at the first call, the position."""
    parsed = _parse(body.get("query"))
    return {"q": parsed.query, "s": _sort(body.get("sort")), "w": window, "o": 0}


CSV_COLUMNS = (
    "id",
    "name",
    "cloudType",
    "accountId",
    "accountName",
    "regionId",
    "regionName",
    "service",
    "resourceType",
    "deleted",
    "insertTs",
)


def as_csv(items: list[dict[str, Any]]) -> str:
    """The `Accept: text/csv` form of a result page: one row per resource, the metadata columns only."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(items)
    return out.getvalue()


def _since(state: TenantState, start_time: Any) -> tuple[int, int] | None:
    """v2's `startTime` (ms): the window from it to now; none when absent."""
    if start_time is None:
        return None
    if isinstance(start_time, bool) or not isinstance(start_time, int | float | str):
        raise _bad("startTime must be a number of milliseconds")
    try:
        start = int(start_time)
    except ValueError:
        raise _bad("startTime must be a number of milliseconds") from None
    return (start, state.now_ms())


@router.post("/search/config", response_model=None)
async def search_config(request: Request, _: Auth, emu: Emu) -> dict[str, Any] | Response:
    state = state_of(emu)
    body = await json_object(request)
    time_range = body.get("timeRange") or DEFAULT_TIME_RANGE
    spec = _spec(body, _window(state, time_range))
    with_json = body.get("withResourceJson", True) not in (False, "false")
    data = _page(state, spec, _limit(body.get("limit"), DEFAULT_LIMIT, MAX_LIMIT), with_json)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(as_csv(data["items"]), media_type="text/csv")
    if body.get("heuristicSearch") is not None:
        data["heuristicSearch"] = bool(body["heuristicSearch"])
    parsed = _parse(body.get("query"))
    response: dict[str, Any] = {
        "id": str(body.get("id") or uuid.uuid4()),
        "query": parsed.query,
        "searchType": "config",
        "saved": False,
        "name": str(body.get("searchName") or ""),
        "description": str(body.get("searchDescription") or ""),
        "timeRange": time_range,
        "async": False,
        "default": False,
        "cursor": 0,
        "filters": [],
        "groupBy": [],
        "data": data,
    }
    if parsed.cloud_type in ("aws", "azure", "gcp"):
        response["cloudType"] = parsed.cloud_type
    return response


@router.post("/search/config/page")
async def search_config_page(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    token = body.get("pageToken")
    if not isinstance(token, str) or not token:
        raise errors.RedlockError(400, "missing_required_parameter", subject="pageToken")
    try:
        spec = state.tokens.decode(TOKEN_KIND, token)
    except PageTokenError:
        raise errors.RedlockError(400, "invalid_parameter_value", subject="pageToken") from None
    limit = _limit(body.get("limit"), int(spec.get("l", DEFAULT_LIMIT)), MAX_LIMIT)
    with_json = body.get("withResourceJson", spec.get("j", False)) not in (False, "false")
    return _page(state, spec, limit, with_json)


@router.post("/search/api/v1/config")
async def search_config_v1(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    spec = _spec(body, _window(state, body.get("timeRange")))
    limit = _limit(body.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    result = _page(state, spec, limit, body.get("withResourceJson", False) not in (False, "false"))
    if body.get("skipResult"):
        result["items"] = []
    return result


@router.post("/search/api/v2/config")
async def search_config_v2(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    spec = _spec(body, _since(state, body.get("startTime")))
    limit = _limit(body.get("limit"), V2_MAX, V2_MAX)
    result = _page(state, spec, limit, body.get("withResourceJson", False) not in (False, "false"), v2=True)
    if body.get("skipResult"):
        result["items"] = []
    result["id"] = str(uuid.uuid4())
    return result
