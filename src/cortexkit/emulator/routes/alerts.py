"""Alerts (Alerts.json): `/v2/alert`, legacy `/alert`, `/alert/{id}`, count, dismiss/snooze, reopen.

Paging is keyset paging over the alert index: the page token carries the normalised filters, the
resolved time window, the order, the limit and the last index served. A follow-up that sends only
`{"pageToken": ...}` therefore continues the same listing, and a dismissal between two pages shifts
nothing (no duplicates, no gaps), which offset paging cannot promise.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from cortexkit.emulator import errors, timerange
from cortexkit.emulator.alertstore import (
    FILTER_NAMES,
    SORT_COLUMNS,
    STATUSES,
    AlertQuery,
    AlertQueryError,
    account_tags,
    alert_rules,
    cloud_service,
    resource_type,
)
from cortexkit.emulator.catalog import SEVERITIES
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.pagetoken import PageTokenError
from cortexkit.emulator.routeutil import clip, empty_ok, flag, json_object, state_of
from cortexkit.emulator.state import TenantState
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Alerts"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

MAX_LIMIT = 10_000
LEGACY_CAP = 10_000
TOKEN_KIND = "v2alert"
# Query names of GET /v2/alert and GET /alert that are parameters, not filters.
NON_FILTER_PARAMS = frozenset(
    {
        "timeType",
        "timeAmount",
        "timeUnit",
        "startTime",
        "endTime",
        "detailed",
        "fields",
        "limit",
        "offset",
        "pageToken",
        "sortBy",
    }
)


def _bad(subject: str) -> errors.RedlockError:
    return errors.RedlockError(400, "invalid_parameter_value", subject=clip(subject))


def _limit(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise _bad("limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad("limit")
    return limit


def _descending(sort_by: list[str]) -> bool:
    """Only alert time (and id, which follows it) can be sorted on; default newest first."""
    descending = True
    for entry in sort_by:
        column, _, direction = str(entry).partition(":")
        if column not in SORT_COLUMNS or direction.lower() not in ("", "asc", "desc"):
            raise _bad(f"sortBy {entry}")
        descending = direction.lower() != "asc"
    return descending


def _body_filters(raw: Any) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise _bad("filters")
    out: dict[str, list[str]] = {}
    for item in raw:
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            raise _bad("filters")
        if item.get("operator", "=") != "=":
            raise _bad(f"filters operator {item.get('operator')}")
        out.setdefault(str(item["name"]), []).append(str(item["value"]))
    return out


def _query_filters(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in NON_FILTER_PARAMS:
            out.setdefault(name, []).append(value)
    return out


def _window(state: TenantState, time_range: Any) -> tuple[int | None, int | None]:
    try:
        window = timerange.resolve(time_range, state.now_ms(), state.anchor_ms)
    except timerange.TimeRangeError as exc:
        raise _bad(f"timeRange: {exc}") from None
    return (None, None) if window is None else (window.start_ms, window.end_ms)


def _spec_from_request(
    state: TenantState,
    *,
    filters: dict[str, list[str]],
    time_range: Any,
    sort_by: list[str],
    limit: Any,
    detailed: bool,
    default_limit: int,
) -> dict[str, Any]:
    start, end = _window(state, time_range)
    return {
        "f": {name: sorted(values) for name, values in sorted(filters.items())},
        "a": start,
        "b": end,
        "d": _descending(sort_by),
        "l": _limit(limit, default_limit),
        "x": detailed,
        "c": None,
    }


def _spec_from_query(
    state: TenantState,
    request: Request,
    *,
    sort_by: list[str] | None,
    limit: Any,
    detailed: bool,
    default_limit: int,
) -> dict[str, Any]:
    """A listing spec from a GET's query string (filters by name, timeType/timeAmount/... range)."""
    try:
        time_range = timerange.from_query(request.query_params)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc)) from None
    return _spec_from_request(
        state,
        filters=_query_filters(request),
        time_range=time_range,
        sort_by=sort_by or [],
        limit=limit,
        detailed=detailed,
        default_limit=default_limit,
    )


