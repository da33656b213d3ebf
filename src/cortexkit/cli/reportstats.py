"""The alert report's numbers: aggregated one alert at a time while paging, so memory does not grow with
the alert count (only with the number of distinct accounts, policies and resources).

Pure logic, no I/O: `ReportStats.add` takes alert dicts as the API returns them, `as_json` gives the
aggregates `--format json` writes and the HTML renders. Times are epoch milliseconds (the API's unit).

Definitions (what the headline numbers mean):
- the period is [start, end); the previous period is the same length just before it, and the report fetches
  both so it can compare;
- an alert is open now when its status is `open`; it was open at the period's start when it was first seen
  before the start and had not been resolved or dismissed by then (`lastUpdated` of a closed alert is when
  it closed);
- resolved and dismissed in the period count alerts whose status is that and whose `lastUpdated` falls in
  the period.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "informational")

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
_UNIT_MS = {"minute": MINUTE, "hour": HOUR, "day": DAY, "week": WEEK, "month": 30 * DAY, "year": 365 * DAY}

# Age buckets of open alerts: (upper bound in ms or None, label).
AGE_BUCKETS: tuple[tuple[int | None, str], ...] = (
    (DAY, "< 1 day"),
    (7 * DAY, "1-7 days"),
    (30 * DAY, "7-30 days"),
    (90 * DAY, "30-90 days"),
    (None, "> 90 days"),
)

DEFAULT_SLA: dict[str, int] = {"critical": DAY, "high": 7 * DAY, "medium": 30 * DAY, "low": 90 * DAY}
_SLA_ITEM = re.compile(r"^\s*([a-z]+)\s*=\s*(\d+)\s*(h|d|w)\s*$", re.IGNORECASE)
_SLA_UNITS = {"h": HOUR, "d": DAY, "w": WEEK}

# A trend over more than this many days is drawn per week rather than per day.
WEEKLY_AFTER_DAYS = 90


class SlaError(ValueError):
    """A `--sla` value the report cannot use (bad usage, exit 2)."""


def parse_sla(text: str | None) -> dict[str, int]:
    """`critical=1d,high=7d` over the defaults; hours (h), days (d) or weeks (w)."""
    sla = dict(DEFAULT_SLA)
    if not text:
        return sla
    for item in text.split(","):
        match = _SLA_ITEM.match(item)
        if not match or match.group(1).lower() not in SEVERITIES or int(match.group(2)) <= 0:
            raise SlaError(
                f"the --sla item {item.strip()!r} is not understood: write severity=duration pairs "
                "separated by commas, like critical=1d,high=7d (units h, d or w)."
            )
        sla[match.group(1).lower()] = int(match.group(2)) * _SLA_UNITS[match.group(3).lower()]
    return sla


@dataclass(frozen=True)
class Window:
    """The reported period [start, end) in epoch ms; `compare` is False when there is no previous period."""

    start: int
    end: int
    compare: bool = True

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def fetch_start(self) -> int:
        """Where paging starts: the previous period's start, so both periods come from one pass."""
        return max(0, self.start - self.length) if self.compare else self.start

    @property
    def bucket(self) -> int:
        return WEEK if self.length > WEEKLY_AFTER_DAYS * DAY else DAY


def window_for(time_range: dict[str, Any], now_ms: int) -> Window:
    """The period of an API time-range model (`relative`, `absolute` or `to_now`)."""
    kind = time_range.get("type")
    value = time_range.get("value")
    if kind == "relative" and isinstance(value, dict):
        length = int(value["amount"]) * _UNIT_MS[str(value["unit"])]
        return Window(now_ms - length, now_ms)
    if kind == "absolute" and isinstance(value, dict):
        return Window(int(value["startTime"]), int(value["endTime"]))
    return Window(0, now_ms, compare=False)  # to_now epoch: everything, nothing to compare with


