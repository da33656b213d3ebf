"""Lazy alerts: `n` alerts as compact columns, each alert's JSON computed on demand from `(seed, i)`.

`AlertIndex` keeps three compact arrays (policy, account, base status; a few bytes per alert), so
`--alerts 1000000` costs about 5 MB instead of a million dicts. Alert times grow with the index, which
makes time order equal index order: a time range becomes an index range found by bisection, and sorting
by time is free.

Alerts per day vary like a tenant's: `day_segments` gives weekdays about three times the alerts of
weekend days, a slow upward trend, and a few seeded incident days with four times the usual count.
Alert `i` sits at the point where the cumulative weight reaches `(i + jitter_i) / n` of the total.
"""

from __future__ import annotations

import bisect
import random
from array import array

from cortexkit.emulator.catalog import DAY_MS
from cortexkit.emulator.entities import CloudAccount, Policy
from cortexkit.emulator.seeding import mix

ALERT_SPAN_MS = 90 * DAY_MS
ALERT_ID_BASE = 100_001
BASE_STATUSES = ("open", "resolved", "dismissed")
INCIDENT_DAYS = 3
WEEKEND_WEIGHT = 0.35
INCIDENT_WEIGHT = 4.0


def day_segments(seed: int, start_ms: int, end_ms: int) -> list[tuple[int, int, float]]:
    """(start, length, relative alert volume) of each calendar day (UTC) the span touches, oldest first;
    the two partial days at the ends get the share of their volume that falls inside the span."""
    rng = random.Random(mix(seed, "days"))
    first_day = start_ms // DAY_MS
    days = (end_ms - 1) // DAY_MS - first_day + 1
    incidents = set(rng.sample(range(days), min(INCIDENT_DAYS, days)))
    segments = []
    for k in range(days):
        lo = max(start_ms, (first_day + k) * DAY_MS)
        hi = min(end_ms, (first_day + k + 1) * DAY_MS)
        weight = 0.8 + 0.4 * k / days
        if (first_day + k + 3) % 7 >= 5:  # 1970-01-01 was a Thursday (Monday = 0): Saturday or Sunday
            weight *= WEEKEND_WEIGHT
        if k in incidents:
            weight *= INCIDENT_WEIGHT
        weight *= 0.85 + 0.3 * rng.random()
        segments.append((lo, hi - lo, weight * (hi - lo) / DAY_MS))
    return segments


class AlertIndex:
    """`n` alerts as compact columns; `time_ms(i)` and the alert body are computed from `(seed, i)`.

    Only policies whose cloud has at least one account are used, so every alert names a real account.
    """

    def __init__(
        self, seed: int, n: int, end_ms: int, policies: list[Policy], accounts: list[CloudAccount]
    ) -> None:
        self.seed = seed
        self.n = n
        self.end_ms = end_ms
        self.start_ms = end_ms - ALERT_SPAN_MS
        self.segments = day_segments(seed, self.start_ms, end_ms)
        self.cumulative = [0.0]
        for _lo, _length, weight in self.segments:
            self.cumulative.append(self.cumulative[-1] + weight)
        by_cloud: dict[str, list[int]] = {}
        for idx, account in enumerate(accounts):
            by_cloud.setdefault(account.cloud_type, []).append(idx)
        eligible = [i for i, p in enumerate(policies) if p.cloud_type in by_cloud]
        self.policy = array("H")
        self.account = array("H")
        self.status = array("B")
        if not eligible or n <= 0:
            self.n = 0
            return
        rng = random.Random(mix(seed, "alerts", n))
        bits = rng.getrandbits
        n_eligible = len(eligible)
        cloud_accounts = [by_cloud.get(policies[p].cloud_type, []) for p in range(len(policies))]
        pol = [eligible[bits(32) % n_eligible] for _ in range(n)]
        self.policy = array("H", pol)
        self.account = array("H", [cloud_accounts[p][bits(32) % len(cloud_accounts[p])] for p in pol])
        # open 75 %, resolved 18 %, dismissed 7 %: roughly what a busy tenant shows.
        self.status = array(
            "B", [0 if r < 75 else (1 if r < 93 else 2) for r in (bits(32) % 100 for _ in range(n))]
        )

    def time_ms(self, i: int) -> int:
        """Alert time of index `i`: non-decreasing in `i`, spread over the 90 days before `end_ms` with
        each day's share of alerts following `day_weights`."""
        jitter = (mix(self.seed, "t", i) % 1000) / 1000
        target = (i + jitter) / max(self.n, 1) * self.cumulative[-1]
        day = min(bisect.bisect_right(self.cumulative, target) - 1, len(self.segments) - 1)
        lo, length, weight = self.segments[day]
        within = min((target - self.cumulative[day]) / weight, 1.0) if weight else 0.0
        return lo + int(within * length)

    def resolved_ms(self, i: int) -> int:
        """When a generated non-open alert changed state: an hour to a month after it opened."""
        hours = 1 + mix(self.seed, "resolved", i) % (30 * 24)
        return min(self.time_ms(i) + hours * 3_600_000, self.end_ms)

    def first_at_or_after(self, ts_ms: int) -> int:
        """Smallest index whose time is >= ts_ms (bisection over the monotonic times)."""
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.time_ms(mid) < ts_ms:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def index_range(self, start_ms: int | None, end_ms: int | None) -> range:
        lo = 0 if start_ms is None else self.first_at_or_after(start_ms)
        hi = self.n if end_ms is None else self.first_at_or_after(end_ms + 1)
        return range(lo, max(lo, hi))

    @staticmethod
    def alert_id(i: int) -> str:
        return f"P-{ALERT_ID_BASE + i}"

    def index_of(self, alert_id: str) -> int | None:
        """The index behind `P-123456`, or None for anything else (including ids past the end)."""
        if not alert_id.startswith("P-") or not alert_id[2:].isdigit():
            return None
        i = int(alert_id[2:]) - ALERT_ID_BASE
        return i if 0 <= i < self.n else None

    def resource_name(self, i: int, account: CloudAccount, policy: Policy) -> tuple[str, str, str]:
        """(resource id, name, region id) of alert `i`: stable, and in one of the account's regions."""
        h = mix(self.seed, "r", i)
        region = account.regions[h % len(account.regions)] if account.regions else ("global", "Global")
        short = policy.api_name.split("-")[1] if "-" in policy.api_name else policy.api_name
        name = f"{account.name}-{short}-{h % 997:03d}"
        return f"{short}-{h:016x}", name, region[0]
