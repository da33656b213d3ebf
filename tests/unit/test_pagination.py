"""Pagers compute the next request from the last response; iterate/aiterate hold one page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cortexkit import errors
from cortexkit.pagination import (
    AlertPager,
    AuditLogPager,
    OffsetPager,
    Page,
    RequestSpec,
    RqlConfigPager,
    aiterate,
    iterate,
)

BODY = {
    "filters": [{"name": "alert.status", "operator": "=", "value": "open"}],
    "timeRange": {"type": "relative", "value": {"amount": 1, "unit": "day"}},
    "limit": 2,
    "sortBy": ["alertTime:desc"],
}


def test_alert_pager_resends_filters_sort_and_limit_with_the_token() -> None:
    pager = AlertPager(BODY)
    first = pager.first()
    assert (first.method, first.path, first.json) == ("POST", "/v2/alert", BODY)
    items, nxt = pager.parse(Page({"items": [{"id": 1}, {"id": 2}], "nextPageToken": "tok1"}))
    assert items == [{"id": 1}, {"id": 2}]
    assert nxt is not None and nxt.json == {**BODY, "pageToken": "tok1"}
    assert nxt.idempotent is True
    items, nxt = pager.parse(Page({"items": [{"id": 3}], "nextPageToken": ""}))
    assert items == [{"id": 3}] and nxt is None


def test_alert_pager_stops_on_a_repeated_token() -> None:
    pager = AlertPager(BODY)
    _, nxt = pager.parse(Page({"items": [{"id": 1}], "nextPageToken": "same"}))
    assert nxt is not None
    _, nxt = pager.parse(Page({"items": [{"id": 2}], "nextPageToken": "same"}))
    assert nxt is None


@pytest.mark.parametrize("pager_class", [AlertPager, RqlConfigPager])
def test_a_two_token_cycle_stops(pager_class: type[AlertPager] | type[RqlConfigPager]) -> None:
    """Issue 12 defect 11: A, B, A, ... looped forever (the guard remembered only the last token)."""
    pager = pager_class(BODY)
    pages = 0
    nxt: RequestSpec | None = pager.first()
    tokens = ["A", "B"]
    while nxt is not None and pages < 10:
        token = tokens[pages % 2]
        body = {"items": [{"id": pages}], "nextPageToken": token}
        nxt = pager.parse(Page(body if pager_class is AlertPager else {"id": "s", "data": body}))[1]
        pages += 1
    assert pages == 3  # A, B, then A again: stop


def test_rql_legacy_reads_data_then_pages_via_search_config_page() -> None:
    body = {"query": "config from cloud.resource", "limit": 100, "withResourceJson": False, "timeRange": {}}
    pager = RqlConfigPager(body)
    assert pager.first().path == "/search/config"
    items, nxt = pager.parse(Page({"id": "s1", "data": {"items": [{"id": "a"}], "nextPageToken": "p2"}}))
    assert items == [{"id": "a"}]
    assert nxt == RequestSpec(
        "POST",
        "/search/config/page",
        json={"pageToken": "p2", "limit": 100, "withResourceJson": False},
        idempotent=True,
    )
    items, nxt = pager.parse(Page({"items": [{"id": "b"}], "nextPageToken": None}))  # the page answer is flat
    assert items == [{"id": "b"}] and nxt is None


@pytest.mark.parametrize(("api", "path"), [("v1", "/search/api/v1/config"), ("v2", "/search/api/v2/config")])
def test_rql_v1_v2_flat_first_page(api: str, path: str) -> None:
    pager = RqlConfigPager({"query": "q"}, api=api)
    assert pager.first().path == path
    items, nxt = pager.parse(Page({"items": [{"id": 1}], "nextPageToken": "t"}))
    assert items == [{"id": 1}] and nxt is not None and nxt.path == "/search/config/page"


def test_rql_rejects_unknown_api() -> None:
    with pytest.raises(ValueError):
        RqlConfigPager({"query": "q"}, api="v9")


def test_audit_pager_uses_value_and_next_page_token() -> None:
    body = {"timeRange": {"type": "relative", "value": {"amount": 1, "unit": "day"}}, "limit": 100}
    pager = AuditLogPager(body)
    items, nxt = pager.parse(Page({"value": [{"action": "x"}], "nextPageToken": "n"}))
    assert items == [{"action": "x"}]
    assert nxt is not None and nxt.json == {**body, "nextPageToken": "n"}


def test_offset_pager_follows_total_count() -> None:
    pager = OffsetPager("/api/v1/images", params={"collections": "c"}, limit=2, base_url="https://cwp.test")
    first = pager.first()
    assert first.params == {"collections": "c", "offset": 0, "limit": 2}
    assert first.base_url == "https://cwp.test"
    _, nxt = pager.parse(Page([{"id": 1}, {"id": 2}], {"total-count": "5"}))
    assert nxt is not None and nxt.params is not None and nxt.params["offset"] == 2
    _, nxt = pager.parse(Page([{"id": 3}, {"id": 4}], {"total-count": "5"}))
    assert nxt is not None
    _, nxt = pager.parse(Page([{"id": 5}], {"total-count": "5"}))
    assert nxt is None


def test_offset_pager_stops_at_total_even_with_full_pages() -> None:
    pager = OffsetPager("/x", limit=2)
    _, nxt = pager.parse(Page([{"id": 1}, {"id": 2}], {"total-count": "2"}))
    assert nxt is None


@pytest.mark.parametrize("limit", [0, 51])
def test_offset_pager_limit_bounds(limit: int) -> None:
    with pytest.raises(ValueError):
        OffsetPager("/x", limit=limit)


class FakeAlertServer:
    """Serves `total` alerts in pages and records what was asked."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requests: list[RequestSpec] = []

    def __call__(self, spec: RequestSpec) -> Page:
        self.requests.append(spec)
        body = spec.json
        assert isinstance(body, dict)
        start = int(body.get("pageToken", "0"))
        end = min(self.total, start + body["limit"])
        token = str(end) if end < self.total else None
        return Page({"items": [{"id": i} for i in range(start, end)], "nextPageToken": token})


