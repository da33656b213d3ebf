"""The physical limits a rate-limited server sets: how fast any client could possibly finish.

A token bucket that starts full lets `burst` requests through at once, then `rate` per second; so N
requests cannot finish before (N - burst) / rate seconds. Pure functions, unit-tested.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def bucket_floor(requests: int, rate: float, burst: int) -> float:
    """Seconds the fastest client needs for `requests` calls against one full bucket."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    return max(0, requests - burst) / rate


def pages_needed(items: int, page_size: int) -> int:
    """Pages a complete listing takes; an empty listing still costs one request."""
    if page_size <= 0:
        raise ValueError("page_size must be positive")
    return max(1, math.ceil(items / page_size))


def parallel_floor(buckets: Iterable[tuple[int, float, int]]) -> float:
    """Floor for calls spread over independent buckets (requests, rate, burst): the slowest one wins.

    Buckets refill independently, so a client that keeps every class busy at once is bounded by the
    bucket with the most work, not by the sum.
    """
    return max((bucket_floor(n, r, b) for n, r, b in buckets), default=0.0)


def ratio(measured: float | None, floor: float | None) -> float | None:
    """Measured time over the floor (1.0 = at the limit); None when either is missing or the floor is 0."""
    if measured is None or floor is None or floor <= 0:
        return None
    return measured / floor


def expected_extends(duration_s: float, refresh_interval_s: float) -> float:
    """How many token extends a client that refreshes every `refresh_interval_s` makes in a run."""
    if refresh_interval_s <= 0:
        raise ValueError("refresh interval must be positive")
    return duration_s / refresh_interval_s


def cortexkit_refresh_interval(token_ttl_s: float) -> float:
    """Seconds between extends that cortexkit's documented policy gives for a server token TTL.

    docs: the usable life is `exp - iat - 1` for whole-second claims, and the token is extended
    `lead = min(max(60, life / 6), life / 2)` before it ends; so every `life - lead` seconds.
    """
    life = token_ttl_s - 1 if token_ttl_s > 1 else token_ttl_s
    lead = min(max(60.0, life / 6), life / 2)
    return life - lead
