"""Alert filter options -> the `/v2/alert` FilterModel body. Pure, shared by every alerts command.

Several values for one filter name are sent as several `{"name", "operator": "=", "value"}` entries, which
the API ORs together; different names are ANDed.
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


def filters(selection: AlertSelection) -> list[dict[str, str]]:
    """The `filters` list of a FilterModel."""
    pairs: list[tuple[str, str]] = []
    pairs += [("alert.status", v) for v in _checked(selection.status, STATUSES, "status")]
    pairs += [("policy.severity", v) for v in _checked(selection.severity, SEVERITIES, "severity")]
    pairs += [("policy.name", v) for v in selection.policy]
    pairs += [("policy.id", v) for v in selection.policy_id]
    pairs += [("cloud.type", v.lower()) for v in selection.cloud_type]
    pairs += [("cloud.account", v) for v in selection.account]
    pairs += [("cloud.accountId", v) for v in selection.account_id]
    pairs += [("cloud.region", v) for v in selection.region]
    return [{"name": name, "operator": "=", "value": value} for name, value in pairs]


def body(
    selection: AlertSelection,
    *,
    limit: int = MAX_PAGE,
    detailed: bool = False,
    sort: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A `POST /v2/alert` body; `limit` is the page size (the API's maximum is 10,000)."""
    result: dict[str, Any] = {
        "filters": filters(selection),
        "limit": max(1, min(limit, MAX_PAGE)),
        "detailed": detailed,
    }
    if selection.since:
        result["timeRange"] = parse_time_range(selection.since, now=now)
    if sort:
        result["sortBy"] = [sort]
    return result
