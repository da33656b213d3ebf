"""CSV import: one job per row, validated row by row, run concurrently.

Columns (header row required, names case-insensitive, order free; only `name`, `tenant_id` and, for a
subscription, `subscription_id` are required):
  name, subscription_id, tenant_id, account_type (account|tenant), environment (azure|azure_gov|
  azure_china), account_group_ids (';'-separated), features (';'-separated), monitor_flow_logs
  (true/false), provisioner (existing|azure-api|terraform), client_id, service_principal_id,
  root_sync_enabled (true/false), default_account_group_id, profile.
Secrets never go in the CSV: rows share the secret given to the command (one service principal for many
subscriptions is the common case). A bad row is reported with its line number and skipped; the others
proceed.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cortexkit.onboarding.model import JobSpec, field_errors
from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.states import JobState

LIST_COLUMNS = frozenset({"account_group_ids", "features"})
BOOL_COLUMNS = frozenset({"monitor_flow_logs", "root_sync_enabled"})
KNOWN_COLUMNS = (
    frozenset(
        {
            "name",
            "subscription_id",
            "tenant_id",
            "account_type",
            "environment",
            "provisioner",
            "client_id",
            "service_principal_id",
            "default_account_group_id",
            "profile",
        }
    )
    | LIST_COLUMNS
    | BOOL_COLUMNS
)
TRUE = frozenset({"true", "yes", "1", "y"})
FALSE = frozenset({"false", "no", "0", "n", ""})
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


def _row_data(row: dict[str, str], line: int, errors: list[RowError]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, raw in row.items():
        value = (raw or "").strip()
        if key in LIST_COLUMNS:
            data[key] = [v.strip() for v in value.split(";") if v.strip()]
        elif key in BOOL_COLUMNS:
            if value.lower() not in TRUE | FALSE:
                errors.append(RowError(line, key, "Must be true or false."))
            data[key] = value.lower() in TRUE
        elif value:
            data[key] = value
    return data


def normalise_newlines(text: str) -> str:
    """`\r\n` and a bare `\r` (old Mac line ends, a paste into the web UI) become `\n`: the csv module
    refuses a bare carriage return in an unquoted field, and a file read with universal newlines (the
    CLI's) would have seen the same lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


FIELD_LIMIT = csv.field_size_limit()
"""The csv module's cap on one value (128 KiB); a value that long is almost always an unclosed quote."""


@dataclass(frozen=True)
class CsvRow:
    """One row as read: its file line, its cells, and either its spec or its problems.

    `fatal` marks a problem that stopped the reading (the header, or text the csv module cannot read):
    no row after it was read, so nothing of the file may run.
    """

    line: int
    values: dict[str, str]
    spec: JobSpec | None
    errors: tuple[RowError, ...] = ()
    fatal: bool = False


def read_rows(text: str) -> Iterator[CsvRow]:
    """The file's rows one at a time, each checked; blank rows are skipped.

    The one CSV reader of the CLI and the web UI (preview and start). Never raises on bad text: whatever
    the csv module cannot read becomes a fatal row at its line. A generator, so a huge file of bad rows
    can be counted without holding every row.
    """
    reader = csv.DictReader(io.StringIO(normalise_newlines(text.lstrip("\ufeff"))))
    try:
        yield from _rows(reader)
    except csv.Error as exc:
        line = max(1, reader.reader.line_num)  # DictReader's own count stops at the last good row
        yield CsvRow(line, {}, None, (RowError(line, "row", unreadable(exc)),), fatal=True)


def unreadable(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f'A value is longer than {FIELD_LIMIT // 1024} KB; check for a quote (") that opens a value '
            "and is never closed."
        )
    return f"Unreadable CSV: {exc}."


def parse_csv(text: str) -> tuple[list[JobSpec], list[RowError]]:
    """Specs for the good rows and an error per problem of the bad ones (1-based file line numbers).

    When the file cannot be read to its end, no spec is returned: only the error that stopped it.
    """
    return specs_of(read_rows(text))


def specs_of(rows: Iterable[CsvRow]) -> tuple[list[JobSpec], list[RowError]]:
    """What a reader's rows come to: the good rows' specs and every problem, or only the problem that
    stopped the reading when the file could not be read to its end (nothing of it may run)."""
    specs: list[JobSpec] = []
    errors: list[RowError] = []
    for row in rows:
        if row.fatal and row.line > 1:
            return [], list(row.errors)
        errors.extend(row.errors)
        if row.spec is not None:
            specs.append(row.spec)
    return specs, errors


def _rows(reader: csv.DictReader[str]) -> Iterator[CsvRow]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not header:
        error = RowError(1, "header", "The file is empty; the first line must name the columns.")
        yield CsvRow(1, {}, None, (error,), fatal=True)
        return
    unknown = [h for h in header if h not in KNOWN_COLUMNS]
    if unknown:
        yield CsvRow(1, {}, None, (RowError(1, "header", "Unknown column(s): " + ", ".join(unknown)),), True)
        return
    reader.fieldnames = header
    seen: dict[str, int] = {}
    names: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {k: v or "" for k, v in row.items() if isinstance(k, str)}
        if None in row:
            yield CsvRow(line, values, None, (RowError(line, "row", "More values than columns."),))
            continue
        if not any(v.strip() for v in values.values()):
            continue
        row_errors: list[RowError] = []
        data = _row_data(row, line, row_errors)
        row_errors += [RowError(line, k, v) for k, v in sorted(field_errors(data).items())]
        key = str(data.get("subscription_id") or data.get("tenant_id"))
        if not row_errors and key in seen:
            row_errors.append(RowError(line, "subscription_id", f"Duplicate of line {seen[key]}."))
        name = str(data.get("name", ""))
        if not row_errors and name in names:
            row_errors.append(RowError(line, "name", f"Same name as line {names[name]}; names are unique."))
        if row_errors:
            yield CsvRow(line, values, None, tuple(row_errors))
            continue
        seen[key] = line
        names[name] = line
        yield CsvRow(line, values, JobSpec.model_validate(data))


RESUME_ALL_STATES = frozenset({JobState.PENDING, JobState.FAILED, JobState.WAITING, JobState.RUNNING})
"""What `resume --all` picks up: never started, failed (every failed job is resumable), waiting (Terraform
outputs, an outage), and running (the claim takes it only when its runner died or its lease expired)."""


def new_batch_id() -> str:
    """A bulk's id: its jobs' idempotency keys are `<batch>:<row>` (the web UI's batches use the same)."""
    return uuid.uuid4().hex[:12]


def resumable(jobs: Sequence[JobRecord]) -> list[JobRecord]:
    """The jobs `resume --all|--batch` carries on, in their order."""
    return [j for j in jobs if j.state in RESUME_ALL_STATES]


def run_all(
    job_ids: Sequence[str],
    run: Callable[[str], Any],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Any]:
    """Run jobs on a small thread pool; results in input order. The shared client paces the API calls.

    Every result is held until the last job ends, so `run` returns what the caller needs afterwards and
    no more (the CLI keeps `JobRecord.brief()`: no step outputs): memory stays flat however long the
    bulk."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="onboard") as pool:
        return list(pool.map(run, job_ids))
