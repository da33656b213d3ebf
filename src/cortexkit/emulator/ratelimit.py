"""Server-side rate limiting as the real API documents it: token buckets per user and endpoint.

Limits are keyed by user (the access key id, shared by all of its tokens) and by the documented route
template; `/login` is keyed by the username sent. `rate_scale` multiplies every sustained rate and keeps
every burst, so a benchmark can run faster without changing the burst behaviour clients must handle.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cortexkit import limits

from .clock import Clock
from .config import EmulatorConfig


@dataclass(frozen=True)
class Decision:
    """The outcome of one rate-limit check and the four `X-RateLimit-*` header values."""

    allowed: bool
    burst: int
    remaining: int
    rate: float
    requested: int = 1

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Burst-Capacity": str(self.burst),
            "X-RateLimit-Remaining": str(self.remaining if self.allowed else 0),
            "X-RateLimit-Replenish-Rate": _fmt_rate(self.rate),
            "X-RateLimit-Requested-Tokens": str(self.requested),
        }


class TokenBucket:
    """A classic token bucket; pure: the caller passes the current time."""

    __slots__ = ("_tokens", "_updated", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = now

    def take(self, now: float, n: int = 1) -> tuple[bool, int]:
        """Take `n` tokens if available; returns (allowed, whole tokens left)."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
        if self._tokens >= n:
            self._tokens -= n
            return True, int(self._tokens)
        return False, 0


class RateLimiter:
    """All the buckets of one emulator; `check()` is the single entry point for route code."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.enabled = config.rate_limits == "documented"
        self._scale = config.rate_scale
        self._default_rate = config.default_rate
        self._default_burst = config.default_burst
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def limit_for(self, method: str, template: str) -> tuple[float, int]:
        """The (scaled rate, burst) for a route template: the documented figure or the default."""
        documented = limits.match_limit(method, template)
        if documented is None:
            return self._default_rate * self._scale, self._default_burst
        return documented.rate * self._scale, documented.burst

    def check(self, user: str, method: str, template: str, n: int = 1) -> Decision | None:
        """Charge `n` tokens to `user` for `method template`; None when rate limiting is off."""
        if not self.enabled:
            return None
        key = (user, method, template)
        now = self._clock.now()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst = self.limit_for(method, template)
                bucket = self._buckets[key] = TokenBucket(rate, burst, now)
            allowed, remaining = bucket.take(now, n)
        return Decision(allowed, bucket.burst, remaining, bucket.rate, n)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


def _fmt_rate(rate: float) -> str:
    return str(int(rate)) if float(rate).is_integer() else f"{rate:g}"