def test_iterate_is_lazy_and_keeps_filters_on_every_page() -> None:
    server = FakeAlertServer(total=7)
    it: Iterator[Any] = iterate(server, AlertPager(BODY))
    assert server.requests == []  # nothing sent before the first item is asked for
    assert next(it) == {"id": 0}
    assert len(server.requests) == 1
    rest = list(it)
    assert [a["id"] for a in rest] == list(range(1, 7))
    assert len(server.requests) == 4
    for spec in server.requests:
        assert spec.json["filters"] == BODY["filters"]
        assert spec.json["sortBy"] == BODY["sortBy"]


def test_iterate_max_items_stops_fetching() -> None:
    server = FakeAlertServer(total=100)
    assert len(list(iterate(server, AlertPager(BODY), max_items=3))) == 3
    assert len(server.requests) == 2


async def test_aiterate_matches_iterate() -> None:
    server = FakeAlertServer(total=5)

    async def send(spec: RequestSpec) -> Page:
        return server(spec)

    got = [item async for item in aiterate(send, AlertPager(BODY))]
    assert [a["id"] for a in got] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("pager", "body"),
    [
        (AlertPager({}), "an error string"),
        (AlertPager({}), {"items": {"not": "a list"}}),
        (RqlConfigPager({"query": "q"}), {"data": "oops"}),
        (AuditLogPager({}), [1, 2]),
        (OffsetPager("/x"), {"error": "unauthorized"}),
        (AlertPager({}), {"items": [1, 2, None]}),
        (RqlConfigPager({"query": "q"}), {"data": {"items": ["a"]}}),
        (AuditLogPager({}), {"value": [{"action": "x"}, None]}),
        (OffsetPager("/x"), [3]),
    ],
)
def test_broken_pages_raise_instead_of_ending_quietly(pager: Any, body: Any) -> None:
    with pytest.raises(errors.UnexpectedResponseError):
        pager.parse(Page(body))


def test_a_page_without_items_is_empty() -> None:
    assert AlertPager({}).parse(Page({"totalRows": 0})) == ([], None)
