"""Alerts: iterate (`POST /v2/alert`, paged), count, get, dismiss, snooze, reopen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit.pagination import AlertPager, RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, clean, one, raw, validate
from cortexkit.resources.cloud_accounts import seg
from cortexkit.resources.models import Alert

FilterArg = Mapping[str, str | Sequence[str]] | Sequence[Mapping[str, Any]] | None
ALERT_STATUSES = frozenset({"open", "dismissed", "snoozed", "resolved", "pending_resolution"})


def filter_list(filters: FilterArg) -> list[dict[str, Any]]:
    """`{"alert.status": "open", "cloud.type": ["azure", "aws"]}` -> the API's `[{name, operator, value}]`
    (one entry per value, which the API ORs); a ready-made list passes through."""
    if filters is None:
        return []
    if isinstance(filters, Mapping):
        out: list[dict[str, Any]] = []
        for name, value in filters.items():
            values = [value] if isinstance(value, str) else list(value)
            out.extend({"name": name, "operator": "=", "value": v} for v in values)
        return out
    return [dict(f) for f in filters]


def search_body(
    *,
    filters: FilterArg = None,
    time_range: Mapping[str, Any] | None = None,
    limit: int = 500,
    sort_by: Sequence[str] | None = None,
    fields: Sequence[str] | None = None,
    detailed: bool | None = None,
) -> dict[str, Any]:
    if not 1 <= limit <= 10_000:
        raise ValueError("limit (the page size) must be between 1 and 10000")
    return clean(
        filters=filter_list(filters) or None,
        timeRange=dict(time_range) if time_range is not None else None,  # None: the server's default
        limit=limit,
        sortBy=list(sort_by) if sort_by else None,
        fields=list(fields) if fields else None,
        detailed=detailed,
    )


def count_call(status: str = "open") -> Call[int]:
    if status not in ALERT_STATUSES:
        raise ValueError(f"status must be one of {sorted(ALERT_STATUSES)}")

    def parse(body: Any) -> int:
        return int(body.get("count", 0)) if isinstance(body, Mapping) else 0

    return Call(RequestSpec("GET", f"/alert/count/{status}"), parse)


def get_call(alert_id: str, *, detailed: bool | None = None) -> Call[Alert]:
    params = clean(detailed=str(detailed).lower() if detailed is not None else None)
    return Call(RequestSpec("GET", f"/alert/{seg(alert_id)}", params=params or None), one(Alert))


def _status_body(
    alert_ids: Sequence[str],
    note: str | None,
    time_range: Mapping[str, Any] | None,
    policies: Sequence[str] | None,
) -> dict[str, Any]:
    if not alert_ids and not policies:
        raise ValueError("name at least one alert id or policy id")
    body: dict[str, Any] = {
        "alerts": list(alert_ids),
        "filter": {"timeRange": to_now_epoch(), "filters": []},
    }
    if policies:
        body["policies"] = list(policies)
    if note is not None:
        body["dismissalNote"] = note
    if time_range is not None:
        body["dismissalTimeRange"] = dict(time_range)
    return body


def to_now_epoch() -> dict[str, Any]:
    return {"type": "to_now", "value": "epoch"}


def dismiss_call(alert_ids: Sequence[str], *, note: str, policies: Sequence[str] | None = None) -> Call[Any]:
    return Call(
        RequestSpec("POST", "/alert/dismiss", json=_status_body(alert_ids, note, None, policies)), raw
    )


def snooze_call(
    alert_ids: Sequence[str],
    *,
    snooze_for: Mapping[str, Any],
    note: str,
    policies: Sequence[str] | None = None,
) -> Call[Any]:
    """Snooze = dismiss with a `dismissalTimeRange` (e.g. `relative(3, "day")`)."""
    body = _status_body(alert_ids, note, snooze_for, policies)
    return Call(RequestSpec("POST", "/alert/dismiss", json=body), raw)


def reopen_call(alert_ids: Sequence[str], *, policies: Sequence[str] | None = None) -> Call[Any]:
    return Call(RequestSpec("POST", "/alert/reopen", json=_status_body(alert_ids, None, None, policies)), raw)


class Alerts(SyncResource):
    def iterate(
        self,
        *,
        filters: FilterArg = None,
        time_range: Mapping[str, Any] | None = None,
        page_size: int = 500,
        sort_by: Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        detailed: bool | None = None,
        max_items: int | None = None,
    ) -> Iterator[Alert]:
        """Every matching alert, fetched page by page (the caller's filters sent with each page)."""
        body = search_body(
            filters=filters,
            time_range=time_range,
            limit=page_size,
            sort_by=sort_by,
            fields=fields,
            detailed=detailed,
        )
        for item in self._client.paginate(AlertPager(body), max_items=max_items):
            yield validate(Alert, item)

    def count(self, status: str = "open") -> int:
        return self._run(count_call(status))

    def get(self, alert_id: str, *, detailed: bool | None = None) -> Alert:
        return self._run(get_call(alert_id, detailed=detailed))

    def dismiss(self, alert_ids: Sequence[str], *, note: str, policies: Sequence[str] | None = None) -> Any:
        return self._run(dismiss_call(alert_ids, note=note, policies=policies))

    def snooze(
        self,
        alert_ids: Sequence[str],
        *,
        snooze_for: Mapping[str, Any],
        note: str,
        policies: Sequence[str] | None = None,
    ) -> Any:
        return self._run(snooze_call(alert_ids, snooze_for=snooze_for, note=note, policies=policies))

    def reopen(self, alert_ids: Sequence[str], *, policies: Sequence[str] | None = None) -> Any:
        return self._run(reopen_call(alert_ids, policies=policies))


class AsyncAlerts(AsyncResource):
    async def iterate(
        self,
        *,
        filters: FilterArg = None,
        time_range: Mapping[str, Any] | None = None,
        page_size: int = 500,
        sort_by: Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        detailed: bool | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[Alert]:
        body = search_body(
            filters=filters,
            time_range=time_range,
            limit=page_size,
            sort_by=sort_by,
            fields=fields,
            detailed=detailed,
        )
        async for item in self._client.paginate(AlertPager(body), max_items=max_items):
            yield validate(Alert, item)

    async def count(self, status: str = "open") -> int:
        return await self._run(count_call(status))

    async def get(self, alert_id: str, *, detailed: bool | None = None) -> Alert:
        return await self._run(get_call(alert_id, detailed=detailed))

    async def dismiss(
        self, alert_ids: Sequence[str], *, note: str, policies: Sequence[str] | None = None
    ) -> Any:
        return await self._run(dismiss_call(alert_ids, note=note, policies=policies))

    async def snooze(
        self,
        alert_ids: Sequence[str],
        *,
        snooze_for: Mapping[str, Any],
        note: str,
        policies: Sequence[str] | None = None,
    ) -> Any:
        return await self._run(snooze_call(alert_ids, snooze_for=snooze_for, note=note, policies=policies))

    async def reopen(self, alert_ids: Sequence[str], *, policies: Sequence[str] | None = None) -> Any:
        return await self._run(reopen_call(alert_ids, policies=policies))
