"""The three Cortex paging styles, as pure page-state objects (the `pagination.Pager` protocol).

1. `filter_data` (cloud_onboarding, outposts): `{"filter_data": {"filter": <AND/OR tree>, "sort": [...],
   "paging": {"from": n, "to": m}}}`, reply `DATA` / `FILTER_COUNT` / `TOTAL_COUNT`. The Go SDK allows
   2000 a page (`MaxLimit`), the Terraform provider uses 1000; so do we.
2. XDR classic (issues, audits, compliance lists): `{"filters": [{field, operator, value}],
   "search_from": n, "search_to": m, "sort": {...}}`; at most 100 a request. Replies keep their items
   under `DATA`, `data`, `standards`, `controls`, ... and the counts under `FILTER_COUNT`/`total_count`.
3. Assets (mixed): `search_from`/`search_to` windows with `filters` that may be the classic list or the
   `{"AND": [...]}` tree, and `sort` as a list of `{FIELD, ORDER}`.

Every page re-sends the caller's filters and sort: no style has a server-side cursor. All three stop on a
short page, on an empty page, or once the count the server reported is reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cortexkit import errors
from cortexkit.pagination import Page, RequestSpec

FILTER_DATA_PAGE = 1000
FILTER_DATA_MAX = 2000
SEARCH_PAGE = 100
SEARCH_MAX = 100

Style = Literal["filter_data", "search", "assets"]

ITEM_KEYS = ("DATA", "data", "standards", "controls", "results", "assets", "incidents", "alerts", "issues")
COUNT_KEYS = ("FILTER_COUNT", "filter_count", "total_count", "TOTAL_COUNT")


# -- filter trees (filter_data and assets) ----------------------------------------------------------------
def where(field_name: str, search_type: str, value: Any) -> dict[str, Any]:
    """One leaf of a filter tree: `{"SEARCH_FIELD", "SEARCH_TYPE", "SEARCH_VALUE"}`."""
    return {"SEARCH_FIELD": field_name, "SEARCH_TYPE": search_type, "SEARCH_VALUE": value}


def all_of(*conditions: Mapping[str, Any]) -> dict[str, Any]:
    return {"AND": [dict(c) for c in conditions]}


def any_of(*conditions: Mapping[str, Any]) -> dict[str, Any]:
    return {"OR": [dict(c) for c in conditions]}


def classic(field_name: str, operator: str, value: Any) -> dict[str, Any]:
    """One XDR-classic filter: `{"field", "operator", "value"}` (in, eq, neq, gte, lte, contains)."""
    return {"field": field_name, "operator": operator, "value": value}


# -- replies ------------------------------------------------------------------------------------------------
def unwrap(body: Any, what: str = "Cortex") -> Any:
    """The `reply` of an RPC answer; other shapes (REST, cloudsec `{data, metadata}`) pass unchanged."""
    if isinstance(body, Mapping) and "reply" in body:
        return body["reply"]
    return body


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise errors.UnexpectedResponseError(f"{what} reply is {type(value).__name__}, not an object")
    return value


def page_items(reply: Mapping[str, Any], what: str) -> list[Any]:
    """The row list of a page under whichever key this API uses; rows must be objects."""
    items: Any = None
    for key in ITEM_KEYS:
        if key in reply:
            items = reply[key]
            break
    if items is None:
        return []
    if not isinstance(items, list):
        raise errors.UnexpectedResponseError(f"{what} rows are {type(items).__name__}, not a list")
    for item in items:
        if not isinstance(item, Mapping):
            raise errors.UnexpectedResponseError(f"{what} rows must be objects, one is {type(item).__name__}")
    return items


def page_count(reply: Mapping[str, Any]) -> int | None:
    """How many rows match in all (the filtered count when both are given)."""
    for key in COUNT_KEYS:
        value = reply.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


@dataclass
class CortexPager:
    """Offset paging in any of the three styles. Pure: `first()` and `parse()` compute the next request.

    `request_data` is the caller's body inside `request_data` (filters, sort, ...); the pager owns only
    the window fields. `max_pages` bounds a server that ignores the window and returns full pages forever.
    """

    path: str
    request_data: Mapping[str, Any] = field(default_factory=dict)
    style: Style = "search"
    page_size: int | None = None
    offset: int = 0
    max_pages: int = 100_000
    pages: int = 0
    total: int | None = None

    def __post_init__(self) -> None:
        if self.style not in ("filter_data", "search", "assets"):
            raise ValueError(f"unknown paging style {self.style!r}")
        limit = FILTER_DATA_MAX if self.style == "filter_data" else SEARCH_MAX
        if self.page_size is None:
            self.page_size = FILTER_DATA_PAGE if self.style == "filter_data" else SEARCH_PAGE
        if not 1 <= self.page_size <= limit:
            raise ValueError(f"page_size must be between 1 and {limit} for {self.style} paging")
        if self.offset < 0:
            raise ValueError("offset must not be negative")

    @property
    def window(self) -> int:
        assert self.page_size is not None
        return self.page_size

    def _body(self, offset: int) -> dict[str, Any]:
        data = dict(self.request_data)
        if self.style == "filter_data":
            filter_data = dict(data.get("filter_data") or {})
            filter_data["paging"] = {"from": offset, "to": offset + self.window}
            data["filter_data"] = filter_data
        else:
            data["search_from"] = offset
            data["search_to"] = offset + self.window
        return {"request_data": data}

    def _spec(self, offset: int) -> RequestSpec:
        return RequestSpec("POST", self.path, json=self._body(offset), idempotent=True)

    def first(self) -> RequestSpec:
        return self._spec(self.offset)

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        reply = _object(unwrap(page.body), self.path)
        items = page_items(reply, self.path)
        count = page_count(reply)
        if count is not None:
            self.total = count
        self.offset += len(items)
        self.pages += 1
        done = (
            not items
            or len(items) < self.window
            or (self.total is not None and self.offset >= self.total)
            or self.pages >= self.max_pages
        )
        return items, None if done else self._spec(self.offset)


STYLE_BY_PATH: tuple[tuple[str, Style], ...] = (
    ("/public_api/v1/cloud_onboarding/", "filter_data"),
    ("/public_api/v1/assets", "assets"),
)


def style_for(path: str, body: Any = None) -> Style:
    """The paging style of a call, from its body when it says (`filter_data`), else from its path."""
    data = body.get("request_data") if isinstance(body, Mapping) else None
    if isinstance(data, Mapping):
        if "filter_data" in data:
            return "filter_data"
        if "search_from" in data or "search_to" in data or "filters" in data:
            for prefix, style in STYLE_BY_PATH:
                if path.startswith(prefix) and style == "assets":
                    return "assets"
            return "search"
    for prefix, style in STYLE_BY_PATH:
        if path.startswith(prefix):
            return style
    return "search"


def pager_for(path: str, body: Any = None, page_size: int | None = None) -> CortexPager:
    """A pager for a raw call (`cortexkit api --paginate`): the style from the body or the path."""
    data = body.get("request_data") if isinstance(body, Mapping) else None
    request_data = dict(data) if isinstance(data, Mapping) else {}
    style = style_for(path, body)
    offset = 0
    if style == "filter_data":
        paging = (request_data.get("filter_data") or {}).get("paging") or {}
        offset = int(paging.get("from") or 0) if isinstance(paging, Mapping) else 0
    else:
        offset = int(request_data.get("search_from") or 0)
    return CortexPager(path, request_data, style=style, page_size=page_size, offset=offset)


def sort_list(fields: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """`[(FIELD, ASC|DESC)]` as the `[{"FIELD", "ORDER"}]` list filter_data and assets take."""
    return [{"FIELD": f, "ORDER": o.upper()} for f, o in fields]
