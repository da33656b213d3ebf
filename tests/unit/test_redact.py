"""_redact.py: secrets masked in headers, JSON, free text and log records; Secret never shows itself."""

from __future__ import annotations

import json
import logging
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cortexkit._redact import (
    MASK,
    RedactingFilter,
    Secret,
    install_log_filter,
    redact_body,
    redact_headers,
    redact_json,
    redact_text,
)

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhY2Nlc3Mta2V5In0.dGhpcy1pcy1hLXNpZ25hdHVyZQ"


def test_secret_hides_itself() -> None:
    secret = Secret("s3cr3t-value")
    assert repr(secret) == "Secret('****')"
    assert str(secret) == MASK
    assert f"{secret}" == MASK
    assert "s3cr3t" not in repr([secret, {"k": secret}])
    assert secret.get_secret_value() == "s3cr3t-value"


def test_secret_equality_and_truth() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"  # a wrapper is not its clear text
    assert not Secret("")
    assert len({Secret("a"), Secret("a")}) == 1


def test_secret_refuses_pickling_and_non_strings() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]


def test_headers() -> None:
    out = redact_headers(
        {
            "x-redlock-auth": JWT,
            "Authorization": "Bearer abc",
            "Content-Type": "application/json",
            "X-Note": JWT,
        }
    )
    assert out == {
        "x-redlock-auth": MASK,
        "Authorization": MASK,
        "Content-Type": "application/json",
        "X-Note": MASK,
    }


def test_json_bodies() -> None:
    body = {
        "username": "key-id",
        "password": "the-secret",
        "clientSecret": "azure-secret",
        "nested": [{"token": JWT}, {"note": f"prefix {JWT} suffix"}],
        "key": "k",
        "secret": None,
    }
    out = redact_json(body)
    assert out["username"] == "key-id"
    assert out["password"] == MASK and out["clientSecret"] == MASK and out["key"] == MASK
    assert out["nested"][0]["token"] == MASK
    assert out["nested"][1]["note"] == f"prefix {MASK} suffix"
    assert out["secret"] is None  # nothing to hide
    assert body["password"] == "the-secret"  # the input is not changed


def test_body_json_and_text() -> None:
    assert json.loads(redact_body(b'{"username":"u","password":"p"}')) == {"username": "u", "password": MASK}
    assert redact_body(None) == ""
    text = redact_body('password=hunter2&user=bob token: "abc def"')
    assert "hunter2" not in text and "abc def" not in text and "user=bob" in text


def test_text_masks_pairs_jwts_and_known_literals() -> None:
    text = f'x-redlock-auth: {JWT} "secret_key": "sk-1" Authorization: Bearer zzz other'
    out = redact_text(text, ("other",))
    assert JWT not in out and "sk-1" not in out and "zzz" not in out and "other" not in out
    assert redact_text("ab", ("ab",)) == "ab"  # 1-3 char literals are left alone


@given(st.text(max_size=50))
def test_jwt_never_survives_whatever_surrounds_it(noise: str) -> None:
    assert JWT not in redact_text(noise + JWT + noise)


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("cortexkit", logging.DEBUG, __file__, 1, msg, args, None)


def test_filter_scrubs_message_and_args() -> None:
    flt = RedactingFilter()
    flt.add_secret(Secret("literal-secret"))
    record = _record("login with %s and token %s", "literal-secret", JWT)
    assert flt.filter(record) is True
    assert record.getMessage() == f"login with {MASK} and token {MASK}"


def test_filter_survives_broken_format_strings() -> None:
    record = _record("bad %d format", "not-a-number")
    RedactingFilter().filter(record)
    assert record.getMessage() == "bad %d format"


def test_install_on_a_logger_end_to_end(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("cortexkit.test_redact")
    flt = install_log_filter(logger)
    try:
        with caplog.at_level(logging.DEBUG, logger="cortexkit.test_redact"):
            logger.debug("headers %s", {"x-redlock-auth": JWT})
        assert JWT not in caplog.text and MASK in caplog.text
    finally:
        logger.removeFilter(flt)
