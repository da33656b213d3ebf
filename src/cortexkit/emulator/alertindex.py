"""Lazy alerts: `n` alerts as compact columns, each alert's JSON computed on demand from `(seed, i)`.

`AlertIndex` keeps three compact arrays (policy, account, base status; a few bytes per alert), so
`--alerts 1000000` costs about 5 MB instead of a million dicts. Alert times grow with the index, which
makes time order equal index order: a time range becomes an index range found by bisection, and sorting
by time is free.

Alerts per day vary like a tenant's: `day_weights` gives weekdays about three times the alerts of
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
SPAN_DAYS = ALERT_SPAN_MS // DAY_MS
INCIDENT_DAYS = 3
WEEKEND_WEIGHT = 0.35
INCIDENT_WEIGHT = 4.0


def day_weights(seed: int, start_ms: int) -> list[float]:
    """Relative alert volume of each day of the span (oldest first)."""
    rng = random.Random(mix(seed, "days"))
    incidents = set(rng.sample(range(SPAN_DAYS), INCIDENT_DAYS))
    first_weekday = (start_ms // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    weights = []
    for day in range(SPAN_DAYS):
        weight = 0.8 + 0.4 * day / SPAN_DAYS
        if (first_weekday + day) % 7 >= 5:
            weight *= WEEKEND_WEIGHT
        if day in incidents:
            weight *= INCIDENT_WEIGHT
        weights.append(weight * (0.85 + 0.3 * rng.random()))
    return weights


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
        self.weights = day_weights(seed, self.start_ms)
        self.cumulative = [0.0]
        for weight in self.weights:
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
        day = min(bisect.bisect_right(self.cumulative, target) - 1, SPAN_DAYS - 1)
        within = (target - self.cumulative[day]) / self.weights[day]
        return self.start_ms + int((day + min(within, 1.0)) * DAY_MS)

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
