"""The three error styles of the real API, as exceptions the route handlers raise.

1. legacy (`/login`, `/alert*`, `/cloud*`, `/policy` ...): empty body, the reason in `x-redlock-status`;
2. V2 (`/audit/api/v1/log` ...): `{"error": {"code", "message", "target", "details"}}`;
3. cas (`/cas/v1/...`): `ApiError {"status", "timestamp", "message", "debugMessage"}`.

Errors the core raises before a handler runs (401, 429, validation, injected faults) pick the style from
the path with `error_for_path`, so a cas client sees an `ApiError` even for a 429.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

JSON = "application/json"


def redlock_status(*i18n_keys: str, subject: str | None = None, severity: str = "error") -> str:
    """The `x-redlock-status` header value: a JSON array of `{i18nKey, severity, subject}`."""
    return json.dumps(
        [{"i18nKey": key, "severity": severity, "subject": subject} for key in i18n_keys],
        separators=(",", ":"),
    )


class EmulatorError(Exception):
    """Base of the errors a handler raises; `response()` renders it in its own style."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.headers: dict[str, str] = dict(headers or {})

    def response(self) -> Response:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


class RedlockError(EmulatorError):
    """Legacy style: no body, i18n keys in `x-redlock-status`."""

    def __init__(
        self,
        status: int,
        *i18n_keys: str,
        subject: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, headers)
        self.i18n_keys = i18n_keys or (_default_key(status),)
        self.subject = subject

    def __str__(self) -> str:
        return f"{self.status} {'/'.join(self.i18n_keys)}"

    def response(self) -> Response:
        headers = {"x-redlock-status": redlock_status(*self.i18n_keys, subject=self.subject)}
        headers.update(self.headers)
        return Response(status_code=self.status, headers=headers)


class V2Error(EmulatorError):
    """`V2ApiErrorResponse`: `{"error": {"code", "message", "target", "details"}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        target: str | None = None,
        *,
        details: list[Any] | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, headers)
        self.code = code
        self.message = message
        self.target = target
        self.details = details if details is not None else []

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def response(self) -> Response:
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "target": self.target,
                "details": self.details,
            }
        }
        return Response(_dumps(body), status_code=self.status, headers=self.headers, media_type=JSON)


class CasError(EmulatorError):
    """cas `ApiError`: `{"status", "timestamp", "message", "debugMessage"}`."""

    def __init__(
        self,
        status: int,
        message: str,
        debug: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, headers)
        self.message = message
        self.debug = debug

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def response(self) -> Response:
        body = {
            # The spec enumerates Spring's HttpStatus.toString() form: "400 BAD_REQUEST".
            "status": f"{self.status} {_reason(self.status).upper().replace(' ', '_')}",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "message": self.message,
            "debugMessage": self.debug,
        }
        return Response(_dumps(body), status_code=self.status, headers=self.headers, media_type=JSON)


_V2_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    429: "TooManyRequests",
}


# Where routes/compute.py serves the Compute API (meta_info's `twistlockUrl` points there).
COMPUTE_PATH_PREFIX = "/compute/"


def error_style(path: str) -> str:
    """Which body style the real service uses under `path`: "cas", "v2", "compute", "cortex" or "legacy"."""
    if path.startswith(("/public_api/", "/api_keys/")):
        return "cortex"
    if path.startswith("/cas/"):
        return "cas"
    if path.startswith(COMPUTE_PATH_PREFIX):
        return "compute"
    if path.startswith(("/audit/api/", "/v2/inventory", "/v3/inventory")):
        return "v2"
    return "legacy"


def error_for_path(
    path: str,
    status: int,
    i18n_key: str | None = None,
    message: str | None = None,
    *,
    subject: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmulatorError:
    """An error of `status` in the style the route under `path` uses."""
    key = i18n_key or _default_key(status)
    text = message or key.replace("_", " ")
    style = error_style(path)
    if style == "cortex":
        from .cortex.errors import reply_error

        return reply_error(status, text, headers=headers)
    if style == "cas":
        return CasError(status, text, debug=key, headers=headers)
    if style == "compute":
        return ComputeError(status, text, headers=headers)
    if style == "v2":
        code = _V2_CODES.get(status, _reason(status).replace(" ", ""))
        return V2Error(status, code, text, target=subject, headers=headers)
    return RedlockError(status, key, subject=subject, headers=headers)


def _default_key(status: int) -> str:
    return {
        400: "bad_request",
        401: "invalid_credentials",
        403: "permission_error",
        404: "not_found",
        429: "too_many_requests",
    }.get(status, "internal_error")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class ComputeError(EmulatorError):
    """Compute (Twistlock) style: `{"err": "..."}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, headers)
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def response(self) -> Response:
        return Response(
            _dumps({"err": self.message}), status_code=self.status, headers=self.headers, media_type=JSON
        )
