"""Client-side token buckets, driven with explicit times (no sleeping)."""

from __future__ import annotations

import threading

import pytest

from cortexkit.ratelimit import HEADROOM, SAFETY, Bucket, RateLimiter, route_key, shared_limiter


def test_route_keys_use_documented_templates_then_id_placeholders() -> None:
    assert route_key("POST", "/v2/alert") == "POST /v2/alert"
    assert route_key("GET", "/alert/count/open") == "GET /alert/count/{status}"
    assert route_key("GET", "/cloud/group/123") == "GET /cloud/group/{id}"
    assert route_key("GET", "/cloud/azure/0b1f6a2c-1d2e-4f5a-9b8c-7d6e5f4a3b2c") == "GET /cloud/azure/{id}"
    assert route_key("GET", "/cloud?x=1") == "GET /cloud"


def test_burst_then_the_sustained_rate() -> None:
    bucket = Bucket.create(rate=2, burst=10, now=0.0)
    waits = [bucket.reserve(0.0) for _ in range(12)]
    assert waits[:9] == [0.0] * 9  # burst less one for arrival jitter
    rate = 2 * SAFETY
    assert waits[9] == pytest.approx(1 / rate)
    assert waits[10] == pytest.approx(2 / rate)
    assert waits[11] == pytest.approx(3 / rate)


def test_spacing_over_time_matches_the_rate() -> None:
    bucket = Bucket.create(rate=4, burst=1, now=0.0)
    t = 0.0
    for _ in range(100):
        t += bucket.reserve(t)
    assert t == pytest.approx(99 / (4 * SAFETY))


def test_429_cuts_the_rate_then_it_recovers() -> None:
    bucket = Bucket.create(rate=10, burst=10, now=0.0)
    ceiling = bucket.rate
    bucket.throttled(1.0)
    assert bucket.rate == pytest.approx(ceiling * 0.7)
    assert bucket.tokens <= 0
    bucket.reserve(1.0 + bucket.recover_seconds / 2)  # halfway through the recovery
    assert ceiling * 0.7 < bucket.rate < ceiling
    bucket.reserve(1.0 + bucket.recover_seconds)
    assert bucket.rate == pytest.approx(ceiling)


def test_repeated_429s_do_not_go_below_the_floor() -> None:
    bucket = Bucket.create(rate=1, burst=1, now=0.0)
    for i in range(50):
        bucket.throttled(float(i) * 0.01)
    assert bucket.rate == 0.5


def test_headers_override_the_table() -> None:
    bucket = Bucket.create(rate=20, burst=40, now=0.0)
    bucket.observe(
        {"x-ratelimit-replenish-rate": "5", "x-ratelimit-burst-capacity": "3", "x-ratelimit-remaining": "1"},
        0.0,
    )
    assert bucket.ceiling == pytest.approx(5 * SAFETY)
    assert bucket.burst == 2
    assert bucket.tokens == 1


@pytest.mark.parametrize("value", ["", "x", "nan", "inf", "-3"])
def test_bad_headers_are_ignored(value: str) -> None:
    bucket = Bucket.create(rate=20, burst=40, now=0.0)
    before = (bucket.ceiling, bucket.burst, bucket.tokens)
    bucket.observe(
        {
            "x-ratelimit-replenish-rate": value,
            "x-ratelimit-burst-capacity": value,
            "x-ratelimit-remaining": value,
        },
        0.0,
    )
    assert (bucket.ceiling, bucket.burst, bucket.tokens) == before


def test_limiter_seeds_from_documented_limits_and_defaults() -> None:
    limiter = RateLimiter(default_rate=20, default_burst=40)
    limiter.reserve("POST", "/v2/alert", 0.0)
    limiter.reserve("GET", "/policy", 0.0)
    snap = limiter.snapshot()
    assert snap["POST /v2/alert"] == pytest.approx((2 * SAFETY, 9))
    assert snap["GET /policy"] == pytest.approx((20 * SAFETY, 39))


