"""Client-side rate limiting: token buckets per endpoint, shared per (API URL, access key).

The server limits each user per route (documented figures in `cortexkit.limits`, a default elsewhere),
so the client keeps one bucket per route and spaces its requests so that a burst of work drains at the
server's rate instead of bouncing off 429s. Buckets start from the documented figures, then follow what
the server says (`X-RateLimit-Replenish-Rate`, `-Burst-Capacity`, `-Remaining`), and on a 429 cut their
rate and recover linearly over `recover_seconds` (additive increase after a multiplicative decrease, a
simpler cousin of botocore's adaptive mode), or at once when the server's own `Remaining` shows its
bucket is far from empty (the 429 was not this key exhausting the route).

Thread-safe and asyncio-friendly: `reserve()` computes the wait under a short `threading.Lock` and
returns it; the caller sleeps outside (time.sleep or asyncio.sleep). No await ever happens under the lock.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from cortexkit import limits

SAFETY = 0.98
"""Fraction of the server's sustained rate the client aims for: arrival jitter must not overdraw."""

BETA = 0.7
"""Rate multiplier on a 429."""

MIN_RATE = 0.5
"""The rate never drops below this (requests per second)."""

HEADROOM = 0.25
"""A throttle ends when the server reports at least this share of the burst still in its bucket."""

_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F-]{16,}|[A-Za-z0-9_-]{24,}|[^/]*[:.@][^/]*)$")


@functools.lru_cache(maxsize=4096)
def route_key(method: str, path: str) -> str:
    """The bucket a request draws from: the documented template when there is one, else the path with
    id-like segments replaced, so `/cloud/azure/<uuid>` calls share one bucket as on the server.
    Cached: it runs twice per request and the table scan is the limiter's main cost."""
    path = path.split("?", 1)[0]
    documented = limits.match_limit(method, path)
    if documented is not None:
        return f"{documented.method} {documented.path}"
    segments = ["{id}" if _ID_SEGMENT.match(s) else s for s in path.split("/") if s]
    return f"{method.upper()} /" + "/".join(segments)


@dataclass
class Bucket:
    """One token bucket. Pure: every method takes the current time. Tokens may go negative: that is the
    queue of callers who reserved a slot and are sleeping until it comes."""

    ceiling: float  # the best known sustainable rate (documented or advertised, times SAFETY)
    burst: float
    rate: float
    tokens: float
    updated: float
    throttled_at: float | None = None
    throttled_rate: float = 0.0
    # Linear recovery to the ceiling after a 429: short, because a 429 is often a one-off (another
    # script's burst on the same key, a gateway hiccup).
    recover_seconds: float = 4.0

    @classmethod
    def create(cls, rate: float, burst: float, now: float) -> Bucket:
        """A full bucket aiming at `SAFETY` of the documented rate."""
        ceiling = max(MIN_RATE, rate * SAFETY)
        burst = max(1.0, burst - 1) if burst > 1 else 1.0
        return cls(ceiling=ceiling, burst=burst, rate=ceiling, tokens=burst, updated=now)

    def _refill(self, now: float) -> None:
        if self.throttled_at is not None:
            progress = (now - self.throttled_at) / self.recover_seconds
            recovered = self.throttled_rate + (self.ceiling - self.throttled_rate) * progress
            if recovered >= self.ceiling:
                self.rate, self.throttled_at = self.ceiling, None
            else:
                self.rate = recovered
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now

    def _retime(self, rate: float) -> None:
        """Change the rate without moving the sends already scheduled. Negative tokens are callers asleep
        until their slot at the old rate, and they send then whatever the bucket says later; the queue
        is rescaled to end at the same moment at the new rate, so the next caller comes right after it.
        (Re-timing it instead left an idle gap after every 429: slots nobody would use.)"""
        if self.tokens < 0 and self.rate > 0:
            self.tokens *= rate / self.rate
        self.rate = rate

    def reserve(self, now: float) -> float:
        """Take one token; the seconds to wait before sending (0 when one is available)."""
        self._refill(now)
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def release(self, now: float) -> None:
        """Give back a slot reserved by a caller that will not send (cancelled while waiting)."""
        self._refill(now)
        self.tokens = min(self.burst, self.tokens + 1.0)

    def observe(self, headers: Mapping[str, str], now: float) -> None:
        """Follow the server's advertised limits."""
        self._refill(now)
        rate = _float(headers.get("x-ratelimit-replenish-rate"))
        if rate is not None and rate > 0:
            ceiling = max(MIN_RATE, rate * SAFETY)
            if ceiling != self.ceiling:
                self.ceiling = ceiling
                self._retime(min(self.rate, ceiling) if self.throttled_at is not None else ceiling)
        burst = _float(headers.get("x-ratelimit-burst-capacity"))
        if burst is not None and burst >= 1:
            self.burst = max(1.0, burst - 1) if burst > 1 else 1.0
            self.tokens = min(self.tokens, self.burst)
        remaining = _float(headers.get("x-ratelimit-remaining"))
        if remaining is not None and remaining >= 0:
            self.tokens = min(self.tokens, remaining)
            if self.throttled_at is not None and remaining >= HEADROOM * self.burst:
                self.throttled_at = None  # the server's count says the route is not exhausted
                self._retime(self.ceiling)

    def throttled(self, now: float) -> None:
        """A 429: slow down now, recover over `recover_seconds`."""
        self._refill(now)
        self.throttled_rate = max(MIN_RATE, self.rate * BETA)
        self.tokens = min(self.tokens, 0.0)
        self._retime(self.throttled_rate)
        self.throttled_at = now


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except ValueError:
        return None
    return f if math.isfinite(f) else None