def spec_from_body(
    state: TenantState, body: dict[str, Any], *, detailed: bool, default_limit: int
) -> dict[str, Any]:
    """A listing spec from a POST's FilterModel body."""
    sort_by = body.get("sortBy") or []
    if not isinstance(sort_by, list):
        raise _bad("sortBy")
    return _spec_from_request(
        state,
        filters=_body_filters(body.get("filters")),
        time_range=body.get("timeRange"),
        sort_by=sort_by,
        limit=body.get("limit"),
        detailed=detailed,
        default_limit=default_limit,
    )


def _spec_from_token(state: TenantState, token: Any) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise _bad("pageToken")
    try:
        return state.tokens.decode(TOKEN_KIND, token)
    except PageTokenError:
        raise _bad("pageToken") from None


def _run(state: TenantState, spec: dict[str, Any], detailed_override: bool | None) -> dict[str, Any]:
    query = AlertQuery(
        filters={k: tuple(v) for k, v in spec["f"].items()},
        start_ms=spec["a"],
        end_ms=spec["b"],
        descending=spec["d"],
    )
    now = state.now_ms()
    detailed = spec["x"] if detailed_override is None else detailed_override
    with state.lock:
        try:
            page, total = state.alerts.search(query, now, spec["c"], spec["l"] + 1)
        except AlertQueryError as exc:
            raise _bad(exc.subject) from None
        more = len(page) > spec["l"]
        page = page[: spec["l"]]
        items = [state.alerts.render(i, now, detailed) for i in page]
    result: dict[str, Any] = {
        "items": items,
        "totalRows": total,
        "dynamicColumns": [],
        "sortAllowedColumns": list(SORT_COLUMNS),
    }
    if more:
        result["nextPageToken"] = state.tokens.encode(TOKEN_KIND, {**spec, "c": page[-1]})
    return result


# The required query parameters of GET /v2/alert and GET /alert (Alerts.json marks timeType, timeAmount,
# timeUnit and detailed required on both); the absolute and to_now forms of the time-range model
# (api-facts section 6) need their own.
REQUIRED_BY_TIME_TYPE: dict[str, tuple[str, ...]] = {
    "relative": ("timeAmount", "timeUnit"),
    "absolute": ("startTime", "endTime"),
    "to_now": ("timeUnit",),
}


def _require_time_and_detailed(request: Request) -> None:
    """400 `missing_required_parameter` naming the first required parameter a first-page GET lacks."""
    params = request.query_params
    kind = params.get("timeType")
    if not kind:
        raise errors.RedlockError(400, "missing_required_parameter", subject="timeType")
    for name in (*REQUIRED_BY_TIME_TYPE.get(kind.lower(), ()), "detailed"):
        if not params.get(name):
            raise errors.RedlockError(400, "missing_required_parameter", subject=name)


@router.get("/v2/alert")
def list_alerts_v2_get(
    request: Request,
    *,
    _: Auth,
    emu: Emu,
    detailed: str | None = None,
    limit: str | None = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
    sort_by: Annotated[list[str] | None, Query(alias="sortBy")] = None,
) -> dict[str, Any]:
    state = state_of(emu)
    override = flag(detailed) if detailed is not None else None
    if page_token is not None:
        return _run(state, _spec_from_token(state, page_token), override)
    _require_time_and_detailed(request)
    spec = _spec_from_query(
        state, request, sort_by=sort_by, limit=limit, detailed=bool(override), default_limit=MAX_LIMIT
    )
    return _run(state, spec, None)


@router.post("/v2/alert")
async def list_alerts_v2_post(
    request: Request, _: Auth, emu: Emu, detailed: str | None = None
) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request, required=False)
    override = flag(detailed) if detailed is not None else None
    if body.get("pageToken"):
        return _run(state, _spec_from_token(state, body["pageToken"]), override)
    spec = spec_from_body(state, body, detailed=bool(body.get("detailed", False)), default_limit=MAX_LIMIT)
    return _run(state, spec, override)


