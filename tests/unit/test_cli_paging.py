"""`api --paginate` pager choice and the generic token pager; `--param` parsing."""

from __future__ import annotations

import logging

import pytest

from cortexkit.cli.api import parse_headers, parse_params
from cortexkit.cli.context import configure_logging
from cortexkit.cli.errors import UsageProblem
from cortexkit.cli.paging import GenericTokenPager, pager_for
from cortexkit.pagination import AlertPager, AuditLogPager, Page, RqlConfigPager


def test_known_paths_get_their_own_pager() -> None:
    assert isinstance(pager_for("POST", "/v2/alert", None, {"limit": 5}), AlertPager)
    assert isinstance(pager_for("post", "search/config", None, {"query": "q"}), RqlConfigPager)
    assert isinstance(pager_for("POST", "/search/api/v2/config", None, {"query": "q"}), RqlConfigPager)
    assert isinstance(pager_for("POST", "/audit/api/v1/log", None, {}), AuditLogPager)
    assert isinstance(pager_for("GET", "/v2/alert", {"a": 1}, None), GenericTokenPager)


def test_generic_get_sends_the_token_as_a_parameter_and_stops() -> None:
    pager = GenericTokenPager("GET", "/v2/alert", {"alert.status": "open"})
    first = pager.first()
    assert first.params == {"alert.status": "open"}
    items, nxt = pager.parse(Page({"items": [1, 2], "nextPageToken": "t1"}))
    assert items == [1, 2] and nxt is not None and nxt.params == {"alert.status": "open", "pageToken": "t1"}
    items, nxt = pager.parse(Page({"items": [3], "nextPageToken": "t1"}))  # a repeated token ends the loop
    assert items == [3] and nxt is None


def test_generic_post_keeps_the_body_and_plain_answers_are_one_item() -> None:
    pager = GenericTokenPager("POST", "/x", None, {"filter": 1})
    _, nxt = pager.parse(Page({"items": [1], "nextPageToken": "t"}))
    assert nxt is not None and nxt.json == {"filter": 1, "pageToken": "t"}
    assert GenericTokenPager("GET", "/cloud").parse(Page([{"a": 1}])) == ([{"a": 1}], None)
    assert GenericTokenPager("GET", "/meta").parse(Page({"a": 1})) == ([{"a": 1}], None)
    assert GenericTokenPager("DELETE", "/x").parse(Page(None)) == ([], None)


def test_params() -> None:
    assert parse_params(["a=1", "b=x=y", "a=2"]) == {"a": ["1", "2"], "b": "x=y"}
    with pytest.raises(UsageProblem, match="key=value"):
        parse_params(["novalue"])


def test_logging_is_configured_once_per_process() -> None:
    logger = logging.getLogger("cortexkit")
    level = logger.level
    try:
        configure_logging(1, False)
        configure_logging(0, True)
        handlers = [h for h in logger.handlers if h.get_name() == "cortexkit-cli"]
        assert len(handlers) == 1 and logger.level == logging.DEBUG
    finally:
        for handler in [h for h in logger.handlers if h.get_name() == "cortexkit-cli"]:
            logger.removeHandler(handler)
        logger.setLevel(level)


def test_headers() -> None:
    assert parse_headers(["Accept: text/csv", "X-Test:1"]) == {"Accept": "text/csv", "X-Test": "1"}
    with pytest.raises(UsageProblem, match="managed by cortexkit"):
        parse_headers(["x-redlock-auth: eyJ..."])
    with pytest.raises(UsageProblem, match="Name: value"):
        parse_headers(["nocolon"])
