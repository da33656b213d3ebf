"""The emulator's JWTs: claims, expiry on the emulator clock, forged and tampered tokens."""

from __future__ import annotations

import jwt
import pytest

from cortexkit.emulator.clock import ManualClock
from cortexkit.emulator.tokens import TokenError, TokenIssuer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


def test_issued_token_has_the_documented_claims(clock: ManualClock) -> None:
    issuer = TokenIssuer("s3cret-signing-key-of-32-bytes!!", clock, ttl=600)
    token, claims = issuer.issue("AK1")
    assert claims["sub"] == "AK1"
    assert claims["iat"] == 1_800_000_000
    assert claims["exp"] == 1_800_000_600
    assert len(claims["jti"]) == 32
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert issuer.verify(token) == claims


def test_each_token_is_unique(clock: ManualClock) -> None:
    issuer = TokenIssuer("k" * 32, clock, ttl=600)
    assert issuer.issue("AK1")[0] != issuer.issue("AK1")[0]


def test_expiry_follows_the_emulator_clock_even_when_cached(clock: ManualClock) -> None:
    issuer = TokenIssuer("k" * 32, clock, ttl=600)
    token, _ = issuer.issue("AK1")
    clock.advance(599)
    assert issuer.verify(token)["sub"] == "AK1"
    clock.advance(1)
    with pytest.raises(TokenError) as info:
        issuer.verify(token)
    assert info.value.i18n_key == "token_expired"


def test_token_signed_with_another_key_is_invalid(clock: ManualClock) -> None:
    issuer = TokenIssuer("k" * 32, clock, ttl=600)
    forged = jwt.encode({"sub": "AK1", "iat": 0, "exp": 2_000_000_000}, "x" * 32, algorithm="HS256")
    with pytest.raises(TokenError) as info:
        issuer.verify(forged)
    assert info.value.i18n_key == "invalid_token"


@pytest.mark.parametrize("mangle", ["tamper", "none-alg", "garbage", "no-exp"])
def test_malformed_or_unsigned_tokens_are_invalid(clock: ManualClock, mangle: str) -> None:
    issuer = TokenIssuer("k" * 32, clock, ttl=600)
    token, _ = issuer.issue("AK1")
    if mangle == "tamper":
        header, payload, sig = token.split(".")
        bad = f"{header}.{payload[:-2]}AA.{sig}"
    elif mangle == "none-alg":
        bad = jwt.encode({"sub": "AK1", "iat": 0, "exp": 2_000_000_000}, "", algorithm="none")
    elif mangle == "no-exp":
        bad = jwt.encode({"sub": "AK1", "iat": 0}, "k" * 32, algorithm="HS256")
    else:
        bad = "not-a-jwt"
    with pytest.raises(TokenError, match="invalid_token"):
        issuer.verify(bad)


def test_verification_cache_is_bounded(clock: ManualClock) -> None:
    issuer = TokenIssuer("k" * 32, clock, ttl=600, cache_size=3)
    tokens = [issuer.issue(f"AK{i}")[0] for i in range(10)]
    # Evicted tokens are verified again from their signature, not refused.
    assert [issuer.verify(t)["sub"] for t in tokens] == [f"AK{i}" for i in range(10)]
