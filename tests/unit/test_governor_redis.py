"""The Redis governor against a real redis-server: same math as `Bucket`, shared, failing open."""

from __future__ import annotations

import logging
import random
import socket

import pytest

from cortexkit import errors
from cortexkit.governor import GovernorUnavailableError, SharedLimiter, observed_headers, prisma_budget
from cortexkit.governor_redis import RedisBucketStore
from cortexkit.ratelimit import SAFETY, Bucket, RateLimiter

pytest.importorskip("redis")


def _store(url: str, name: str) -> RedisBucketStore:
    return RedisBucketStore(url, f"test:{name}:{random.getrandbits(64):x}")


@pytest.mark.parametrize("seed", range(5))
def test_the_lua_bucket_is_the_python_bucket(redis_url: str, seed: int) -> None:
    rng = random.Random(seed)
    store = _store(redis_url, "same")
    rate, burst = rng.choice([(5.0, 10), (2.0, 10), (80.0, 80), (1.0, 1)])
    now = 1_000.0
    bucket = Bucket.create(rate, burst, now)
    for _ in range(200):
        now += rng.choice([0.0, 0.001, 0.05, 0.3, 2.0])
        op = rng.random()
        if op < 0.5:
            want = bucket.reserve(now)
            got = float(store.run("reserve", "k", rate, burst, now=now))
            assert got == pytest.approx(want, abs=1e-9)
        elif op < 0.6:
            bucket.release(now)
            store.run("release", "k", rate, burst, now=now)
        else:
            seen = (
                rng.choice([None, 20.0, rate]),
                rng.choice([None, 10.0, 1.0]),
                rng.choice([None, 0.0, 3.0, 30.0]),
            )
            status = 429 if op > 0.9 else 200
            bucket.observe(observed_headers(seen), now)
            if status == 429:
                bucket.throttled(now)
            store.run(
                "respond",
                "k",
                rate,
                burst,
                *("" if v is None else repr(v) for v in seen),
                str(status),
                now=now,
            )
        state = store.state("k")
        assert float(state["t"]) == pytest.approx(bucket.tokens, abs=1e-9)
        assert float(state["r"]) == pytest.approx(bucket.rate, abs=1e-9)
        assert float(state["c"]) == pytest.approx(bucket.ceiling, abs=1e-9)
        assert float(state["b"]) == pytest.approx(bucket.burst, abs=1e-9)
        if bucket.throttled_at is None:
            assert state["ta"] == ""
        else:
            assert float(state["ta"]) == pytest.approx(bucket.throttled_at, abs=1e-9)


def test_two_hosts_share_one_budget_on_the_server_clock(redis_url: str) -> None:
    a = _store(redis_url, "shared")
    b = RedisBucketStore(redis_url, a.namespace)
    waits = [s.reserve("GET /alert/{id}", 5, 10) for s in (a, b) * 6]
    assert waits[:9] == [0.0] * 9
    assert waits[9] == pytest.approx(1 / (5 * SAFETY), abs=0.05)  # the server's clock moved a little
    a.respond("GET /alert/{id}", 5, 10, 429, (None, None, None))
    assert float(b.state("GET /alert/{id}")["r"]) == pytest.approx(5 * SAFETY * 0.7, rel=0.05)


def test_redis_down_fails_open_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    store = RedisBucketStore(f"redis://127.0.0.1:{port}/0", "test:down")
    with pytest.raises(GovernorUnavailableError):
        store.reserve("GET /cloud", 20, 40)
    fallback = RateLimiter()
    limiter = SharedLimiter(store, prisma_budget, fallback)
    with caplog.at_level(logging.WARNING, logger="cortexkit"):
        waits = [limiter.reserve("GET", "/cloud", 0.0) for _ in range(3)]
        limiter.on_response("GET", "/cloud", 429, {}, 0.0)
    assert waits == [0.0, 0.0, 0.0]
    assert fallback.throttled == 1  # the 429 still slowed this process
    assert len([r for r in caplog.records if "shared rate budget" in r.getMessage()]) == 1
    assert "redis://127.0.0.1" in caplog.text


def test_a_bad_url_is_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError, match="redis://"):
        RedisBucketStore("http://localhost:6379", "x")


def test_the_password_never_reaches_a_message() -> None:
    store = RedisBucketStore("redis://user:hunter2@127.0.0.1:1/0", "x")
    assert "hunter2" not in store.description
