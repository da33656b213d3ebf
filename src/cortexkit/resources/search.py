"""RQL config search, paged through `/search/config/page`; and audit logs (`/audit/api/v1/log`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Literal

from cortexkit.pagination import AuditLogPager, RqlConfigPager
from cortexkit.resources._base import AsyncResource, SyncResource, clean, relative, to_now, validate
from cortexkit.resources.models import AuditLogEntry, RqlResource

RqlApi = Literal["legacy", "v1", "v2"]


def config_body(
    query: str,
    *,
    time_range: Mapping[str, Any] | None,
    page_size: int,
    with_resource_json: bool,
    api: RqlApi,
) -> dict[str, Any]:
    if not query.strip():
        raise ValueError("query is empty")
    body: dict[str, Any] = {"query": query, "limit": page_size, "withResourceJson": with_resource_json}
    if api == "v2":
        if time_range is not None:
            raise ValueError("the v2 search takes no timeRange (it searches up to now)")
    else:
        body["timeRange"] = dict(time_range) if time_range is not None else to_now()
    if api == "legacy":
        body["heuristicSearch"] = True
    return body


def audit_body(
    *, time_range: Mapping[str, Any] | None, filters: Sequence[Mapping[str, Any]] | None, page_size: int
) -> dict[str, Any]:
    if not 100 <= page_size <= 500:
        raise ValueError("audit log page size must be between 100 and 500")
    return clean(
        timeRange=dict(time_range) if time_range is not None else relative(24, "hour"),
        filters=[dict(f) for f in filters] if filters else None,
        limit=page_size,
    )


class Search(SyncResource):
    def config(
        self,
        query: str,
        *,
        time_range: Mapping[str, Any] | None = None,
        page_size: int = 100,
        with_resource_json: bool = False,
        api: RqlApi = "legacy",
        max_items: int | None = None,
    ) -> Iterator[RqlResource]:
        """Resources matching an RQL `config where ...` query, lazily across pages."""
        body = config_body(
            query, time_range=time_range, page_size=page_size, with_resource_json=with_resource_json, api=api
        )
        for item in self._client.paginate(RqlConfigPager(body, api), max_items=max_items):
            yield validate(RqlResource, item)


class AsyncSearch(AsyncResource):
    async def config(
        self,
        query: str,
        *,
        time_range: Mapping[str, Any] | None = None,
        page_size: int = 100,
        with_resource_json: bool = False,
        api: RqlApi = "legacy",
        max_items: int | None = None,
    ) -> AsyncIterator[RqlResource]:
        body = config_body(
            query, time_range=time_range, page_size=page_size, with_resource_json=with_resource_json, api=api
        )
        async for item in self._client.paginate(RqlConfigPager(body, api), max_items=max_items):
            yield validate(RqlResource, item)


class AuditLogs(SyncResource):
    def iterate(
        self,
        *,
        time_range: Mapping[str, Any] | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
        page_size: int = 500,
        max_items: int | None = None,
    ) -> Iterator[AuditLogEntry]:
        body = audit_body(time_range=time_range, filters=filters, page_size=page_size)
        for item in self._client.paginate(AuditLogPager(body), max_items=max_items):
            yield validate(AuditLogEntry, item)


class AsyncAuditLogs(AsyncResource):
    async def iterate(
        self,
        *,
        time_range: Mapping[str, Any] | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
        page_size: int = 500,
        max_items: int | None = None,
    ) -> AsyncIterator[AuditLogEntry]:
        body = audit_body(time_range=time_range, filters=filters, page_size=page_size)
        async for item in self._client.paginate(AuditLogPager(body), max_items=max_items):
            yield validate(AuditLogEntry, item)
