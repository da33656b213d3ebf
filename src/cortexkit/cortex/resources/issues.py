"""`public_api/v1/issue/*`: issues are Cortex's alerts. Search (XDR-classic paging, 100 a page), get
(a search on `id`), update (`POST /issue/{id}` with `update_data`, answered 204)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit import errors
from cortexkit.cortex.models import Issue
from cortexkit.cortex.paging import CortexPager, classic
from cortexkit.cortex.resources._base import AsyncCortexResource, Call, CortexResource, Paged, post
from cortexkit.resources._base import clean

SEARCH = "/public_api/v1/issue/search"


def search_pager(
    *,
    filters: Sequence[Mapping[str, Any]] = (),
    status: Sequence[str] | None = None,
    severity: Sequence[str] | None = None,
    sort_field: str | None = None,
    sort_order: str = "desc",
    page_size: int | None = None,
) -> Paged[Issue]:
    conditions = [dict(f) for f in filters]
    if status:
        conditions.append(classic("status.progress", "in", list(status)))
    if severity:
        conditions.append(classic("severity", "in", [s.upper() for s in severity]))
    body: dict[str, Any] = {"filters": conditions}
    if sort_field:
        body["sort"] = {"field": sort_field, "keyword": sort_order.lower()}
    return Paged(CortexPager(SEARCH, body, style="search", page_size=page_size), Issue)


def get_pager(issue_id: str) -> Paged[Issue]:
    return Paged(CortexPager(SEARCH, {"filters": [classic("id", "eq", issue_id)]}, page_size=1), Issue)


def update(
    issue_id: str,
    *,
    status: str | None = None,
    severity: str | None = None,
    resolution_reason: str | None = None,
    resolution_comment: str | None = None,
) -> Call[None]:
    data = clean(
        status=status,
        severity=severity.upper() if severity else None,
        status_resolution_reason=resolution_reason,
        status_resolution_comment=resolution_comment,
    )
    if not data:
        raise errors.ConfigurationError("nothing to update: give a status, severity or resolution")
    # Setting fields to given values: sending it twice leaves the same issue, so a resend is harmless.
    return Call(
        post(f"/public_api/v1/issue/{issue_id}", {"update_data": data}, read_only=True), lambda _: None
    )


class Issues(CortexResource):
    def search(self, *, max_items: int | None = None, **kwargs: Any) -> Iterator[Issue]:
        return self._iter(search_pager(**kwargs), max_items)

    def get(self, issue_id: str) -> Issue:
        found = next(iter(self._iter(get_pager(issue_id), 1)), None)
        if found is None:
            raise errors.NotFoundError(
                404, message=f"no issue with id {issue_id!r}", path=SEARCH, method="POST"
            )
        return found

    def update(self, issue_id: str, **changes: Any) -> None:
        self._run(update(issue_id, **changes))


class AsyncIssues(AsyncCortexResource):
    def search(self, *, max_items: int | None = None, **kwargs: Any) -> AsyncIterator[Issue]:
        return self._iter(search_pager(**kwargs), max_items)

    async def get(self, issue_id: str) -> Issue:
        async for row in self._iter(get_pager(issue_id), 1):
            return row
        raise errors.NotFoundError(404, message=f"no issue with id {issue_id!r}", path=SEARCH, method="POST")

    async def update(self, issue_id: str, **changes: Any) -> None:
        await self._run(update(issue_id, **changes))
