"""`public_api/v1/assets`: the inventory. Mixed paging: `search_from`/`search_to` windows with `filters`
as the classic list or an AND/OR tree, `sort` as `[{FIELD, ORDER}]`; `GET /assets/{id}` for one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit.cortex.models import Asset
from cortexkit.cortex.paging import CortexPager
from cortexkit.cortex.resources._base import (
    AsyncCortexResource,
    Call,
    CortexResource,
    Paged,
    reply_object,
    validate,
)
from cortexkit.pagination import RequestSpec

PATH = "/public_api/v1/assets"


def list_pager(
    *,
    filters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    sort: Sequence[Mapping[str, str]] | None = None,
    on_demand_fields: Sequence[str] | None = None,
    page_size: int | None = None,
) -> Paged[Asset]:
    body: dict[str, Any] = {}
    if filters:
        body["filters"] = dict(filters) if isinstance(filters, Mapping) else [dict(f) for f in filters]
    if sort:
        body["sort"] = [dict(s) for s in sort]
    if on_demand_fields:
        body["on_demand_fields"] = list(on_demand_fields)
    return Paged(CortexPager(PATH, body, style="assets", page_size=page_size), Asset)


def get(asset_id: str) -> Call[Asset]:
    return Call(
        RequestSpec("GET", f"{PATH}/{asset_id}", idempotent=True),
        lambda b: validate(Asset, reply_object(b, "Asset")),
    )


class Assets(CortexResource):
    def list(self, *, max_items: int | None = None, **kwargs: Any) -> Iterator[Asset]:
        return self._iter(list_pager(**kwargs), max_items)

    def get(self, asset_id: str) -> Asset:
        return self._run(get(asset_id))


class AsyncAssets(AsyncCortexResource):
    def list(self, *, max_items: int | None = None, **kwargs: Any) -> AsyncIterator[Asset]:
        return self._iter(list_pager(**kwargs), max_items)

    async def get(self, asset_id: str) -> Asset:
        return await self._run(get(asset_id))
