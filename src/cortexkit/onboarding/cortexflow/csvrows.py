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
from typing import Any

from cortexkit.onboarding.bulk import FALSE, TRUE, RowError
from cortexkit.onboarding.model import JobSpec, field_errors

TOP = ("name", "tenant_id", "subscription_id", "client_id", "profile")
LISTS = ("include", "exclude", "capabilities")
SCALARS = ("scope", "management_group_id", "deploy", "location")


def tags_of(text: str) -> tuple[tuple[str, str], ...]:
    pairs = [p.split("=", 1) for p in text.split(";") if p.strip()]
    return tuple((k.strip(), v.strip()) for k, v in (p if len(p) == 2 else (p[0], "") for p in pairs))


def row_data(row: dict[str, str], profile: str | None) -> tuple[dict[str, Any], list[str]]:
    """A row as `JobSpec` data, and the problems of its own cells (a bad boolean)."""
    cells = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
    problems: list[str] = []
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
            problems.append("audit_logs: Must be true or false.")
        cortex["audit_logs"] = value in TRUE or value == ""
    data["cortex"] = cortex
    return data, problems


def parse_csv(text: str, profile: str | None = None) -> tuple[list[JobSpec], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")))
    specs: list[JobSpec] = []
    errors: list[RowError] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            data, problems = row_data(row, profile)
            found = {**{p.split(":")[0]: p.split(": ", 1)[1] for p in problems}, **field_errors(data)}
            if found:
                errors += [RowError(line, k, v) for k, v in sorted(found.items())]
                continue
            specs.append(JobSpec.model_validate(data))
    except csv.Error as exc:
        errors.append(RowError(max(1, reader.line_num), "row", f"unreadable CSV: {exc}"))
        return [], errors
    return specs, errors