def _legacy(state: TenantState, spec: dict[str, Any], offset: Any) -> list[dict[str, Any]]:
    """The legacy list: a bare array, at most 10,000 alerts, offset paging."""
    try:
        skip = int(offset or 0)
    except (TypeError, ValueError):
        raise _bad("offset") from None
    if skip < 0:
        raise _bad("offset")
    query = AlertQuery(
        filters={k: tuple(v) for k, v in spec["f"].items()},
        start_ms=spec["a"],
        end_ms=spec["b"],
        descending=spec["d"],
    )
    now = state.now_ms()
    with state.lock:
        try:
            page, _total = state.alerts.search(query, now, None, min(LEGACY_CAP, skip + spec["l"]))
        except AlertQueryError as exc:
            raise _bad(exc.subject) from None
        return [state.alerts.render(i, now, spec["x"]) for i in page[skip:]]


@router.get("/alert")
def list_alerts_legacy_get(
    request: Request,
    *,
    _: Auth,
    emu: Emu,
    detailed: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
    sort_by: Annotated[list[str] | None, Query(alias="sortBy")] = None,
) -> list[dict[str, Any]]:
    state = state_of(emu)
    _require_time_and_detailed(request)
    spec = _spec_from_query(
        state, request, sort_by=sort_by, limit=limit, detailed=flag(detailed), default_limit=LEGACY_CAP
    )
    return _legacy(state, spec, offset)


@router.post("/alert")
async def list_alerts_legacy_post(
    request: Request, _: Auth, emu: Emu, detailed: str | None = None
) -> list[dict[str, Any]]:
    state = state_of(emu)
    body = await json_object(request, required=False)
    is_detailed = flag(detailed) if detailed is not None else bool(body.get("detailed", False))
    spec = spec_from_body(state, body, detailed=is_detailed, default_limit=LEGACY_CAP)
    return _legacy(state, spec, body.get("offset"))


@router.get("/alert/count/{status}")
def count_alerts(status: str, _: Auth, emu: Emu) -> dict[str, int]:
    state = state_of(emu)
    if status not in STATUSES:
        raise _bad("status")
    with state.lock:
        return {"count": state.alerts.count(status, state.now_ms())}


def _targets(state: TenantState, body: dict[str, Any]) -> list[int]:
    """The alerts a dismiss/reopen body names: `alerts` ids, or every alert of `policies` in `filter`."""
    ids = body.get("alerts") or []
    policies = body.get("policies") or []
    if not isinstance(ids, list) or not isinstance(policies, list):
        raise errors.RedlockError(400, "invalid_parameter_value", subject="alerts")
    if not ids and not policies:
        raise errors.RedlockError(400, "missing_required_parameter", subject="alerts")
    indices: list[int] = []
    for alert_id in ids:
        index = state.alerts.index.index_of(str(alert_id))
        if index is None:
            raise errors.RedlockError(400, "invalid_parameter_value", subject=clip(str(alert_id)))
        indices.append(index)
    if policies:
        raw = body.get("filter")
        flt: dict[str, Any] = raw if isinstance(raw, dict) else {}
        filters = _body_filters(flt.get("filters"))
        filters["policy.id"] = [str(p) for p in policies]
        start, end = _window(state, flt.get("timeRange"))
        query = AlertQuery({k: tuple(v) for k, v in filters.items()}, start, end)
        try:
            page, _total = state.alerts.search(query, state.now_ms(), None, state.alerts.index.n or 1)
        except AlertQueryError as exc:
            raise _bad(exc.subject) from None
        indices.extend(page)
    return indices


@router.post("/alert/dismiss")
async def dismiss_alerts(request: Request, principal: Auth, emu: Emu) -> Response:
    """Dismiss, or snooze when `dismissalTimeRange` is set (status `snoozed` until it passes)."""
    state = state_of(emu)
    body = await json_object(request)
    note = body.get("dismissalNote")
    until: int | None = None
    if body.get("dismissalTimeRange") is not None:
        if not isinstance(body["dismissalTimeRange"], dict):
            raise _bad("dismissalTimeRange")
        try:
            until = timerange.future_until(body["dismissalTimeRange"], state.now_ms())
        except timerange.TimeRangeError:
            raise errors.RedlockError(400, "violates_minimum_alert_dismiss_duration_time") from None
    with state.lock:
        indices = _targets(state, body)
        status = "snoozed" if until is not None else "dismissed"
        changed = state.alerts.set_status(
            indices,
            status,
            now_ms=state.now_ms(),
            by=principal.access_key_id,
            note=str(note) if note is not None else None,
            until_ms=until,
        )
    if indices and changed == 0:
        raise errors.RedlockError(404, "alert_no_longer_in_expected_state")
    state.record(
        principal.access_key_id, "UPDATE", f"{changed} alert(s) {status}", "Alert", f"{changed} alerts"
    )
    return empty_ok()


