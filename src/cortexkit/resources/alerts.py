"""Alerts: iterate (`POST /v2/alert`, paged), count, get, dismiss, snooze, reopen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit import errors
from cortexkit.pagination import AlertPager, RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, clean, none, one, to_now, validate
from cortexkit.resources.cloud_accounts import seg
from cortexkit.resources.models import Alert

FilterArg = Mapping[str, str | Sequence[str]] | Sequence[Mapping[str, Any]] | None
ALERT_STATUSES = frozenset({"open", "dismissed", "snoozed", "resolved", "pending_resolution"})


def filter_list(filters: FilterArg) -> list[dict[str, Any]]:
    """`{"alert.status": "open", "cloud.type": ["azure", "aws"]}` -> the API's `[{name, operator, value}]`
    (one entry per value, which the API ORs; different names are ANDed); a ready-made list passes
    through. The one place alert filters become API filters: the CLI only maps its options to names."""
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


def total_call(*, filters: FilterArg = None, time_range: Mapping[str, Any] | None = None) -> Call[int]:
    """How many alerts match (`totalRows` of a one-item `POST /v2/alert` page): nothing is downloaded."""
    body = search_body(filters=filters, time_range=time_range, limit=1, detailed=False)

    def parse(answer: Any) -> int:
        total = answer.get("totalRows") if isinstance(answer, Mapping) else None
        if not isinstance(total, int):
            raise errors.UnexpectedResponseError("the alert search answered without a totalRows count")
        return total

    return Call(RequestSpec("POST", "/v2/alert", json=body, idempotent=True), parse)


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
    within: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`AlertStatusChangeRequestModel`: explicit ids plus the filter the API requires (`within`, up to
    now by default)."""
    if not alert_ids and not policies:
        raise ValueError("name at least one alert id or policy id")
    body: dict[str, Any] = {
        "alerts": list(alert_ids),
        "filter": {"timeRange": dict(within) if within is not None else to_now(), "filters": []},
    }
    if policies:
        body["policies"] = list(policies)
    if note is not None:
        body["dismissalNote"] = note
    if time_range is not None:
        body["dismissalTimeRange"] = dict(time_range)
    return body


Within = Mapping[str, Any] | None


def dismiss_call(
    alert_ids: Sequence[str],
    *,
    note: str | None,
    policies: Sequence[str] | None = None,
    within: Within = None,
) -> Call[None]:
    body = _status_body(alert_ids, note, None, policies, within)
    return Call(RequestSpec("POST", "/alert/dismiss", json=body), none)


def snooze_call(
    alert_ids: Sequence[str],
    *,
    snooze_for: Mapping[str, Any],
    note: str | None,
    policies: Sequence[str] | None = None,
    within: Within = None,
) -> Call[None]:
    """Snooze = dismiss with a `dismissalTimeRange` (e.g. `relative(3, "day")`)."""
    body = _status_body(alert_ids, note, snooze_for, policies, within)
    return Call(RequestSpec("POST", "/alert/dismiss", json=body), none)


def reopen_call(
    alert_ids: Sequence[str], *, policies: Sequence[str] | None = None, within: Within = None
) -> Call[None]:
    body = _status_body(alert_ids, None, None, policies, within)
    return Call(RequestSpec("POST", "/alert/reopen", json=body), none)


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

    def total(self, *, filters: FilterArg = None, time_range: Mapping[str, Any] | None = None) -> int:
        """How many alerts match the filters; no alert is downloaded."""
        return self._run(total_call(filters=filters, time_range=time_range))

    def get(self, alert_id: str, *, detailed: bool | None = None) -> Alert:
        return self._run(get_call(alert_id, detailed=detailed))

    def dismiss(
        self,
        alert_ids: Sequence[str],
        *,
        note: str | None,
        policies: Sequence[str] | None = None,
        within: Within = None,
    ) -> None:
        self._run(dismiss_call(alert_ids, note=note, policies=policies, within=within))

    def snooze(
        self,
        alert_ids: Sequence[str],
        *,
        snooze_for: Mapping[str, Any],
        note: str | None,
        policies: Sequence[str] | None = None,
        within: Within = None,
    ) -> None:
        self._run(snooze_call(alert_ids, snooze_for=snooze_for, note=note, policies=policies, within=within))

    def reopen(
        self, alert_ids: Sequence[str], *, policies: Sequence[str] | None = None, within: Within = None
    ) -> None:
        self._run(reopen_call(alert_ids, policies=policies, within=within))


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

    async def total(self, *, filters: FilterArg = None, time_range: Mapping[str, Any] | None = None) -> int:
        return await self._run(total_call(filters=filters, time_range=time_range))

    async def get(self, alert_id: str, *, detailed: bool | None = None) -> Alert:
        return await self._run(get_call(alert_id, detailed=detailed))

    async def dismiss(
        self,
        alert_ids: Sequence[str],
        *,
        note: str | None,
        policies: Sequence[str] | None = None,
        within: Within = None,
    ) -> None:
        await self._run(dismiss_call(alert_ids, note=note, policies=policies, within=within))

    async def snooze(
        self,
        alert_ids: Sequence[str],
        *,
        snooze_for: Mapping[str, Any],
        note: str | None,
        policies: Sequence[str] | None = None,
        within: Within = None,
    ) -> None:
        call = snooze_call(alert_ids, snooze_for=snooze_for, note=note, policies=policies, within=within)
        await self._run(call)

    async def reopen(
        self, alert_ids: Sequence[str], *, policies: Sequence[str] | None = None, within: Within = None
    ) -> None:
        await self._run(reopen_call(alert_ids, policies=policies, within=within))
