"""The three Cortex paging styles as pure page-state objects."""

from __future__ import annotations

import pytest

from cortexkit import errors
from cortexkit.cortex.paging import CortexPager, all_of, any_of, pager_for, style_for, where
from cortexkit.pagination import Page


def _rows(n: int, start: int = 0) -> list[dict[str, int]]:
    return [{"i": start + k} for k in range(n)]


def test_filter_data_windows_keep_the_filter() -> None:
    tree = all_of(where("STATUS", "EQ", "CONNECTED"), any_of(where("CLOUD_PROVIDER", "EQ", "AZURE")))
    pager = CortexPager(
        "/p",
        {"filter_data": {"filter": tree, "sort": [{"FIELD": "ID", "ORDER": "ASC"}]}},
        style="filter_data",
        page_size=2,
    )
    spec = pager.first()
    assert spec.json["request_data"]["filter_data"]["paging"] == {"from": 0, "to": 2}
    items, nxt = pager.parse(Page({"reply": {"DATA": _rows(2), "FILTER_COUNT": 5, "TOTAL_COUNT": 9}}))
    assert len(items) == 2 and nxt is not None
    body = nxt.json["request_data"]["filter_data"]
    assert body["paging"] == {"from": 2, "to": 4}
    assert body["filter"] == tree and body["sort"] == [{"FIELD": "ID", "ORDER": "ASC"}]
    assert nxt.idempotent is True
    _, nxt = pager.parse(Page({"reply": {"DATA": _rows(2, 2), "FILTER_COUNT": 5}}))
    _, nxt = pager.parse(Page({"reply": {"DATA": _rows(1, 4), "FILTER_COUNT": 5}}))
    assert nxt is None


def test_filter_data_stops_at_filter_count_even_on_full_page() -> None:
    pager = CortexPager("/p", {}, style="filter_data", page_size=2)
    _, nxt = pager.parse(Page({"reply": {"DATA": _rows(2), "FILTER_COUNT": 2}}))
    assert nxt is None


def test_search_style_windows_of_at_most_100() -> None:
    pager = CortexPager("/s", {"filters": [{"field": "x", "operator": "in", "value": [1]}]})
    first = pager.first().json["request_data"]
    assert (first["search_from"], first["search_to"]) == (0, 100)
    _, nxt = pager.parse(Page({"reply": {"DATA": _rows(100), "TOTAL_COUNT": 250}}))
    assert nxt is not None and nxt.json["request_data"]["search_from"] == 100
    assert nxt.json["request_data"]["filters"] == first["filters"]
    with pytest.raises(ValueError, match="between 1 and 100"):
        CortexPager("/s", page_size=101)


@pytest.mark.parametrize("key", ["DATA", "data", "standards", "controls", "results"])
def test_items_under_any_known_key(key: str) -> None:
    pager = CortexPager("/s", page_size=10)
    items, nxt = pager.parse(Page({"reply": {key: _rows(3), "total_count": 3, "result_count": 3}}))
    assert len(items) == 3 and nxt is None


def test_short_page_without_counts_ends() -> None:
    pager = CortexPager("/audits", page_size=10)
    _, nxt = pager.parse(Page({"reply": {"data": _rows(10)}}))
    assert nxt is not None
    _, nxt = pager.parse(Page({"reply": {"data": _rows(3)}}))
    assert nxt is None


def test_assets_mixed_style_keeps_tree_filters() -> None:
    tree = all_of(where("xdm.asset.provider", "EQ", "AZURE"))
    pager = pager_for("/public_api/v1/assets", {"request_data": {"filters": tree}})
    assert pager.style == "assets"
    data = pager.first().json["request_data"]
    assert data["filters"] == tree and data["search_to"] == 100


def test_style_detection() -> None:
    assert style_for("/public_api/v1/cloud_onboarding/get_instances") == "filter_data"
    assert style_for("/public_api/v1/issue/search", {"request_data": {"filters": []}}) == "search"
    assert style_for("/x", {"request_data": {"filter_data": {}}}) == "filter_data"
    assert pager_for("/x", {"request_data": {"search_from": 200}}).offset == 200


def test_bad_pages_are_errors_not_data() -> None:
    pager = CortexPager("/s")
    with pytest.raises(errors.UnexpectedResponseError):
        pager.parse(Page({"reply": {"DATA": [1, 2]}}))
    with pytest.raises(errors.UnexpectedResponseError):
        pager.parse(Page({"reply": "nope"}))


def test_max_pages_bounds_a_server_ignoring_the_window() -> None:
    pager = CortexPager("/s", page_size=2, max_pages=3)
    nxt = pager.first()
    pages = 0
    while nxt is not None:
        _, nxt = pager.parse(Page({"reply": {"DATA": _rows(2)}}))
        pages += 1
    assert pages == 3