def day_label(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def _severity(policy: dict[str, Any]) -> str:
    value = str(policy.get("severity") or "").lower()
    return value if value in SEVERITIES else "informational"


def _ms(value: Any) -> int | None:
    return (
        int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None
    )


def _median_hours(histogram: Counter[int]) -> float | None:
    count = sum(histogram.values())
    if not count:
        return None
    middle = (count + 1) / 2
    seen = 0
    for hours in sorted(histogram):
        seen += histogram[hours]
        if seen >= middle:
            return float(hours)
    return None  # pragma: no cover - the loop always reaches the middle


@dataclass
class ReportStats:
    """Counters over the alerts of both periods; `add` one alert at a time."""

    window: Window
    sla: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA))
    seen: int = 0
    open_now: Counter[str] = field(default_factory=Counter)
    open_at_start: Counter[str] = field(default_factory=Counter)
    opened: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)
    dismissed: Counter[str] = field(default_factory=Counter)
    opened_per_bucket: dict[int, Counter[str]] = field(default_factory=dict)
    resolved_per_bucket: dict[int, Counter[str]] = field(default_factory=dict)
    age_open: dict[str, Counter[str]] = field(default_factory=dict)
    over_sla: Counter[str] = field(default_factory=Counter)
    resolve_hours: Counter[int] = field(default_factory=Counter)
    resolve_ms_total: int = 0
    account_open: dict[str, Counter[str]] = field(default_factory=dict)
    policy_open: Counter[str] = field(default_factory=Counter)
    policy_severity: dict[str, str] = field(default_factory=dict)
    resource_open: Counter[str] = field(default_factory=Counter)

    def _bucket(self, ms: int) -> int:
        """The UTC day (or the Monday-started week) `ms` falls in."""
        offset = 4 * DAY if self.window.bucket == WEEK else 0  # 1970-01-05 was a Monday
        return ms - (ms - offset) % self.window.bucket

    def add(self, alert: dict[str, Any]) -> None:
        policy = alert.get("policy") if isinstance(alert.get("policy"), dict) else {}
        resource = alert.get("resource") if isinstance(alert.get("resource"), dict) else {}
        assert isinstance(policy, dict) and isinstance(resource, dict)
        self.seen += 1
        severity = _severity(policy)
        status = str(alert.get("status") or "").lower()
        first = _ms(alert.get("firstSeen")) or _ms(alert.get("alertTime"))
        closed = _ms(alert.get("lastUpdated")) if status in ("resolved", "dismissed") else None
        start, end = self.window.start, self.window.end

        if first is not None and first < start and (closed is None or closed > start):
            self.open_at_start[severity] += 1
        if first is not None and start <= first < end:
            self.opened[severity] += 1
            self.opened_per_bucket.setdefault(self._bucket(first), Counter())[severity] += 1
        if closed is not None and start <= closed < end:
            (self.resolved if status == "resolved" else self.dismissed)[severity] += 1
            if status == "resolved":
                self.resolved_per_bucket.setdefault(self._bucket(closed), Counter())[severity] += 1
                if first is not None and closed >= first:
                    self.resolve_hours[(closed - first) // HOUR] += 1
                    self.resolve_ms_total += closed - first
        if status != "open":
            return
        self.open_now[severity] += 1
        name = str(policy.get("name") or alert.get("policyId") or "unknown policy")
        self.policy_open[name] += 1
        self.policy_severity.setdefault(name, severity)
        account = str(resource.get("account") or resource.get("accountId") or "unknown account")
        self.account_open.setdefault(account, Counter())[severity] += 1
        self.resource_open[str(resource.get("name") or resource.get("id") or "unknown resource")] += 1
        if first is not None:
            age = max(0, end - first)
            label = next(text for bound, text in AGE_BUCKETS if bound is None or age < bound)
            self.age_open.setdefault(severity, Counter())[label] += 1
            limit = self.sla.get(severity)
            if limit is not None and age > limit:
                self.over_sla[severity] += 1

    # -- derived figures -------------------------------------------------------------------------------

    @property
    def total_open(self) -> int:
        return sum(self.open_now.values())

    def buckets(self) -> list[int]:
        """Every bucket start of the period, in order (empty ones included, so a gap shows as zero)."""
        if self.window.compare:
            first: int | None = self._bucket(self.window.start)
        else:  # "all": from the first bucket anything was opened in
            first = min(self.opened_per_bucket, default=None)
        return [] if first is None else list(range(first, self.window.end, self.window.bucket))

    def is_partial(self, mark: int) -> bool:
        """A bucket the period covers only in part (today so far, or the period's first day): drawn as
        partial, so a short bar does not read as a drop."""
        return mark < self.window.start or mark + self.window.bucket > self.window.end

    def top_accounts(self, top: int) -> list[tuple[str, Counter[str]]]:
        ranked = sorted(self.account_open.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        return ranked[:top]

    def top_policies(self, top: int) -> list[dict[str, Any]]:
        total = self.total_open or 1
        return [
            {
                "name": name,
                "severity": self.policy_severity.get(name, "informational"),
                "open": count,
                "share": round(100.0 * count / total, 1),
            }
            for name, count in self.policy_open.most_common(top)
        ]

    def top_resources(self, top: int) -> list[tuple[str, int]]:
        """The resources with the most open alerts; empty when every count ties (a ranking of nothing)."""
        ranked = self.resource_open.most_common(top)
        if len({count for _name, count in self.resource_open.items()}) <= 1:
            return []
        return ranked

    def time_to_resolve(self) -> dict[str, float | None]:
        count = sum(self.resolve_hours.values())
        mean = self.resolve_ms_total / count / HOUR if count else None
        return {"resolved": count, "mean_hours": mean, "median_hours": _median_hours(self.resolve_hours)}

    def as_json(self, top: int) -> dict[str, Any]:
        """The aggregates, for `--format json` and for the HTML."""
        window = self.window
        return {
            "period": {
                "start": window.start,
                "end": window.end,
                "previous_start": window.fetch_start if window.compare else None,
                "bucket": "week" if window.bucket == WEEK else "day",
            },
            "alerts_seen": self.seen,
            "open": {
                sev: {
                    "now": self.open_now[sev],
                    "at_start": self.open_at_start[sev] if window.compare else None,
                    "change": self.open_now[sev] - self.open_at_start[sev] if window.compare else None,
                }
                for sev in SEVERITIES
            },
            "opened": {sev: self.opened[sev] for sev in SEVERITIES},
            "resolved": {sev: self.resolved[sev] for sev in SEVERITIES},
            "dismissed": {sev: self.dismissed[sev] for sev in SEVERITIES},
            "trend": [
                {
                    "start": mark,
                    "label": day_label(mark),
                    "partial": self.is_partial(mark),
                    "opened": {s: self.opened_per_bucket.get(mark, Counter())[s] for s in SEVERITIES},
                    "resolved": {s: self.resolved_per_bucket.get(mark, Counter())[s] for s in SEVERITIES},
                }
                for mark in self.buckets()
            ],
            "age": {
                sev: {label: self.age_open.get(sev, Counter())[label] for _b, label in AGE_BUCKETS}
                for sev in SEVERITIES
            },
            "sla": {
                sev: {"limit_hours": self.sla[sev] // HOUR, "over": self.over_sla[sev]}
                for sev in SEVERITIES
                if sev in self.sla
            },
            "time_to_resolve": self.time_to_resolve(),
            "top_accounts": [
                {"account": name, "open": sum(c.values()), **{s: c[s] for s in SEVERITIES}}
                for name, c in self.top_accounts(top)
            ],
            "top_policies": self.top_policies(top),
            "top_resources": [{"resource": name, "open": count} for name, count in self.top_resources(top)],
        }
