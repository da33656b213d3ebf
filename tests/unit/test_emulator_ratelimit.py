"""Token buckets and the per-user, per-route limiter, driven by a manual clock (no sleeping)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cortexkit.emulator.clock import ManualClock
from cortexkit.emulator.config import EmulatorConfig
from cortexkit.emulator.ratelimit import Decision, RateLimiter, TokenBucket


def test_bucket_allows_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=2, burst=10, now=0.0)
    results = [bucket.take(0.0) for _ in range(11)]
    assert [ok for ok, _ in results] == [True] * 10 + [False]
    assert [left for _, left in results[:3]] == [9, 8, 7]
    assert results[-1] == (False, 0)


def test_bucket_refills_at_rate_up_to_burst() -> None:
    bucket = TokenBucket(rate=2, burst=3, now=0.0)
    for _ in range(3):
        assert bucket.take(0.0)[0]
    assert bucket.take(0.25) == (False, 0)  # half a token
    assert bucket.take(0.5)[0]  # one token after 0.5 s at 2/s
    assert bucket.take(100.0) == (True, 2)  # capped at the burst, minus this request


def test_documented_route_uses_documented_figures() -> None:
    limiter = RateLimiter(EmulatorConfig(), ManualClock())
    assert limiter.limit_for("GET", "/v2/alert") == (2, 10)
    assert limiter.limit_for("GET", "/alert/{id}") == (5, 10)
    assert limiter.limit_for("GET", "/cloud/group/{account_group_id}") == (80, 80)
    assert limiter.limit_for("GET", "/cloud/group/name") == (32, 32)


def test_undocumented_route_uses_configured_default() -> None:
    limiter = RateLimiter(EmulatorConfig(default_rate=3, default_burst=7), ManualClock())
    assert limiter.limit_for("GET", "/cloud") == (3, 7)
    assert limiter.limit_for("POST", "/login") == (3, 7)


def test_rate_scale_multiplies_rates_and_keeps_bursts() -> None:
    limiter = RateLimiter(EmulatorConfig(rate_scale=10), ManualClock())
    assert limiter.limit_for("GET", "/v2/alert") == (20, 10)
    assert limiter.limit_for("GET", "/cloud") == (200, 40)


def test_limit_is_per_user_and_per_route() -> None:
    clock = ManualClock()
    limiter = RateLimiter(EmulatorConfig(), clock)
    decisions = [limiter.check("alice", "GET", "/v2/alert") for _ in range(11)]
    assert all(d is not None for d in decisions)
    assert [d.allowed for d in decisions if d] == [True] * 10 + [False]
    other_user = limiter.check("bob", "GET", "/v2/alert")
    other_route = limiter.check("alice", "GET", "/alert/{id}")
    assert other_user is not None and other_user.allowed
    assert other_route is not None and other_route.allowed
    clock.advance(0.5)  # one token at 2/s
    again = limiter.check("alice", "GET", "/v2/alert")
    assert again is not None and again.allowed and again.remaining == 0


def test_off_mode_never_limits() -> None:
    limiter = RateLimiter(EmulatorConfig(rate_limits="off"), ManualClock())
    assert all(limiter.check("alice", "GET", "/v2/alert") is None for _ in range(100))


def test_headers_of_allowed_and_refused_decisions() -> None:
    assert Decision(True, 10, 7, 2.0).headers() == {
        "X-RateLimit-Burst-Capacity": "10",
        "X-RateLimit-Remaining": "7",
        "X-RateLimit-Replenish-Rate": "2",
        "X-RateLimit-Requested-Tokens": "1",
    }
    refused = Decision(False, 10, 3, 0.5).headers()
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["X-RateLimit-Replenish-Rate"] == "0.5"


def test_reset_refills_every_bucket() -> None:
    limiter = RateLimiter(EmulatorConfig(default_burst=1), ManualClock())
    first = limiter.check("alice", "GET", "/cloud")
    second = limiter.check("alice", "GET", "/cloud")
    assert first is not None and first.allowed
    assert second is not None and not second.allowed
    limiter.reset()
    third = limiter.check("alice", "GET", "/cloud")
    assert third is not None and third.allowed


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(min_value=0.1, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=60),
)
def test_bucket_never_allows_more_than_burst_plus_refill(rate: float, burst: int, gaps: list[float]) -> None:
    bucket = TokenBucket(rate, burst, now=0.0)
    now = 0.0
    allowed = 0
    for gap in gaps:
        now += gap
        ok, remaining = bucket.take(now)
        allowed += ok
        assert 0 <= remaining <= burst
    assert allowed <= burst + rate * now + 1e-6
