"""Request descriptions and page-state objects: the next request is computed from the last response.

Pure: a pager never does I/O. `iterate()` / `aiterate()` drive one with a `send` function supplied by
`Client` / `AsyncClient`, yield item by item and hold one page at a time (constant memory however many
alerts there are). Pagers keep the caller's filters, sort and page size and send them again with each
page token: the peers that re-POST only `{"pageToken": ...}` rely on the server remembering them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cortexkit import errors
from cortexkit._redact import redact_json

log = logging.getLogger("cortexkit")

COMPUTE_MAX_LIMIT = 50


class _ClientDefault:
    """The per-call `timeout` that means "the client's own" (None already means "no timeout")."""

    def __repr__(self) -> str:
        return "CLIENT_DEFAULT"


CLIENT_DEFAULT: Any = _ClientDefault()


@dataclass(frozen=True)
class RequestSpec:
    """Everything needed to send one call; built by resources and pagers, sent by the clients.

    `base_url` overrides the API URL (Compute consoles live elsewhere); `auth=False` sends no session
    token (login itself); `idempotent=None` lets `retry.is_idempotent` decide from method and path.
    `timeout` (seconds, an `httpx.Timeout` or None), `max_retries` and `deadline` (seconds for all
    attempts) override the client's settings for this call. The repr masks secrets in the body/headers.
    """

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    idempotent: bool | None = None
    base_url: str | None = None
    auth: bool = True
    timeout: Any = CLIENT_DEFAULT
    max_retries: int | None = None
    deadline: float | None = None

    def __repr__(self) -> str:
        body = redact_json(self.json) if self.json is not None else None
        headers = redact_json(dict(self.headers)) if self.headers else None
        return (
            f"RequestSpec(method={self.method!r}, path={self.path!r}, params={self.params!r}, "
            f"json={body!r}, headers={headers!r}, idempotent={self.idempotent!r}, "
            f"base_url={self.base_url!r}, auth={self.auth!r})"
        )


@dataclass(frozen=True)
class Page:
    """One decoded response: the body and lower-case headers."""

    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class Pager(Protocol):
    def first(self) -> RequestSpec: ...

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        """The items of a page and the request for the next one (None at the end)."""
        ...


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.UnexpectedResponseError(f"{what} page is {type(body).__name__}, not an object")
    return body


def _list(value: Any, what: str) -> list[Any]:
    """A page's items; a missing list is an empty page, anything else but a list of objects is a broken
    answer (a list of numbers or nulls must not pass for alerts, resources or log entries)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.UnexpectedResponseError(f"{what} items are {type(value).__name__}, not a list")
    for item in value:
        if not isinstance(item, Mapping):
            kind = type(item).__name__
            raise errors.UnexpectedResponseError(f"{what} items must be objects, one is {kind}")
    return value


