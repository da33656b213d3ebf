"""Exceptions -> one clear sentence and an exit code (DESIGN.md: 0 ok, 1 API/runtime, 2 usage/input, 4 auth).

The user sees what went wrong and what to do next, never a traceback (that needs `--debug`). The library's
exceptions are recognised by class name along their MRO rather than imported, so describing an error never
imports httpx or pydantic and works whatever module raised it.
"""

from __future__ import annotations

from typing import Any

OK = 0
FAILURE = 1
USAGE = 2
AUTH = 4


class CliError(Exception):
    """A failure a command detected itself, with the sentence to show and the exit code to use."""

    def __init__(self, message: str, exit_code: int = FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class UsageProblem(CliError):
    """Bad input the user can fix on the command line (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


class Terminated(KeyboardInterrupt):
    """SIGTERM while a file is written: unwinds like Ctrl-C (partial files removed), exits 143."""


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _where(exc: BaseException) -> str:
    method = getattr(exc, "method", None)
    path = getattr(exc, "path", None)
    return f"{method} {path}" if method and path else "the request"


def _keys(exc: BaseException) -> str:
    keys = getattr(exc, "i18n_keys", None) or ()
    return f" ({', '.join(str(key) for key in keys)})" if keys else ""


def _detail(exc: BaseException) -> str:
    """The library's own one-line explanation (`APIError.message`), else the exception text."""
    message = getattr(exc, "message", None)
    return str(message).rstrip(".") if message else _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def describe(exc: BaseException) -> tuple[str, int]:
    """The sentence to print and the exit code for an exception."""
    names = _names(exc)
    if isinstance(exc, CliError):
        return exc.message, exc.exit_code
    from cortexkit.cli.cortex_errors import describe_cortex

    cortex = describe_cortex(exc)
    if cortex is not None:
        return cortex
    if "TimeSpecError" in names or "OutputError" in names:
        return str(exc), USAGE
    if "AuthenticationError" in names:
        return (
            f"authentication failed{_keys(exc)}: the access key is wrong, expired or disabled; "
            "check it with `cortexkit profile test` or create a new key in the console.",
            AUTH,
        )
    if "CredentialsError" in names:
        text = _first_line(exc)
        if text.startswith("no credentials"):
            text += (
                "; set PRISMA_API_URL, PRISMA_ACCESS_KEY_ID and PRISMA_SECRET_KEY, "
                "or add a profile with `cortexkit profile add`"
            )
        return f"{text}.", AUTH
    if "ConfigurationError" in names:
        return f"{_first_line(exc)}.", USAGE
    if "PermissionDeniedError" in names:
        return (
            f"permission denied on {_where(exc)}{_keys(exc)}: the role of this access key does not allow it; "
            "ask an administrator for a role that does.",
            FAILURE,
        )
    if "NotFoundError" in names:
        return f"not found: {_where(exc)} answered 404{_keys(exc)}; check the id or name.", FAILURE
    if "BadRequestError" in names:
        return f"the API rejected {_where(exc)} as invalid{_keys(exc)}: {_detail(exc)}.", USAGE
    if "RateLimitError" in names:
        return f"rate limited on {_where(exc)} after retrying; wait a minute and run it again.", FAILURE
    if "OutcomeUnknownError" in names:
        return (
            f"the outcome of {_where(exc)} is unknown (the connection failed after sending); "
            "check the current state before running it again.",
            FAILURE,
        )
    if "UnexpectedResponseError" in names:
        return (
            f"the server did not answer like the Prisma Cloud API ({_first_line(exc)}); check the API URL: "
            "it is the api.* host (for example https://api.prismacloud.io), not the app.* console.",
            FAILURE,
        )
    if "APITimeoutError" in names:
        return f"{_where(exc)} timed out; the API is slow or unreachable, try again later.", FAILURE
    if "APIConnectionError" in names:
        return (
            f"cannot reach the API ({_first_line(exc)}); check the URL, the network and any proxy.",
            FAILURE,
        )
    if "ServerError" in names:
        status = getattr(exc, "status", None)
        return f"the API failed on {_where(exc)} with status {status}{_keys(exc)}; try again later.", FAILURE
    if "APIError" in names:
        status = getattr(exc, "status", None)
        return f"{_where(exc)} failed with status {status}{_keys(exc)}: {_detail(exc)}.", FAILURE
    if "CortexkitError" in names:
        return f"{_first_line(exc)}.", FAILURE
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM); nothing was left half-written.", 143
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted.", 130
    if isinstance(exc, OSError):
        target = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return f"cannot use the file{target}: {exc.strerror or exc}.", FAILURE
    return (
        f"unexpected error: {type(exc).__name__}: {_first_line(exc)} (run again with --debug for details).",
        FAILURE,
    )


def exit_code_for(exc: BaseException) -> int:
    """Only the exit code (tests and the root group use it)."""
    return describe(exc)[1]


def error_fields(exc: BaseException) -> dict[str, Any]:
    """Structured fields for `--debug` logs; never the token or the secret (errors do not carry them)."""
    return {
        name: getattr(exc, name)
        for name in ("status", "i18n_keys", "request_id", "method", "path")
        if getattr(exc, name, None) is not None
    }
