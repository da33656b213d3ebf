"""Exceptions become one sentence and the DESIGN.md exit code."""

from __future__ import annotations

import pytest

from cortexkit.cli import errors
from cortexkit.cli.timespec import TimeSpecError


def _fake(name: str, base: type[Exception] = Exception, **attrs: object) -> Exception:
    root = type("CortexkitError", (base,), {})
    api = type("APIError", (root,), {})
    cls = type(name, (api,), {})
    exc = cls("boom")
    for key, value in attrs.items():
        setattr(exc, key, value)
    return exc


@pytest.mark.parametrize(
    ("name", "code", "fragment"),
    [
        ("AuthenticationError", 4, "access key"),
        ("PermissionDeniedError", 1, "permission denied"),
        ("NotFoundError", 1, "not found"),
        ("BadRequestError", 2, "rejected"),
        ("RateLimitError", 1, "rate limited"),
        ("ServerError", 1, "status 503"),
        ("UnexpectedResponseError", 1, "api.* host"),
        ("OutcomeUnknownError", 1, "unknown"),
    ],
)
def test_api_errors(name: str, code: int, fragment: str) -> None:
    exc = _fake(name, status=503, method="GET", path="/cloud", i18n_keys=["permission_error"])
    message, exit_code = errors.describe(exc)
    assert exit_code == code
    assert fragment in message and "\n" not in message


def test_usage_and_credentials() -> None:
    assert errors.describe(TimeSpecError("bad range."))[1] == errors.USAGE
    assert errors.describe(errors.UsageProblem("x"))[1] == errors.USAGE
    cred = type("CredentialsError", (Exception,), {})("no credentials found (missing: api_url)")
    message, code = errors.describe(cred)
    assert code == errors.AUTH and "PRISMA_ACCESS_KEY_ID" in message
    conf = type("ConfigurationError", (Exception,), {})("unknown region 'mars'")
    assert errors.describe(conf) == ("unknown region 'mars'.", errors.USAGE)


def test_unexpected_errors_point_to_debug() -> None:
    message, code = errors.describe(RuntimeError("kaput"))
    assert code == 1 and "--debug" in message
    assert errors.describe(KeyboardInterrupt())[1] == 130


def test_the_library_exceptions_map_as_documented() -> None:
    from cortexkit import errors as lib

    cases = [
        (lib.AuthenticationError(401, ["invalid_credentials"], method="POST", path="/login"), 4),
        (lib.PermissionDeniedError(403, ["permission_error"], method="GET", path="/cloud"), 1),
        (lib.BadRequestError(400, ["invalid_parameter_value"], method="POST", path="/v2/alert"), 2),
        (lib.ServerError(503, method="GET", path="/cloud"), 1),
        (lib.CredentialsError("no credentials found (missing: access_key_id)"), 4),
        (lib.ConfigurationError("unknown region 'mars'"), 2),
        (lib.UnexpectedResponseError("the server answered HTML"), 1),
    ]
    for exc, code in cases:
        message, exit_code = errors.describe(exc)
        assert exit_code == code, (exc, message)
        assert message.endswith(".") and "\n" not in message
    assert "invalid_parameter_value" in errors.describe(cases[2][0])[0]
