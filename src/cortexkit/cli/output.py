"""The one place the CLI formats data: table, json, jsonl, csv, yaml, JMESPath `--query`.

Data goes to stdout and nothing else does, so `cortexkit ... -o json | jq` always parses; messages and
progress go to stderr. A table is the default only when stdout is a terminal (scripts get JSON). Colour
follows rich's own rules, which honour `NO_COLOR`. Heavy modules (rich tables, yaml, jmespath) are imported
only when a format needs them, so `--help` stays fast.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol

FORMATS = ("table", "json", "jsonl", "csv", "yaml")
STREAM_FORMATS = ("csv", "jsonl", "json")


class OutputError(ValueError):
    """Bad output options (unknown format, invalid JMESPath): bad usage, exit 2."""


@dataclass(frozen=True)
class Column:
    """A table/CSV column: its header and the dotted path of the value in a record."""

    header: str
    path: str


def columns(*specs: str) -> list[Column]:
    """`columns("id", "Severity=policy.severity")`: a bare path is its own header."""
    result = []
    for spec in specs:
        header, sep, path = spec.partition("=")
        result.append(Column(header, path) if sep else Column(spec, spec))
    return result


def resolve_format(requested: str | None, *, stdout_is_tty: bool | None = None) -> str:
    """The explicit format, or table on a terminal and json otherwise."""
    if requested:
        fmt = requested.lower()
        if fmt not in FORMATS:
            raise OutputError(f"unknown output format {requested!r}: choose one of {', '.join(FORMATS)}.")
        return fmt
    tty = sys.stdout.isatty() if stdout_is_tty is None else stdout_is_tty
    return "table" if tty else "json"


def apply_query(data: Any, query: str | None) -> Any:
    """Run a JMESPath expression over plain data (`--query`)."""
    if not query:
        return data
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.search(query, data)
    except JMESPathError as exc:
        detail = str(exc).splitlines()[0].rstrip(" :.") if str(exc).strip() else type(exc).__name__
        raise OutputError(f"the --query expression {query!r} is not valid JMESPath ({detail}).") from None


def to_plain(data: Any) -> Any:
    """Turn models (pydantic or anything with `model_dump`) into JSON-ready data, recursively."""
    dump = getattr(data, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(data, Mapping):
        return {str(key): to_plain(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [to_plain(item) for item in data]
    return data


def lookup(record: Any, path: str) -> Any:
    """The value at a dotted path; a missing step gives None rather than an error."""
    value = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
    return value


def flatten(record: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists and scalars stay as values (CSV cells render them as JSON)."""
    if not isinstance(record, Mapping):
        return {prefix or "value": record}
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def cell(value: Any) -> str:
    """One cell of text: scalars as themselves, structures as compact JSON, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


# OWASP "CSV injection": a spreadsheet evaluates a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: formula-like strings get a leading single quote.

    Numbers are left alone (-3 is a number, not a formula); every string, header or value, is checked.
    """
    text = cell(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(data: Any, fmt: str, cols: Sequence[Column] | None = None) -> str:
    """Render plain data in a text format (every format but table, which needs a console)."""
    if fmt == "json":
        return json.dumps(data, indent=2, default=str) + "\n"
    if fmt == "jsonl":
        rows = data if isinstance(data, list) else [data]
        return "".join(json.dumps(row, separators=(",", ":"), default=str) + "\n" for row in rows)
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False))
    if fmt == "csv":
        rows = data if isinstance(data, list) else [data]
        buffer = io.StringIO()
        writer = _CsvRecords(buffer, cols or _union_columns(rows))
        for row in rows:
            writer.write(row)
        return buffer.getvalue()
    raise OutputError(f"unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")


