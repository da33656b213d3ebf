"""The session policy with a fake clock: timing, single-flight, failure handling, 401 invalidation."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cortexkit.auth import (
    DEFAULT_TTL,
    SessionPolicy,
    Step,
    Token,
    decode_jwt_claims,
    refresh_lead,
    token_lifetime,
)


def jwt(claims: object) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(b'{"alg":"HS256"}')
    return f"{header}.{b64(json.dumps(claims).encode())}.{b64(b'sig')}"


def test_lifetime_from_exp_and_iat_ignores_local_clock() -> None:
    # issued by a server whose clock is an hour ahead of ours: the lifetime is what counts
    token = jwt({"iat": 1_700_003_600, "exp": 1_700_004_200})
    assert token_lifetime(token, now=1_700_000_000.0) == 599  # 600 less the 1 s claim granularity


def test_fractional_claims_are_taken_as_is() -> None:
    assert token_lifetime(jwt({"iat": 10.5, "exp": 13.0}), now=0) == 2.5


def test_lifetime_from_exp_only_uses_local_clock() -> None:
    assert token_lifetime(jwt({"exp": 1000}), now=700.0) == 300


@pytest.mark.parametrize(
    "token", ["opaque-token", "a.b.c", "a..c", jwt(["not", "a", "dict"]), jwt({"exp": "soon"})]
)
def test_opaque_or_malformed_tokens_get_the_documented_ten_minutes(token: str) -> None:
    assert token_lifetime(token, now=0) == DEFAULT_TTL


def test_absurd_lifetimes_fall_back() -> None:
    assert token_lifetime(jwt({"iat": 100, "exp": 50}), now=0) == DEFAULT_TTL
    assert token_lifetime(jwt({"iat": 0, "exp": 10**9}), now=0) == DEFAULT_TTL


@given(st.text())
def test_decode_never_raises_on_garbage(text: str) -> None:
    claims = decode_jwt_claims(text)
    assert claims is None or isinstance(claims, dict)


@given(
    iat=st.integers(min_value=0, max_value=2**40),
    ttl=st.integers(min_value=2, max_value=86_400),
    now=st.floats(min_value=0, max_value=2**41, allow_nan=False),
)
def test_lifetime_of_whole_second_tokens_is_conservative(iat: int, ttl: int, now: float) -> None:
    # the real remaining life is in (ttl - 1, ttl]: we must never overestimate it
    assert token_lifetime(jwt({"iat": iat, "exp": iat + ttl}), now) == ttl - 1


@given(st.floats(min_value=1.0, max_value=86_400.0, allow_nan=False))
def test_refresh_lead_is_within_the_token_life(ttl: float) -> None:
    lead = refresh_lead(ttl)
    assert 0 < lead <= ttl / 2
    assert lead >= min(60.0, ttl / 2)


def test_ten_minute_token_refreshes_well_before_nine_fifty() -> None:
    token = Token.received("opaque", sent_at=0.0)
    assert token.expires_at == 600
    assert token.refresh_at == 500  # lead = max(60, 600/6) = 100 s
    assert token.refresh_at <= 590


def test_short_token_refreshes_at_half_life() -> None:
    token = Token.received(jwt({"iat": 100, "exp": 103}), sent_at=0.0)  # 3 s claims -> 2 s certain
    assert token.expires_at == 2.0
    assert token.refresh_at == 1.0


def test_token_repr_hides_the_value() -> None:
    token = Token.received("secret-jwt-value", sent_at=0.0)
    assert "secret-jwt-value" not in repr(token)
    assert "secret-jwt-value" not in str(token)


def test_first_caller_logs_in_and_others_wait() -> None:
    policy = SessionPolicy()
    first = policy.decide(0.0)
    assert first.step is Step.LOGIN
    assert policy.decide(0.0).step is Step.WAIT
    token = policy.logged_in("t1", 0.1)
    assert policy.decide(0.2).step is Step.USE
    assert policy.decide(0.2).token is token
    assert policy.logins == 1


def test_proactive_refresh_is_single_flight_and_non_blocking() -> None:
    policy = SessionPolicy()
    policy.decide(0.0)
    old = policy.logged_in("t1", 0.0)
    extend = policy.decide(550.0)
    assert extend.step is Step.EXTEND and extend.proactive and extend.token is old
    # everybody else keeps sending with the old, still valid token meanwhile
    for _ in range(31):
        d = policy.decide(550.0)
        assert d.step is Step.USE and d.token is old
    new = policy.extended("t2", 550.5)
    assert policy.decide(551.0).token is new
    assert (policy.logins, policy.extends) == (1, 1)


def test_failed_proactive_extend_keeps_token_and_retries_later() -> None:
    policy = SessionPolicy(retry_interval=30.0)
    policy.decide(0.0)
    old = policy.logged_in("t1", 0.0)
    assert policy.decide(500.0).step is Step.EXTEND
    kept = policy.extend_failed(RuntimeError("503"), 500.0)
    assert kept.step is Step.USE and kept.token is old
    assert policy.decide(510.0).step is Step.USE  # no new extend within the retry interval
    assert policy.due_in(510.0) == pytest.approx(20.0)
    assert policy.decide(530.0).step is Step.EXTEND


def test_retry_interval_shrinks_for_short_tokens() -> None:
    policy = SessionPolicy(retry_interval=30.0)
    policy.decide(0.0)
    policy.logged_in(jwt({"iat": 0, "exp": 5}), 0.0)  # 4 s certain, lead 2 s
    assert policy.effective_retry_interval() == pytest.approx(2 / 3)


def test_refused_extend_turns_into_login_by_the_same_caller() -> None:
    policy = SessionPolicy()
    policy.decide(0.0)
    policy.logged_in("t1", 0.0)
    assert policy.decide(550.0).step is Step.EXTEND
    assert policy.extend_refused().step is Step.LOGIN
    assert policy.decide(550.0).step is Step.USE  # old token still valid while the login runs
    policy.logged_in("t2", 551.0)
    assert (policy.logins, policy.extends) == (2, 0)


def test_expired_token_needs_a_blocking_login() -> None:
    policy = SessionPolicy()
    policy.decide(0.0)
    policy.logged_in("t1", 0.0)
    assert policy.decide(700.0).step is Step.LOGIN
    assert policy.decide(700.0).step is Step.WAIT


def test_waiters_get_the_failure_of_the_refresh_they_waited_for() -> None:
    policy = SessionPolicy()
    assert policy.decide(0.0).step is Step.LOGIN
    assert policy.decide(0.0).step is Step.WAIT
    seen = policy.generation
    error = ConnectionError("refused")
    policy.refresh_failed(error)
    failed = policy.decide(0.1, waited_generation=seen)
    assert failed.step is Step.FAIL and failed.error is error
    # a new caller (not a waiter) may try again
    assert policy.decide(0.2).step is Step.LOGIN


def test_many_401s_for_one_token_cause_one_refresh() -> None:
    policy = SessionPolicy()
    policy.decide(0.0)
    failed = policy.logged_in("t1", 0.0)
    policy.unauthorized(failed)
    assert policy.decide(1.0).step is Step.LOGIN
    new = policy.logged_in("t2", 1.1)
    for _ in range(31):  # the other callers report the same stale token afterwards
        policy.unauthorized(failed)
        assert policy.decide(1.2).token is new
    assert policy.logins == 2


def test_401_before_any_token_is_ignored() -> None:
    policy = SessionPolicy()
    policy.unauthorized(None)
    assert policy.decide(0.0).step is Step.LOGIN


def test_short_token_is_not_sent_in_its_last_quarter() -> None:
    token = Token.received(jwt({"iat": 100, "exp": 103}), sent_at=0.0)  # 2 s certain
    assert token.usable(1.49)
    assert not token.usable(1.5)


def test_life_counts_from_when_the_request_was_sent() -> None:
    # a login sent at t=10 whose answer arrived at t=10.4: the 2 s of certain life started at 10 at the latest
    policy = SessionPolicy()
    policy.decide(10.0)
    token = policy.logged_in(jwt({"iat": 0, "exp": 3}), sent_at=10.0)
    assert token.expires_at == 12.0
    assert token.refresh_at == 11.0


def test_slow_round_trips_move_refresh_and_last_use_earlier() -> None:
    policy = SessionPolicy()
    policy.decide(0.0)
    policy.logged_in(jwt({"iat": 0, "exp": 3}), sent_at=0.0)  # 2 s certain: refresh at 1.0, last use < 1.5
    assert policy.decide(0.9).step is Step.USE
    for _ in range(50):
        policy.observe_latency(0.2)
    assert policy.slack() == pytest.approx(0.4, rel=0.01)
    assert policy.due_in(0.0) == pytest.approx(0.6, rel=0.02)
    decision = policy.decide(0.9)
    assert decision.step is Step.EXTEND and decision.proactive
    policy.refreshing = False
    # the slack is capped at a quarter of the life: a very slow link cannot make a token useless at once
    for _ in range(50):
        policy.observe_latency(10.0)
    assert policy.slack() == pytest.approx(0.5)
    assert policy.token is not None and policy.token.usable(0.99, policy.slack())
    assert not policy.token.usable(1.0, policy.slack())


def test_background_due_time_respects_the_short_retry_interval() -> None:
    policy = SessionPolicy(retry_interval=30.0)
    policy.decide(0.0)
    policy.logged_in(jwt({"iat": 0, "exp": 5}), sent_at=0.0)  # 4 s certain, refresh at 2 s
    assert policy.decide(2.0).step is Step.EXTEND
    policy.extend_failed(RuntimeError("503"), 2.0)
    assert policy.due_in(2.0) == pytest.approx(2 / 3)  # not 30 s: the token would be long gone


def test_cancelled_refresh_is_released_not_handed_to_the_waiters() -> None:
    """Issue 12 defect 1 (the policy both clients drive): a CancelledError, KeyboardInterrupt or gevent's
    Timeout in the refreshing caller must not become the waiters' error; one of them takes over."""
    import asyncio

    for interruption in (asyncio.CancelledError(), KeyboardInterrupt()):
        policy = SessionPolicy()
        assert policy.decide(0.0).step is Step.LOGIN
        assert policy.decide(0.0).step is Step.WAIT
        seen = policy.generation
        policy.refresh_failed(interruption)
        takeover = policy.decide(0.1, waited_generation=seen)
        assert takeover.step is Step.LOGIN  # the waiter logs in itself


def test_a_token_with_exp_but_no_iat_lives_until_exp_by_the_wall_clock() -> None:
    """Issue 12 defect 7: the monotonic clock was compared with epoch `exp`, so such a token was taken
    to live the default 600 s whatever its `exp` said."""
    wall = 1_700_000_000.0
    token = Token.received(jwt({"exp": wall + 120}), sent_at=5.0, wall_now=wall)
    assert token.ttl == pytest.approx(120.0)
    assert token.expires_at == pytest.approx(125.0)  # on the monotonic clock it was sent by
