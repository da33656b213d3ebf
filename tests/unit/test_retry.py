"""The retry policy with a fixed RNG and fake times: what retries, how long, when it gives up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cortexkit.retry import (
    Failure,
    RetryConfig,
    RetryPolicy,
    Verdict,
    http_date,
    is_idempotent,
    parse_retry_after,
)

NOW = 1_700_000_000.0


def policy(rng: float = 1.0, **config: object) -> RetryPolicy:
    # The wall clock (for HTTP dates) reads NOW too; the monotonic `now` is passed per call.
    return RetryPolicy(RetryConfig(**config), rng=lambda: rng, wall=lambda: NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/cloud", True),
        ("DELETE", "/cloud/azure/x", True),
        ("PUT", "/cas/v1/azure_account/abc", True),
        ("POST", "/v2/alert", True),
        ("POST", "/alert", True),
        ("POST", "/search/config", True),
        ("POST", "/search/config/page", True),
        ("POST", "/search/api/v2/config", True),
        ("POST", "/audit/api/v1/log", True),
        ("POST", "/cas/v1/features/cloud/azure", True),
        ("POST", "/cas/v1/azure_template", True),
        ("POST", "/cas/v1/cloud_account/status/azure", True),
        ("POST", "/login", True),
        ("POST", "/v2/alert?detailed=true", True),
        ("POST", "/cas/v1/azure_account", False),
        ("POST", "/cloud/azure", False),
        ("POST", "/alert/dismiss", False),
        ("POST", "/alert/reopen", False),
        ("POST", "/v2/alert/extra", False),
        ("PATCH", "/cloud/x/status/true", False),
    ],
)
def test_idempotency_table(method: str, path: str, expected: bool) -> None:
    assert is_idempotent(method, path) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/search", True),
        ("/search/suggest", True),
        ("/search/event", True),
        ("/search/event/aggregate", True),
        ("/search/event/filtered/download", True),
        ("/search/api/v1/config", True),
        ("/search/api/v1/config/download", True),
        ("/search/api/v1/config/2df49d4f", True),
        ("/search/api/v2/config/2df49d4f", True),
        ("/search/config/jobs", False),  # submits a CSV generation job
        ("/search/api/v1/config/async", False),  # starts an asynchronous search
        ("/search/history/2df49d4f", False),  # saves a query
    ],
)
def test_only_the_search_reads_are_resent(path: str, expected: bool) -> None:
    """Issue 12 defect 10: `/search(/.*)?` counted every /search POST as read-only, so a 503 resent the
    ones that create or save something."""
    assert is_idempotent("POST", path) is expected


def test_backoff_doubles_and_caps_with_full_jitter() -> None:
    top = policy(rng=1.0)
    assert [top.backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 32, 32]
    assert policy(rng=0.25).backoff(3) == 1.0
    assert policy(rng=0.0).backoff(5) == 0.0
    assert top.backoff(10_000) == 32


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_reads_retry_on_transient_statuses(status: int) -> None:
    d = policy().decide(attempt=1, started=NOW, now=NOW, idempotent=True, status=status)
    assert d.verdict is Verdict.RETRY and d.delay == 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_final_statuses_are_raised(status: int) -> None:
    d = policy().decide(attempt=1, started=NOW, now=NOW, idempotent=True, status=status)
    assert d.verdict is Verdict.RAISE


@pytest.mark.parametrize("failure", [Failure.NOT_SENT, Failure.MAYBE_SENT])
def test_reads_retry_on_any_transport_failure(failure: Failure) -> None:
    d = policy().decide(attempt=2, started=NOW, now=NOW, idempotent=True, failure=failure)
    assert d.verdict is Verdict.RETRY and d.delay == 2.0


def test_changing_call_retries_only_when_surely_not_applied() -> None:
    p = policy()
    assert p.decide(attempt=1, started=NOW, now=NOW, idempotent=False, status=429).verdict is Verdict.RETRY
    assert (
        p.decide(attempt=1, started=NOW, now=NOW, idempotent=False, failure=Failure.NOT_SENT).verdict
        is Verdict.RETRY
    )
    for status in (500, 502, 503, 504):
        assert (
            p.decide(attempt=1, started=NOW, now=NOW, idempotent=False, status=status).verdict
            is Verdict.UNKNOWN
        )
    assert (
        p.decide(attempt=1, started=NOW, now=NOW, idempotent=False, failure=Failure.MAYBE_SENT).verdict
        is Verdict.UNKNOWN
    )
    # a definite refusal stays a definite refusal
    assert p.decide(attempt=1, started=NOW, now=NOW, idempotent=False, status=400).verdict is Verdict.RAISE


def test_max_attempts() -> None:
    p = policy(max_attempts=3)
    assert p.decide(attempt=2, started=NOW, now=NOW, idempotent=True, status=503).verdict is Verdict.RETRY
    assert p.decide(attempt=3, started=NOW, now=NOW, idempotent=True, status=503).verdict is Verdict.RAISE


def test_deadline_counts_the_coming_sleep() -> None:
    p = policy(deadline=10.0)
    assert p.decide(attempt=3, started=NOW, now=NOW + 5, idempotent=True, status=503).verdict is Verdict.RETRY
    assert p.decide(attempt=3, started=NOW, now=NOW + 7, idempotent=True, status=503).verdict is Verdict.RAISE


def test_retry_after_seconds_is_honoured_over_backoff() -> None:
    d = policy(rng=0.0).decide(attempt=1, started=NOW, now=NOW, idempotent=True, status=429, retry_after="7")
    assert d.delay == 7.0


def test_retry_after_http_date() -> None:
    header = http_date(NOW + 12)
    d = policy(rng=0.0).decide(
        attempt=1, started=NOW, now=NOW, idempotent=True, status=503, retry_after=header
    )
    assert d.delay == pytest.approx(12.0)


def test_retry_after_http_date_is_wall_time_not_the_monotonic_clock() -> None:
    """Issue 12 defect 3: the monotonic clock (here 50 s since boot) was subtracted from an epoch date,
    so any date became a 120 s wait."""
    header = http_date(NOW + 3)
    d = policy(rng=0.0).decide(
        attempt=1, started=50.0, now=50.0, idempotent=True, status=503, retry_after=header
    )
    assert d.delay == pytest.approx(3.0)


def test_absurd_retry_after_is_capped() -> None:
    d = policy(rng=0.0, deadline=None).decide(
        attempt=1, started=NOW, now=NOW, idempotent=True, status=503, retry_after="86400"
    )
    assert d.delay == 120.0


@pytest.mark.parametrize("garbage", ["-5", "soon", "", "1e9999", "NaN", "Mon, 99 Foo 2024 99:99:99 GMT"])
def test_garbage_retry_after_falls_back_to_backoff(garbage: str) -> None:
    d = policy(rng=0.5).decide(
        attempt=2, started=NOW, now=NOW, idempotent=True, status=429, retry_after=garbage
    )
    assert d.delay == 1.0


def test_past_date_means_now() -> None:
    assert parse_retry_after(http_date(NOW - 100), NOW) == 0.0


@given(st.text(max_size=64))
def test_parse_retry_after_never_raises(value: str) -> None:
    result = parse_retry_after(value, NOW)
    assert result is None or result >= 0


@given(st.integers(min_value=0, max_value=10**6))
def test_parse_retry_after_delta_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds), NOW) == seconds


@given(st.integers(min_value=0, max_value=10**7))
def test_parse_retry_after_dates_round_trip(offset: int) -> None:
    assert parse_retry_after(http_date(NOW + offset), NOW) == pytest.approx(offset)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        RetryConfig(max_attempts=0)
    with pytest.raises(ValueError):
        RetryConfig(base=2.0, cap=1.0)


def test_fatal_transport_failures_are_never_retried() -> None:
    for idempotent in (True, False):
        d = policy().decide(attempt=1, started=NOW, now=NOW, idempotent=idempotent, failure=Failure.FATAL)
        assert d.verdict is Verdict.RAISE
