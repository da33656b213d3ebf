"""Global options are moved before the subcommand, wherever the user typed them."""

from __future__ import annotations

import pytest

from cortexkit.cli.argv import normalise


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["rql", "config from x", "-o", "json"], ["-o", "json", "rql", "config from x"]),
        (["-o", "json", "rql", "q"], ["-o", "json", "rql", "q"]),
        (
            ["alerts", "list", "--output=csv", "--status", "open"],
            ["--output=csv", "alerts", "list", "--status", "open"],
        ),
        (["alerts", "list", "-ojson"], ["-ojson", "alerts", "list"]),
        (
            ["accounts", "list", "--profile", "prod", "--debug", "-vv"],
            ["--profile", "prod", "--debug", "-vv", "accounts", "list"],
        ),
        (
            ["api", "GET", "/cloud", "--query", "[0].name", "--region", "eu"],
            ["--query", "[0].name", "--region", "eu", "api", "GET", "/cloud"],
        ),
        (["profile", "list", "--version"], ["--version", "profile", "list"]),
    ],
)
def test_global_options_move_to_the_front(given: list[str], expected: list[str]) -> None:
    assert normalise(given) == expected


def test_export_keeps_its_own_output_file_option() -> None:
    args = ["alerts", "export", "--format", "csv", "--output", "a.csv", "--profile", "p"]
    assert normalise(args) == ["--profile", "p", "alerts", "export", "--format", "csv", "--output", "a.csv"]
    assert normalise(["alerts", "report", "-o", "r.html"]) == ["alerts", "report", "-o", "r.html"]


def test_a_global_output_before_export_is_still_global() -> None:
    assert normalise(["-o", "json", "alerts", "export"]) == ["-o", "json", "alerts", "export"]


def test_nothing_after_double_dash_is_touched() -> None:
    assert normalise(["api", "GET", "/x", "--", "-o", "json"]) == ["api", "GET", "/x", "--", "-o", "json"]


def test_an_option_missing_its_value_is_left_for_the_parser_to_report() -> None:
    assert normalise(["rql", "q", "-o"]) == ["-o", "rql", "q"]
