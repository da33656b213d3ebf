"""The bulk CSV preview on a Cortex connection: the rows `cortexkit onboard azure --csv` takes.

Each row becomes spec data through the CLI's own `cortexflow.csvrows.row_data` and is checked by the
engine's `field_errors`, so the preview refuses exactly what the CLI refuses; `csvrows.parse_csv` builds
the jobs at start. Read one row at a time with its cells and file line (what the preview table shows),
plus the in-file checks the Prisma reader makes: a name twice (Cortex instance names are unique) and a
subscription twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from cortexkit.onboarding.bulk import CsvRow, RowError
from cortexkit.onboarding.cortexflow.csvrows import row_data
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
"""In the order the preview shows them (`cortexflow.csvrows` documents each)."""
SECRET_DEPLOYS = frozenset({"arm", "terraform"})


def secret_reason(spec: JobSpec) -> str | None:
    """Why a row needs the shared Azure secret: its deploy signs in to Azure as the operator app."""
    deploy = spec.cortex.deploy if spec.cortex is not None else None
    return f"deploy {deploy}" if deploy in SECRET_DEPLOYS else None


def _problems(cells: dict[str, str], profile: str | None, line: int) -> tuple[list[RowError], JobSpec | None]:
    data, own = row_data(cells, profile)
    found = {p.split(":", 1)[0]: p.split(": ", 1)[-1] for p in own}
    found.update(field_errors(data))
    if found:
        return [RowError(line, k, v) for k, v in sorted(found.items())], None
    return [], JobSpec.model_validate(data)


def read_cortex_rows(text: str, profile: str | None = None) -> Iterator[CsvRow]:
    """The file's rows, each with its problems or its spec; never raises on bad text (an unreadable file
    becomes a fatal row at its line), a generator so a huge file of bad rows is only counted."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")))
    names: dict[str, int] = {}
    subscriptions: dict[str, int] = {}
    try:
        if not reader.fieldnames:
            error = RowError(1, "header", "The file is empty; the first line must name the columns.")
            yield CsvRow(1, {}, None, (error,), fatal=True)
            return
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
                errors.append(
                    RowError(line, "name", f"Same name as line {names[spec.name]}; names are unique.")
                )
            if sub and sub in subscriptions:
                errors.append(RowError(line, "subscription_id", f"Duplicate of line {subscriptions[sub]}."))
            if errors:
                yield CsvRow(line, values, None, tuple(errors))
                continue
            names[spec.name] = line
            if sub:
                subscriptions[sub] = line
            yield CsvRow(line, values, spec)
    except csv.Error as exc:
        line = max(1, reader.line_num)
        yield CsvRow(line, {}, None, (RowError(line, "row", f"Unreadable CSV: {exc}."),), fatal=True)
