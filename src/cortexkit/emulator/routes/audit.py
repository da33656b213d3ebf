"""Audit logs (AuditLogsMicroService.json): `POST /audit/api/v1/log` and its filter suggestions.

This is a V2-style service: errors are `{"error": {"code", "message", "target", "details"}}`. Entries come
newest first; the emulator's own changes (dismissals, account and group edits) appear as live entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator import errors, timerange
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import AuditEntry
from cortexkit.emulator.pagetoken import PageTokenError
from cortexkit.emulator.routeutil import clip, json_object, state_of
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Audit Logs"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

TOKEN_KIND = "audit"
DEFAULT_LIMIT = 100
MAX_LIMIT = 2_000
FIELDS: dict[str, Callable[[AuditEntry], str]] = {
    "user": lambda e: e.user,
    "actionType": lambda e: e.action_type,
    "resourceType": lambda e: e.resource_type,
    "resourceName": lambda e: e.resource_name,
    "result": lambda e: e.result,
    "ipAddress": lambda e: e.ip_address,
}


def _bad(message: str, target: str) -> errors.V2Error:
    return errors.V2Error(400, "BadRequest", clip(message), target=target)


def entry_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "timestamp": entry.timestamp,
        "user": entry.user,
        "ipAddress": entry.ip_address,
        "action": entry.action,
        "actionType": entry.action_type,
        "resourceType": entry.resource_type,
        "resourceName": entry.resource_name,
        "result": entry.result,
    }


def _spec(body: dict[str, Any], now_ms: int, login_ms: int) -> dict[str, Any]:
    if body.get("timeRange") is None:
        raise _bad("timeRange is required", "timeRange")
    try:
        window = timerange.resolve(body["timeRange"], now_ms, login_ms)
    except timerange.TimeRangeError as exc:
        raise _bad(str(exc), "timeRange") from None
    if window is None:
        raise _bad("timeRange is required", "timeRange")
    filters: dict[str, list[str]] = {}
    raw = body.get("filters") or []
    if not isinstance(raw, list):
        raise _bad("filters must be a list", "filters")
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name not in FIELDS:
            raise _bad(f"unsupported filter {name!r} (supported: {', '.join(FIELDS)})", "filters")
        filters.setdefault(str(name), []).append(str(item.get("value")))
    limit = body.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise _bad(f"limit must be an integer from 1 to {MAX_LIMIT}", "limit")
    return {"a": window.start_ms, "b": window.end_ms, "f": filters, "l": limit, "o": 0}


@router.post("/audit/api/v1/log")
async def audit_log(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    token = body.get("nextPageToken")
    if token:
        try:
            spec = state.tokens.decode(TOKEN_KIND, str(token))
        except PageTokenError:
            raise _bad("nextPageToken is invalid", "nextPageToken") from None
    else:
        spec = _spec(body, state.now_ms(), state.anchor_ms)
    with state.lock:
        matching = [
            e
            for e in state.audit
            if spec["a"] <= e.timestamp <= spec["b"]
            and all(FIELDS[name](e) in values for name, values in spec["f"].items())
        ]
    start, limit = spec["o"], spec["l"]
    result: dict[str, Any] = {"value": [entry_view(e) for e in matching[start : start + limit]]}
    if start + limit < len(matching):
        result["nextPageToken"] = state.tokens.encode(TOKEN_KIND, {**spec, "o": start + limit})
    return result


@router.post("/audit/api/v1/filter/suggest")
async def audit_filter_suggest(request: Request, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    body = await json_object(request)
    name = body.get("filterName")
    if not isinstance(name, str) or name not in FIELDS:
        raise _bad(f"unsupported filterName {name!r} (supported: {', '.join(FIELDS)})", "filterName")
    prefix = str(body.get("query") or "")
    with state.lock:
        values = sorted({FIELDS[str(name)](e) for e in state.audit})
    return {"suggestions": [v for v in values if v.startswith(prefix)], "queryRemainder": ""}