def _token(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass
@dataclass
class TokenLoopGuard:
    """Stops a pager that is handed a token it already followed: a server bug (the same token twice, or a
    cycle A, B, A, ...) would otherwise loop forever. Remembers every token of the walk: a few hundred
    bytes a page, against pages of kilobytes."""

    seen: set[str] = field(default_factory=set)

    def fresh(self, token: str | None) -> str | None:
        """`token`, or None when it was seen before in this walk (stop there)."""
        if token is None:
            return None
        if token in self.seen:
            log.warning("pagination stopped: the server handed out a page token it had already given")
            return None
        self.seen.add(token)
        return token


@dataclass
class AlertPager:
    """`POST /v2/alert`: the caller's body (filters, timeRange, limit, sortBy, fields) plus `pageToken`."""

    body: Mapping[str, Any]
    path: str = "/v2/alert"
    params: Mapping[str, Any] | None = None
    guard: TokenLoopGuard = field(default_factory=TokenLoopGuard)

    def first(self) -> RequestSpec:
        body = {k: v for k, v in self.body.items() if k != "pageToken"}
        return RequestSpec("POST", self.path, params=self.params, json=body, idempotent=True)

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        body = _object(page.body, "alert")
        token = self.guard.fresh(_token(body.get("nextPageToken")))
        items = _list(body.get("items"), "alert")
        if token is None or not items:
            return items, None
        nxt = {**self.body, "pageToken": token}
        return items, RequestSpec("POST", self.path, params=self.params, json=nxt, idempotent=True)


RQL_PATHS = {"legacy": "/search/config", "v1": "/search/api/v1/config", "v2": "/search/api/v2/config"}


@dataclass
class RqlConfigPager:
    """RQL config search: `/search/config` (results under `data`) or `/search/api/v1|v2/config` (flat),
    then `/search/config/page` with the token, the page size and `withResourceJson` again."""

    body: Mapping[str, Any]
    api: str = "legacy"
    guard: TokenLoopGuard = field(default_factory=TokenLoopGuard)

    def __post_init__(self) -> None:
        if self.api not in RQL_PATHS:
            raise ValueError(f"api must be one of {sorted(RQL_PATHS)}")

    def first(self) -> RequestSpec:
        return RequestSpec("POST", RQL_PATHS[self.api], json=dict(self.body), idempotent=True)

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        body = _object(page.body, "RQL search")
        data = _object(body["data"], "RQL search") if "data" in body else body
        items = _list(data.get("items"), "RQL search")
        token = self.guard.fresh(_token(data.get("nextPageToken")))
        if token is None or not items:
            return items, None
        nxt: dict[str, Any] = {"pageToken": token}
        for key in ("limit", "withResourceJson", "heuristicSearch"):
            if key in self.body:
                nxt[key] = self.body[key]
        return items, RequestSpec("POST", "/search/config/page", json=nxt, idempotent=True)


@dataclass
class AuditLogPager:
    """`POST /audit/api/v1/log`: `{timeRange, filters, limit}` plus `nextPageToken`; items under `value`."""

    body: Mapping[str, Any]
    guard: TokenLoopGuard = field(default_factory=TokenLoopGuard)

    def first(self) -> RequestSpec:
        return RequestSpec("POST", "/audit/api/v1/log", json=dict(self.body), idempotent=True)

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        body = _object(page.body, "audit log")
        items = _list(body.get("value"), "audit log")
        token = self.guard.fresh(_token(body.get("nextPageToken")))
        if token is None or not items:
            return items, None
        return items, RequestSpec(
            "POST", "/audit/api/v1/log", json={**self.body, "nextPageToken": token}, idempotent=True
        )


@dataclass
class OffsetPager:
    """Compute-style `GET ?offset=&limit=` paging, bounded by the `Total-Count` header (limit <= 50)."""

    path: str
    params: Mapping[str, Any] | None = None
    limit: int = COMPUTE_MAX_LIMIT
    base_url: str | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= COMPUTE_MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {COMPUTE_MAX_LIMIT}")

    def _spec(self, offset: int) -> RequestSpec:
        params = {**(self.params or {}), "offset": offset, "limit": self.limit}
        return RequestSpec("GET", self.path, params=params, base_url=self.base_url)

    def first(self) -> RequestSpec:
        return self._spec(self.offset)

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        items = _list(page.body, "Compute")
        self.offset += len(items)
        total_text = page.headers.get("total-count")
        try:
            total = int(total_text) if total_text is not None else None
        except ValueError:
            total = None
        done = not items or len(items) < self.limit or (total is not None and self.offset >= total)
        return items, None if done else self._spec(self.offset)


@dataclass(frozen=True)
class ResultPage:
    """One page of a walk: its items, whether another follows, its token, and the total when the API
    gives one (`totalRows` in the body, or Compute's `Total-Count` header)."""

    items: list[Any]
    next_request: RequestSpec | None
    total: int | None = None

    @property
    def has_next_page(self) -> bool:
        """Whether another page follows."""
        return self.next_request is not None

    @property
    def next_page_token(self) -> str | None:
        """The token the next request carries (None at the end, and for offset paging)."""
        body = self.next_request.json if self.next_request is not None else None
        if isinstance(body, Mapping):
            token = body.get("pageToken", body.get("nextPageToken"))
            return token if isinstance(token, str) else None
        return None


def _total(page: Page) -> int | None:
    body = page.body
    holders = [body, body.get("data")] if isinstance(body, Mapping) else []
    for holder in holders:
        if isinstance(holder, Mapping):
            value = holder.get("totalRows")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    header = page.headers.get("total-count")
    return int(header) if header is not None and header.isdigit() else None


def iter_pages(send: Callable[[RequestSpec], Page], pager: Pager) -> Iterator[ResultPage]:
    """Pages of a walk, fetched lazily (for callers who want the token or the total, not just items)."""
    spec: RequestSpec | None = pager.first()
    while spec is not None:
        page = send(spec)
        items, spec = pager.parse(page)
        yield ResultPage(items, spec, _total(page))


async def aiter_pages(
    send: Callable[[RequestSpec], Awaitable[Page]], pager: Pager
) -> AsyncIterator[ResultPage]:
    """The async twin of `iter_pages`."""
    spec: RequestSpec | None = pager.first()
    while spec is not None:
        page = await send(spec)
        items, spec = pager.parse(page)
        yield ResultPage(items, spec, _total(page))


def iterate(
    send: Callable[[RequestSpec], Page], pager: Pager, *, max_items: int | None = None
) -> Iterator[Any]:
    """Items across pages, fetched lazily; stops early after `max_items`."""
    spec: RequestSpec | None = pager.first()
    count = 0
    while spec is not None:
        items, spec = pager.parse(send(spec))
        for item in items:
            if max_items is not None and count >= max_items:
                return
            count += 1
            yield item


async def aiterate(
    send: Callable[[RequestSpec], Awaitable[Page]], pager: Pager, *, max_items: int | None = None
) -> AsyncIterator[Any]:
    """The async twin of `iterate`."""
    spec: RequestSpec | None = pager.first()
    count = 0
    while spec is not None:
        items, spec = pager.parse(await send(spec))
        for item in items:
            if max_items is not None and count >= max_items:
                return
            count += 1
            yield item


def with_limit(spec: RequestSpec, limit: int) -> RequestSpec:
    """A copy of a JSON-body spec with `limit` set (helpers for page-size overrides)."""
    body = dict(spec.json) if isinstance(spec.json, Mapping) else {}
    body["limit"] = limit
    return replace(spec, json=body)
