"""Lazy alerts: `n` alerts as compact columns, each alert's JSON computed on demand from `(seed, i)`.

`AlertIndex` keeps three compact arrays (policy, account, base status; a few bytes per alert), so
`--alerts 1000000` costs about 5 MB instead of a million dicts. Alert times grow with the index (alert
`i` sits at `start + (i + jitter_i) * span / n`), which makes time order equal index order: a time range
becomes an index range found by bisection, and sorting by time is free.
"""

from __future__ import annotations

import random
from array import array

from cortexkit.emulator.catalog import DAY_MS
from cortexkit.emulator.entities import CloudAccount, Policy
from cortexkit.emulator.seeding import mix

ALERT_SPAN_MS = 90 * DAY_MS
ALERT_ID_BASE = 100_001
BASE_STATUSES = ("open", "resolved", "dismissed")


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
        """Alert time of index `i`: non-decreasing in `i`, spread over the 90 days before `end_ms`."""
        jitter = (mix(self.seed, "t", i) % 1000) / 1000
        return self.start_ms + int((i + jitter) * ALERT_SPAN_MS / max(self.n, 1))

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
