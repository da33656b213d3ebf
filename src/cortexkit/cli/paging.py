"""Which pager `cortexkit api --paginate` uses for a path (pure).

`/v2/alert` and RQL searches have their own token protocols (the library's pagers); audit logs put their
items under `value`; any other response with `items` and `nextPageToken` is paged generically by sending the
token back as `pageToken` (in the body for POST, as a query parameter for GET).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cortexkit.pagination import (
    RQL_PATHS,
    AlertPager,
    AuditLogPager,
    Page,
    Pager,
    RequestSpec,
    RqlConfigPager,
    TokenLoopGuard,
)


@dataclass
class GenericTokenPager:
    """`{items, nextPageToken}` responses; a response without `items` is one item (the whole body)."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    body: Any = None
    guard: TokenLoopGuard = field(default_factory=TokenLoopGuard)

    def first(self) -> RequestSpec:
        return RequestSpec(self.method, self.path, params=self.params, json=self.body)

    def parse(self, page: Page) -> tuple[list[Any], RequestSpec | None]:
        body = page.body
        if isinstance(body, list):
            return body, None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            return ([] if body is None else [body]), None
        items: list[Any] = body["items"]
        raw = body.get("nextPageToken")
        token = self.guard.fresh(raw if isinstance(raw, str) and raw else None)
        if token is None or not items:
            return items, None
        if self.method == "GET":
            return items, RequestSpec("GET", self.path, params={**(self.params or {}), "pageToken": token})
        json_body = {**(self.body if isinstance(self.body, dict) else {}), "pageToken": token}
        return items, RequestSpec(self.method, self.path, params=self.params, json=json_body)


def pager_for(method: str, path: str, params: Mapping[str, Any] | None, body: Any) -> Pager:
    method = method.upper()
    bare = "/" + path.split("?", 1)[0].strip("/")
    json_body = body if isinstance(body, dict) else {}
    if method == "POST" and bare == "/v2/alert":
        return AlertPager(json_body, params=params)
    if method == "POST" and bare in RQL_PATHS.values():
        api = next(name for name, rql_path in RQL_PATHS.items() if rql_path == bare)
        return RqlConfigPager(json_body, api=api)
    if method == "POST" and bare == "/audit/api/v1/log":
        return AuditLogPager(json_body)
    return GenericTokenPager(method, path, params, body)