def test_limiter_counts_throttles_per_route() -> None:
    limiter = RateLimiter()
    limiter.on_response("POST", "/v2/alert", 429, {}, 0.0)
    assert limiter.throttled == 1
    assert limiter.snapshot()["POST /v2/alert"][0] == pytest.approx(2 * SAFETY * 0.7)
    assert limiter.snapshot().get("GET /cloud") is None


def test_registry_shares_per_url_and_key() -> None:
    a = shared_limiter("https://api.example.test/", "key-1")
    assert shared_limiter("https://API.example.test", "key-1") is a
    assert shared_limiter("https://api.example.test", "key-2") is not a


def test_reservations_from_many_threads_are_consistent() -> None:
    limiter = RateLimiter()
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            w = limiter.reserve("POST", "/v2/alert", 0.0)
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 400 reservations at t=0: the waits are exactly the slots 0..391 of a 1.9/s schedule, no duplicates
    expected = sorted(max(0.0, (i - 8) / (2 * SAFETY)) for i in range(400))
    assert sorted(waits) == pytest.approx(expected)


def _queue(bucket: Bucket, n: int, now: float) -> list[float]:
    return [bucket.reserve(now) for _ in range(n)]


def test_a_429_leaves_the_sends_already_scheduled_where_they_are() -> None:
    # Callers already sleeping until their slot will send then, whatever the bucket thinks afterwards: a
    # 429 slows the callers that come next, spaced after the last scheduled send. Before, the queue was
    # re-timed at the cut rate, so new callers were spaced behind slots nobody used (an idle gap).
    bucket = Bucket.create(rate=10, burst=1, now=0.0)
    waits = _queue(bucket, 5, 0.0)
    assert waits[-1] == pytest.approx(4 / (10 * SAFETY))
    bucket.throttled(0.0)
    cut = 10 * SAFETY * 0.7
    assert bucket.rate == pytest.approx(cut)
    assert bucket.reserve(0.0) == pytest.approx(waits[-1] + 1 / cut)


def test_a_new_advertised_rate_leaves_the_scheduled_sends_too() -> None:
    bucket = Bucket.create(rate=10, burst=1, now=0.0)
    waits = _queue(bucket, 5, 0.0)
    bucket.observe({"x-ratelimit-replenish-rate": "5"}, 0.0)
    assert bucket.reserve(0.0) == pytest.approx(waits[-1] + 1 / (5 * SAFETY))


def test_the_server_reporting_headroom_ends_a_throttle() -> None:
    # A 429 while the server's own count says its bucket is far from empty was not this key exhausting
    # the route (a gateway hiccup, another caller's burst now passed): back to the ceiling at once.
    bucket = Bucket.create(rate=20, burst=40, now=0.0)
    ceiling = bucket.rate
    bucket.throttled(1.0)
    bucket.observe({"x-ratelimit-remaining": "3"}, 1.05)  # little left: still throttled
    assert bucket.rate < ceiling
    assert bucket.throttled_at is not None
    bucket.observe({"x-ratelimit-remaining": str(bucket.burst * HEADROOM)}, 1.1)
    assert bucket.rate == pytest.approx(ceiling)
    assert bucket.throttled_at is None


def test_a_throttle_ended_by_headroom_keeps_the_queue_in_place() -> None:
    bucket = Bucket.create(rate=10, burst=8, now=0.0)
    _queue(bucket, 7, 0.0)  # the burst
    waits = _queue(bucket, 4, 0.0)  # a queue of 4 at the ceiling
    bucket.throttled(0.0)
    slow = _queue(bucket, 2, 0.0)  # 2 more at the cut rate
    assert slow[0] == pytest.approx(waits[-1] + 1 / bucket.rate)
    bucket.observe({"x-ratelimit-remaining": "7"}, 0.0)
    assert bucket.reserve(0.0) == pytest.approx(slow[-1] + 1 / bucket.ceiling)
