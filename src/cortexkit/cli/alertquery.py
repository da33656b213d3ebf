"""Alert filter options -> filter names and values. Pure, shared by every alerts command.

The CLI only maps its options (`--status`, `--severity` ...) to the API's filter names and checks the
values; `resources.alerts` turns them into the FilterModel body (one entry per value, ORed; names ANDed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cortexkit.cli.timespec import parse_time_range

STATUSES = ("open", "dismissed", "snoozed", "resolved", "pending_resolution")
SEVERITIES = ("critical", "high", "medium", "low", "informational")
MAX_PAGE = 10_000

# Flattened columns for tables and CSV exports (a fixed list: a streamed CSV cannot discover its header).
LIST_COLUMNS = (
    "id",
    "status",
    "Severity=policy.severity",
    "Policy=policy.name",
    "Account=resource.account",
    "Region=resource.region",
    "Resource=resource.name",
    "Time=alertTime",
)
EXPORT_COLUMNS = (
    "id",
    "status",
    "reason",
    "alertTime",
    "firstSeen",
    "lastSeen",
    "policy.policyId",
    "policy.name",
    "policy.severity",
    "policy.policyType",
    "resource.cloudType",
    "resource.account",
    "resource.accountId",
    "resource.region",
    "resource.id",
    "resource.name",
    "resource.resourceType",
)


class FilterError(ValueError):
    """An alert filter value the API would reject; caught early with the list of accepted values."""


@dataclass(frozen=True)
class AlertSelection:
    """The filters a user typed (every field optional)."""

    status: Sequence[str] = field(default_factory=tuple)
    severity: Sequence[str] = field(default_factory=tuple)
    policy: Sequence[str] = field(default_factory=tuple)
    policy_id: Sequence[str] = field(default_factory=tuple)
    cloud_type: Sequence[str] = field(default_factory=tuple)
    account: Sequence[str] = field(default_factory=tuple)
    account_id: Sequence[str] = field(default_factory=tuple)
    region: Sequence[str] = field(default_factory=tuple)
    since: str | None = None

    def is_empty(self) -> bool:
        return not any(
            (
                self.status,
                self.severity,
                self.policy,
                self.policy_id,
                self.cloud_type,
                self.account,
                self.account_id,
                self.region,
                self.since,
            )
        )


def _checked(values: Sequence[str], allowed: Sequence[str], what: str) -> list[str]:
    result = [value.lower() for value in values]
    for value in result:
        if value not in allowed:
            raise FilterError(f"unknown {what} {value!r}: use one of {', '.join(allowed)}.")
    return result


def filter_map(selection: AlertSelection) -> dict[str, list[str]]:
    """The API filter names and values for the options the user gave (checked against known values)."""
    names: dict[str, list[str]] = {
        "alert.status": _checked(selection.status, STATUSES, "status"),
        "policy.severity": _checked(selection.severity, SEVERITIES, "severity"),
        "policy.name": list(selection.policy),
        "policy.id": list(selection.policy_id),
        "cloud.type": [v.lower() for v in selection.cloud_type],
        "cloud.account": list(selection.account),
        "cloud.accountId": list(selection.account_id),
        "cloud.region": list(selection.region),
    }
    return {name: values for name, values in names.items() if values}


def time_range(selection: AlertSelection, *, now: datetime | None = None) -> dict[str, Any] | None:
    """`--since` as the API's time range, or None for the server's default."""
    return parse_time_range(selection.since, now=now) if selection.since else None


def body(
    selection: AlertSelection,
    *,
    limit: int = MAX_PAGE,
    detailed: bool = False,
    sort: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A `POST /v2/alert` body, built by the resource; `limit` is the page size (at most 10,000)."""
    from cortexkit.resources.alerts import search_body

    return search_body(
        filters=filter_map(selection),
        time_range=time_range(selection, now=now),
        limit=max(1, min(limit, MAX_PAGE)),
        sort_by=[sort] if sort else None,
        detailed=detailed,
    )