@router.post("/alert/reopen")
async def reopen_alerts(request: Request, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        indices = _targets(state, body)
        changed = state.alerts.set_status(
            indices, "open", now_ms=state.now_ms(), by=principal.access_key_id, note=None, until_ms=None
        )
    if indices and changed == 0:
        raise errors.RedlockError(404, "alert_no_longer_in_expected_state")
    state.record(
        principal.access_key_id, "UPDATE", f"{changed} alert(s) reopened", "Alert", f"{changed} alerts"
    )
    return empty_ok()


@router.get("/alert/{alert_id}")
def get_alert(alert_id: str, _: Auth, emu: Emu, detailed: str | None = None) -> dict[str, Any]:
    state = state_of(emu)
    index = state.alerts.index.index_of(alert_id)
    if index is None:
        raise errors.RedlockError(404, "not_found", subject=clip(alert_id))
    with state.lock:
        return state.alerts.render(index, state.now_ms(), flag(detailed, default=True))


def _filter_options(state: TenantState) -> dict[str, list[str]]:
    """Known values per filter name; empty for open-ended ones (ids, resource names)."""
    options: dict[str, list[str]] = {name: [] for name in sorted(FILTER_NAMES)}
    options["alert.status"] = list(STATUSES)
    options["policy.severity"] = list(SEVERITIES)
    options["policy.type"] = ["config"]
    options["policy.remediable"] = ["true", "false"]
    options["cloud.type"] = sorted({a.cloud_type for a in state.alerts.accounts})
    options["cloud.account"] = [a.name for a in state.alerts.accounts]
    options["cloud.accountId"] = [a.account_id for a in state.alerts.accounts]
    options["cloud.region"] = sorted({r for a in state.alerts.accounts for r, _ in a.regions})
    options["account.group"] = [g.name for g in state.groups]
    options["policy.id"] = [p.policy_id for p in state.policies]
    options["policy.name"] = [p.name for p in state.policies]
    options["policy.label"] = sorted({label for p in state.policies for label in p.labels})
    options["policy.complianceStandard"] = sorted(
        {r.standard_name for p in state.policies for r in p.compliance}
    )
    options["policy.complianceRequirement"] = sorted(
        {r.requirement_name for p in state.policies for r in p.compliance}
    )
    options["policy.complianceSection"] = sorted({r.section_id for p in state.policies for r in p.compliance})
    options["cloud.service"] = sorted({cloud_service(p) for p in state.policies})
    options["resource.type"] = sorted({resource_type(p) for p in state.policies})
    options["alertRule.name"] = sorted({name for p in state.policies for name in alert_rules(p)})
    tags = {pair for a in state.alerts.accounts for pair in account_tags(a).items()}
    options["resource.tagv2"] = sorted(json.dumps({"key": k, "value": v}) for k, v in tags)
    return options


@router.get("/filter/alert/suggest")
def alert_filters(_: Auth, emu: Emu) -> dict[str, Any]:
    """The filter names `/v2/alert` understands, with their known values."""
    state = state_of(emu)
    with state.lock:
        options = _filter_options(state)
    return {name: {"options": values, "staticFilter": bool(values)} for name, values in options.items()}


@router.post("/filter/alert/suggest")
async def alert_filter_suggestions(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    """Values of one filter that start with `query` (case-insensitive)."""
    state = state_of(emu)
    body = await json_object(request)
    name = body.get("filterName")
    if not isinstance(name, str) or name not in FILTER_NAMES:
        raise _bad(f"filterName {name}")
    prefix = str(body.get("query") or "").lower()
    with state.lock:
        values = _filter_options(state)[name]
    return {
        "suggestions": [v for v in values if v.lower().startswith(prefix)],
        "valid": True,
        "translate": False,
        "needsOffsetUpdate": False,
        "offset": 0,
        "queryRemainder": "",
        "completeParameters": [],
    }