class RateLimiter:
    """All buckets of one (API URL, access key). Thread-safe; the lock is never held while waiting."""

    def __init__(
        self, *, default_rate: float = limits.DEFAULT_RATE, default_burst: int = limits.DEFAULT_BURST
    ) -> None:
        self.default_rate = default_rate
        self.default_burst = default_burst
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()
        self.throttled = 0
        self.waited = 0.0

    def _bucket(self, key: str, method: str, path: str, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            documented = limits.match_limit(method, path.split("?", 1)[0])
            if documented is not None:
                bucket = Bucket.create(documented.rate, documented.burst, now)
            else:
                bucket = Bucket.create(self.default_rate, self.default_burst, now)
            self._buckets[key] = bucket
        return bucket

    def reserve(self, method: str, path: str, now: float) -> float:
        """Reserve a slot for a request; returns the seconds to sleep (outside any lock) before sending."""
        key = route_key(method, path)
        with self._lock:
            wait = self._bucket(key, method, path, now).reserve(now)
            self.waited += wait
            return wait

    def release(self, method: str, path: str, now: float) -> None:
        """Return a reservation whose request will not be sent (its task was cancelled while waiting),
        so abandoned work does not delay the next caller."""
        key = route_key(method, path)
        with self._lock:
            self._bucket(key, method, path, now).release(now)

    def on_response(
        self, method: str, path: str, status: int, headers: Mapping[str, str], now: float
    ) -> None:
        """Feed back the server's headers (lower-case names) and 429s."""
        key = route_key(method, path)
        with self._lock:
            bucket = self._bucket(key, method, path, now)
            bucket.observe(headers, now)
            if status == 429:
                self.throttled += 1
                bucket.throttled(now)

    def snapshot(self) -> dict[str, tuple[float, float]]:
        """(rate, burst) per bucket key, for diagnostics and tests."""
        with self._lock:
            return {k: (b.rate, b.burst) for k, b in self._buckets.items()}


_REGISTRY: dict[tuple[str, str], RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_limiter(api_url: str, access_key_id: str) -> RateLimiter:
    """The process-wide limiter for one user on one stack: every client with the same key shares it,
    because the server counts all of that user's tokens against one limit."""
    key = (api_url.rstrip("/").lower(), access_key_id)
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None:
            limiter = _REGISTRY[key] = RateLimiter()
        return limiter


def after_fork_in_child() -> None:
    """In a forked child: new locks, since a parent thread may have held one at the moment of `fork`."""
    global _REGISTRY_LOCK  # noqa: PLW0603 - the module's lock itself must be replaced in the child
    _REGISTRY_LOCK = threading.Lock()
    for limiter in _REGISTRY.values():
        limiter._lock = threading.Lock()
