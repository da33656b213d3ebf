"""Compute (CWP) through the CSPM session: the console URL from `GET /meta_info` (`twistlockUrl`), the
CSPM JWT in `x-redlock-auth` (as prismacloud-api does), and offset paging bounded by `Total-Count`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from cortexkit import errors
from cortexkit.pagination import OffsetPager, RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource


def meta_info_call() -> Call[str]:
    def parse(body: Any) -> str:
        url = body.get("twistlockUrl") if isinstance(body, Mapping) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise errors.UnexpectedResponseError("/meta_info carried no usable twistlockUrl")
        return url.rstrip("/")

    return Call(RequestSpec("GET", "/meta_info"), parse)


def compute_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    return path if path.startswith("/api/") else "/api/v1" + path


class Compute(SyncResource):
    _url: str | None = None

    def console_url(self) -> str:
        if self._url is None:
            self._url = self._run(meta_info_call())
        return self._url

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """Any Compute API call, e.g. `request("GET", "/defenders/summary")` (`/api/v1` is added)."""
        spec = RequestSpec(
            method.upper(), compute_path(path), params=params, json=json, base_url=self.console_url()
        )
        return self._client.send(spec)

    def iterate(
        self, path: str, *, params: Mapping[str, Any] | None = None, page_size: int = 50
    ) -> Iterator[Any]:
        """A Compute list (`/images`, `/hosts`, ...) page by page, `limit` <= 50."""
        pager = OffsetPager(compute_path(path), params=params, limit=page_size, base_url=self.console_url())
        return self._client.paginate(pager)


class AsyncCompute(AsyncResource):
    _url: str | None = None

    async def console_url(self) -> str:
        if self._url is None:
            self._url = await self._run(meta_info_call())
        return self._url

    async def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        base = await self.console_url()
        spec = RequestSpec(method.upper(), compute_path(path), params=params, json=json, base_url=base)
        return await self._client.send(spec)

    async def iterate(
        self, path: str, *, params: Mapping[str, Any] | None = None, page_size: int = 50
    ) -> AsyncIterator[Any]:
        pager = OffsetPager(
            compute_path(path), params=params, limit=page_size, base_url=await self.console_url()
        )
        async for item in self._client.paginate(pager):
            yield item
