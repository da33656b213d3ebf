"""Every output format renders and parses back; tables only on a terminal; --query is JMESPath."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import yaml

from cortexkit.cli import output

ROWS = [
    {
        "id": "P-1",
        "status": "open",
        "policy": {"name": "Storage <public>", "severity": "high"},
        "tags": ["a"],
    },
    {"id": "P-2", "status": "dismissed", "policy": {"name": "NSG open", "severity": "low"}, "tags": []},
]


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_json_is_the_default_off_a_terminal() -> None:
    stream = _Stream(tty=False)
    output.emit(ROWS, fmt=None, stream=stream)
    assert json.loads(stream.getvalue()) == ROWS


def test_table_is_the_default_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream = _Stream(tty=True)
    output.emit(ROWS, fmt=None, stream=stream, cols=output.columns("id", "Severity=policy.severity"))
    text = stream.getvalue()
    assert "Severity" in text and "P-2" in text and "low" in text
    assert not re.search(r"\x1b\[(3[0-9]|9[0-7]|38;)", text)  # NO_COLOR: bold is allowed, colour is not


def test_jsonl_csv_yaml_parse_back() -> None:
    jsonl = output.render(ROWS, "jsonl")
    assert [json.loads(line) for line in jsonl.splitlines()] == ROWS
    assert yaml.safe_load(output.render(ROWS, "yaml")) == ROWS
    parsed = list(csv.DictReader(io.StringIO(output.render(ROWS, "csv"))))
    assert parsed[0]["policy.name"] == "Storage <public>"
    assert parsed[0]["tags"] == '["a"]' and parsed[1]["status"] == "dismissed"


def test_csv_with_chosen_columns() -> None:
    text = output.render(ROWS, "csv", output.columns("id", "Severity=policy.severity"))
    assert text.splitlines() == ["id,Severity", "P-1,high", "P-2,low"]


def test_query_runs_jmespath_and_bad_query_is_usage_error() -> None:
    assert output.apply_query(ROWS, "[?status=='open'].id") == ["P-1"]
    with pytest.raises(output.OutputError, match="not valid JMESPath"):
        output.apply_query(ROWS, "[?status==")


def test_unknown_format() -> None:
    with pytest.raises(output.OutputError, match="table, json, jsonl, csv, yaml"):
        output.resolve_format("xml")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_streaming_writers_parse_back(fmt: str) -> None:
    stream = io.StringIO()
    writer = output.open_writer(fmt, stream, output.columns("id", "policy.severity"))
    for row in ROWS:
        writer.write(row)
    writer.close()
    text = stream.getvalue()
    if fmt == "json":
        assert json.loads(text) == ROWS
    elif fmt == "jsonl":
        assert [json.loads(line)["id"] for line in text.splitlines()] == ["P-1", "P-2"]
    else:
        assert list(csv.DictReader(io.StringIO(text)))[1] == {"id": "P-2", "policy.severity": "low"}


def test_empty_json_array_stream() -> None:
    stream = io.StringIO()
    output.open_writer("json", stream, []).close()
    assert json.loads(stream.getvalue()) == []


def test_table_shows_epoch_ms_as_utc_time() -> None:
    stream = _Stream(tty=True)
    output.emit([{"id": "P-1", "alertTime": 1_795_459_873_185}], fmt="table", stream=stream)
    assert "2026-11-23 " in stream.getvalue()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-3, "-3"),
        (-2.5, "-2.5"),
        (None, ""),
        (["=x"], '["=x"]'),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(value: object, expected: str) -> None:
    assert output.csv_cell(value) == expected


def test_csv_headers_and_streamed_rows_are_neutralised() -> None:
    rows = [{"=cmd": "@evil", "n": -1}]
    rendered = list(csv.reader(io.StringIO(output.render(rows, "csv"))))
    assert rendered == [["'=cmd", "n"], ["'@evil", "-1"]]
    stream = io.StringIO()
    writer = output.open_writer("csv", stream, output.columns("name"))
    writer.write({"name": "+SUM(1)"})
    writer.close()
    assert list(csv.reader(io.StringIO(stream.getvalue()))) == [["name"], ["'+SUM(1)"]]
