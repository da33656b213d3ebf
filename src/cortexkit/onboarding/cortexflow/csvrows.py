"""CSV bulk for Cortex jobs: one job per row, each row checked with the same `field_errors` as the CLI.

Columns (header row required, case-insensitive): name, tenant_id, subscription_id, scope
(subscription|management-group|tenant), management_group_id, include, exclude, capabilities (each
';'-separated), deploy (arm|terraform|manual), location, audit_logs (true/false), client_id, tags
(`k=v;k2=v2`). Rows share the command's Cortex profile and Azure secret; a bad row is reported with its
line number and skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from cortexkit.onboarding.bulk import FALSE, TRUE, CsvRow, RowError, normalise_newlines, specs_of, unreadable
from cortexkit.onboarding.model import JobSpec, field_errors

COLUMNS = (
    "name",
    "scope",
    "tenant_id",
    "subscription_id",
    "management_group_id",
    "include",
    "exclude",
    "capabilities",
    "deploy",
    "location",
    "audit_logs",
    "client_id",
    "tags",
    "profile",
)
"""Every column a row may have, in the order the web UI's preview shows them."""
TOP = ("name", "tenant_id", "subscription_id", "client_id", "profile")
LISTS = ("include", "exclude", "capabilities")
SCALARS = ("scope", "management_group_id", "deploy", "location")


def tags_of(text: str) -> tuple[tuple[str, str], ...]:
    pairs = [p.split("=", 1) for p in text.split(";") if p.strip()]
    return tuple((k.strip(), v.strip()) for k, v in (p if len(p) == 2 else (p[0], "") for p in pairs))


def row_data(row: dict[str, str], profile: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """A row as `JobSpec` data, and the problems of its own cells by column (a bad boolean)."""
    cells = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
    problems: dict[str, str] = {}
    data: dict[str, Any] = {k: cells[k] for k in TOP if cells.get(k)}
    data.setdefault("profile", profile)
    cortex: dict[str, Any] = {k: cells[k] for k in SCALARS if cells.get(k)}
    for key in LISTS:
        if cells.get(key):
            cortex[key] = tuple(v.strip() for v in cells[key].split(";") if v.strip())
    if cells.get("tags"):
        cortex["tags"] = tags_of(cells["tags"])
    if "audit_logs" in cells:
        value = cells["audit_logs"].lower()
        if value not in TRUE | FALSE:
            problems["audit_logs"] = "Must be true or false."
        cortex["audit_logs"] = value in TRUE or value == ""
    data["cortex"] = cortex
    return data, problems


def parse_csv(text: str, profile: str | None = None) -> tuple[list[JobSpec], list[RowError]]:
    """Specs for the good rows and an error per problem of the bad ones: the CLI's `--from-csv` and the
    web UI's start both read the file with `read_rows`, the reader of the preview, so each refuses exactly
    what the other does (a name twice, an unknown column)."""
    return specs_of(read_rows(text, profile))


def _problems(cells: dict[str, str], profile: str | None, line: int) -> tuple[list[RowError], JobSpec | None]:
    data, found = row_data(cells, profile)
    found.update(field_errors(data))
    if found:
        return [RowError(line, k, v) for k, v in sorted(found.items())], None
    return [], JobSpec.model_validate(data)


def read_rows(text: str, profile: str | None = None) -> Iterator[CsvRow]:
    """The file's rows, each with its problems or its spec; never raises on bad text (an unreadable file
    becomes a fatal row at its line), a generator so a huge file of bad rows is only counted.

    Besides each row's own checks, the in-file ones the Prisma reader makes: a name twice (Cortex
    instance names are unique, and a second job of one name would adopt the first one's instance) and a
    subscription twice; and a column it does not know refuses the file (a misspelt `capabilities`
    would otherwise onboard with the default capabilities).
    """
    reader = csv.DictReader(io.StringIO(normalise_newlines(text.lstrip("\ufeff"))))
    try:
        yield from _rows(reader, profile)
    except csv.Error as exc:
        line = max(1, reader.reader.line_num)  # DictReader's own count stops at the last good row
        yield CsvRow(line, {}, None, (RowError(line, "row", unreadable(exc)),), fatal=True)


def _rows(reader: csv.DictReader[str], profile: str | None) -> Iterator[CsvRow]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not header:
        error = RowError(1, "header", "The file is empty; the first line must name the columns.")
        yield CsvRow(1, {}, None, (error,), fatal=True)
        return
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        known = ", ".join(COLUMNS)
        error = RowError(1, "header", f"Unknown column(s): {', '.join(unknown)}. The columns are: {known}.")
        yield CsvRow(1, {}, None, (error,), fatal=True)
        return
    names: dict[str, int] = {}
    subscriptions: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {str(k).strip().lower(): (v or "") for k, v in row.items() if isinstance(k, str)}
        if None in row:
            yield CsvRow(line, values, None, (RowError(line, "row", "More values than columns."),))
            continue
        if not any(v.strip() for v in values.values()):
            continue
        errors, spec = _problems(values, profile, line)
        if spec is None:
            yield CsvRow(line, values, None, tuple(errors))
            continue
        sub = str(spec.subscription_id or "").lower()
        if spec.name in names:
            errors.append(RowError(line, "name", f"Same name as line {names[spec.name]}; names are unique."))
        if sub and sub in subscriptions:
            errors.append(RowError(line, "subscription_id", f"Duplicate of line {subscriptions[sub]}."))
        if errors:
            yield CsvRow(line, values, None, tuple(errors))
            continue
        names[spec.name] = line
        if sub:
            subscriptions[sub] = line
        yield CsvRow(line, values, spec)
