"""Cortex key signing: the Go SDK's algorithm byte for byte, a fresh nonce and timestamp per attempt."""

from __future__ import annotations

import hashlib

import pytest

from cortexkit.cortex.auth import NONCE_CHARSET, Signer, new_nonce, parse_key_type, signature


def test_signature_is_sha256_hex_of_key_nonce_timestamp() -> None:
    expected = hashlib.sha256(b"KEY" + b"n" * 64 + b"1700000000123").hexdigest()
    assert signature("KEY", "n" * 64, "1700000000123") == expected


def test_nonce_is_64_chars_from_the_go_charset() -> None:
    nonce = new_nonce()
    assert len(nonce) == 64
    assert set(nonce) <= set(NONCE_CHARSET)
    # Byte b maps to charset[b % 62], as in the Go SDK.
    assert new_nonce(lambda n: bytes([0, 61, 62, 255] * 16)) == ("a9a" + NONCE_CHARSET[255 % 62]) * 16


def test_advanced_headers() -> None:
    signer = Signer(
        42,
        "secret-key",
        "advanced",
        wall_clock=lambda: 1_700_000_000.123456,
        randbytes=lambda n: bytes(range(n)),
    )
    headers = signer.headers()
    assert headers["x-xdr-auth-id"] == "42"
    assert headers["x-xdr-timestamp"] == "1700000000123"
    assert headers["Authorization"] == signature("secret-key", headers["x-xdr-nonce"], "1700000000123")


def test_every_attempt_gets_a_new_nonce_and_timestamp() -> None:
    clock = iter([1000.0, 1000.5])
    signer = Signer(1, "k", wall_clock=lambda: next(clock))
    first, second = signer.headers(), signer.headers()
    assert first["x-xdr-nonce"] != second["x-xdr-nonce"]
    assert first["x-xdr-timestamp"] == "1000000" and second["x-xdr-timestamp"] == "1000500"
    assert first["Authorization"] != second["Authorization"]


def test_standard_key_is_sent_as_is_without_nonce() -> None:
    headers = Signer(7, "plain-key", "standard").headers()
    assert headers == {"x-xdr-auth-id": "7", "Authorization": "plain-key"}


def test_repr_hides_the_key() -> None:
    assert "secret" not in repr(Signer(7, "secret-key"))


@pytest.mark.parametrize(
    ("given", "wanted"), [(None, "advanced"), ("Standard", "standard"), (" ADVANCED ", "advanced")]
)
def test_key_type(given: str | None, wanted: str) -> None:
    assert parse_key_type(given) == wanted


def test_bad_key_type() -> None:
    with pytest.raises(ValueError, match="advanced' or 'standard"):
        parse_key_type("premium")
