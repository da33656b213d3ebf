"""The five Cortex error shapes into the shared error tree (shapes from the Go SDK's errors/api.go)."""

from __future__ import annotations

import json

import pytest

from cortexkit import errors
from cortexkit.cortex.errors import (
    LicenseError,
    ValidationFailedError,
    error_from_response,
    field_errors,
    parse_body,
)


def _body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_reply_shape_401_int_code_null_extra() -> None:
    exc = error_from_response(
        401,
        {},
        _body({"reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": None}}),
    )
    assert isinstance(exc, errors.AuthenticationError)
    assert exc.err_code == "401"  # type: ignore[attr-defined]
    assert "CORTEXCLOUD_API_KEY_TYPE" in exc.message
    assert "Public API request unauthorized" in exc.message


def test_reply_shape_422_pydantic_extra_list() -> None:
    extra = [
        {
            "type": "missing",
            "loc": ["body", "name"],
            "msg": "Field required",
            "input": None,
            "ctx": {"min_length": 1},
        }
    ]
    exc = error_from_response(
        422, {}, _body({"reply": {"err_code": "422", "err_msg": "Invalid", "err_extra": extra}})
    )
    assert isinstance(exc, ValidationFailedError) and isinstance(exc, errors.BadRequestError)
    (fe,) = field_errors(exc)
    assert (fe.location, fe.message, fe.type) == ("body.name", "Field required", "missing")
    assert "body.name: Field required" in exc.message


def test_reply_err_extra_as_string() -> None:
    parsed = parse_body(_body({"reply": {"err_code": "500", "err_msg": "boom", "err_extra": "details here"}}))
    assert parsed.shape == "reply" and parsed.code == "500"
    assert [str(f) for f in parsed.field_errors] == ["details here"]


def test_root_shape_cloudsec() -> None:
    body = {
        "err_code": 400,
        "err_msg": "bad",
        "metadata": {"err_code": 400, "err_extra": [{"field": 0, "message": "Input should be a valid UUID"}]},
    }
    parsed = parse_body(_body(body))
    assert parsed.shape == "root" and parsed.code == "400" and parsed.message == "bad"
    assert parsed.field_errors[0].message == "Input should be a valid UUID"
    assert parsed.field_errors[0].location == "0"


def test_data_shape() -> None:
    parsed = parse_body(
        _body({"data": {"err_msg": "nope", "metadata": {"err_code": 404, "err_extra": None}}})
    )
    assert (parsed.shape, parsed.code, parsed.message) == ("data", "404", "nope")


def test_appsec_shape_params_and_fields() -> None:
    body = {
        "errorCode": "ValidateError",
        "message": "Validation failed",
        "details": {"policy.triggers.ciImage": {"message": "'ciImage' is required"}},
    }
    exc = error_from_response(422, {}, _body(body))
    assert exc.shape == "appsec"  # type: ignore[attr-defined]
    assert [str(f) for f in field_errors(exc)] == ["policy.triggers.ciImage: 'ciImage' is required"]
    params = parse_body(_body({"errorCode": "X", "details": {"params": {"message": "m"}}}))
    assert params.message == "m"


@pytest.mark.parametrize(
    "body", [b"", b"<html>gateway</html>", b"404 page not found", b"[1,2]", b'{"error": 1}', b"\xff\xfe"]
)
def test_anything_else_never_raises(body: bytes) -> None:
    exc = error_from_response(404, {"Content-Type": "text/plain"}, body, "POST", "/public_api/v1/x")
    assert isinstance(exc, errors.NotFoundError)
    assert "CORTEXCLOUD_API_URL" in exc.message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (402, LicenseError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
    ],
)
def test_classes(status: int, cls: type[errors.APIError]) -> None:
    exc = error_from_response(
        status, {}, _body({"reply": {"err_code": status, "err_msg": "m", "err_extra": None}})
    )
    assert type(exc) is cls
    assert isinstance(exc, errors.CortexkitError)


def test_licence_error_is_a_permission_error() -> None:
    assert issubclass(LicenseError, errors.PermissionDeniedError)


def test_err_code_odd_types_tolerated() -> None:
    for code in (True, None, [1], {"a": 1}, 401.0):
        parse_body(_body({"reply": {"err_code": code, "err_msg": 5, "err_extra": {"msg": "x"}}}))
