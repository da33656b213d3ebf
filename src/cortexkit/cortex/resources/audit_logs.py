"""`public_api/v1/audits/management_logs`: who did what on the tenant (XDR-classic paging, `AUDIT_*` rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit.cortex.models import AuditLog
from cortexkit.cortex.paging import CortexPager, classic
from cortexkit.cortex.resources._base import AsyncCortexResource, CortexResource, Paged

PATH = "/public_api/v1/audits/management_logs"


def logs_pager(
    *,
    filters: Sequence[Mapping[str, Any]] = (),
    since_ms: int | None = None,
    page_size: int | None = None,
) -> Paged[AuditLog]:
    conditions = [dict(f) for f in filters]
    if since_ms is not None:
        conditions.append(classic("timestamp", "gte", since_ms))
    body = {"filters": conditions, "sort": {"field": "timestamp", "keyword": "desc"}}
    return Paged(CortexPager(PATH, body, page_size=page_size), AuditLog)


class AuditLogs(CortexResource):
    def list(self, *, max_items: int | None = None, **kwargs: Any) -> Iterator[AuditLog]:
        return self._iter(logs_pager(**kwargs), max_items)


class AsyncAuditLogs(AsyncCortexResource):
    def list(self, *, max_items: int | None = None, **kwargs: Any) -> AsyncIterator[AuditLog]:
        return self._iter(logs_pager(**kwargs), max_items)