def emit(
    data: Any,
    *,
    fmt: str | None,
    query: str | None = None,
    cols: Sequence[Column] | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Write data to stdout in the chosen format; the one call every command ends with."""
    out = stream or sys.stdout
    plain = apply_query(to_plain(data), query)
    chosen = resolve_format(fmt, stdout_is_tty=out.isatty())
    # A query reshapes the data, so the command's default columns no longer apply.
    table_cols = None if query else cols
    if chosen == "table":
        _print_table(plain, table_cols, out)
    else:
        out.write(render(plain, chosen, table_cols if chosen == "csv" else None))
    out.flush()


def message(text: str) -> None:
    """A human message on stderr (never on stdout, which is reserved for data)."""
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.stderr.flush()


def color_enabled(stream: IO[str]) -> bool:
    """Colour only on a terminal and only when NO_COLOR is unset (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class RecordWriter(Protocol):
    """Streams records to a file one at a time, so an export holds one page in memory at most."""

    def write(self, record: Any) -> None: ...

    def close(self) -> None: ...


def open_writer(fmt: str, stream: IO[str], cols: Sequence[Column]) -> RecordWriter:
    """A streaming writer for csv (fixed columns), jsonl (one object a line) or json (one array)."""
    if fmt == "csv":
        return _CsvRecords(stream, cols)
    if fmt == "jsonl":
        return _JsonLines(stream)
    if fmt == "json":
        return _JsonArray(stream)
    raise OutputError(f"cannot stream {fmt!r}: choose one of {', '.join(STREAM_FORMATS)}.")


class _CsvRecords:
    def __init__(self, stream: IO[str], cols: Sequence[Column]) -> None:
        self._cols = list(cols)
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow([csv_cell(col.header) for col in self._cols])

    def write(self, record: Any) -> None:
        self._writer.writerow([csv_cell(lookup(record, col.path)) for col in self._cols])

    def close(self) -> None:
        return None


class _JsonLines:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, record: Any) -> None:
        self._stream.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")

    def close(self) -> None:
        return None


class _JsonArray:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._first = True
        stream.write("[")

    def write(self, record: Any) -> None:
        self._stream.write("\n" if self._first else ",\n")
        self._stream.write(json.dumps(record, separators=(",", ":"), default=str))
        self._first = False

    def close(self) -> None:
        self._stream.write("]\n" if self._first else "\n]\n")


def _union_columns(rows: Iterable[Any]) -> list[Column]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in flatten(row):
            seen.setdefault(key, None)
    return [Column(key, key) for key in seen]


_MAX_DEFAULT_COLUMNS = 8


def _print_table(data: Any, cols: Sequence[Column] | None, out: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, no_color=not color_enabled(out), soft_wrap=False, highlight=False)
    if isinstance(data, Mapping) and cols is None:
        data = [{"key": key, "value": value} for key, value in flatten(data).items()]
    rows = data if isinstance(data, list) else [data]
    if not rows:
        console.print("(no results)")
        return
    if cols is None:
        cols = [col for col in _union_columns(rows) if not isinstance(lookup(rows[0], col.path), list)]
        cols = cols[:_MAX_DEFAULT_COLUMNS] if cols else [Column("value", "value")]
    table = Table(show_header=True, header_style="bold", show_lines=False)
    for col in cols:
        table.add_column(col.header, overflow="fold")
    for row in rows:
        record = row if isinstance(row, Mapping) else {"value": row}
        table.add_row(*(_table_cell(col, lookup(record, col.path)) for col in cols))
    console.print(table)


_TIME_FIELDS = {
    "alertTime",
    "firstSeen",
    "lastSeen",
    "timestamp",
    "addedOn",
    "lastModifiedTs",
    "createdOn",
    "creation_time",  # Cortex instances (milliseconds)
}
_MS_2001 = 978_307_200_000


def _table_cell(col: Column, value: Any) -> str:
    """Epoch-millisecond fields read as UTC times in a table (machine formats keep the number)."""
    if col.path.rsplit(".", 1)[-1] in _TIME_FIELDS and isinstance(value, int) and value > _MS_2001:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    return cell(value)
