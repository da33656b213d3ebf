"""The exception tree, and the pure parsing that turns an HTTP error response into one of its classes.

The API reports errors three ways (api-facts.md section 4): legacy endpoints send an empty body plus an
`x-redlock-status` header, newer ones a V2 `{"error": {...}}` body, the cas service an `ApiError` body.
Callers should not care which: every failure becomes an `APIError` subclass picked by status, carrying the
i18n keys, the parsed body, the request id, the method and the path. Nothing here ever sees a token or a
secret (the client passes only the response), and the parsers never raise on garbage: an unreadable error
must still surface as the error it is, not as a parsing crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

BodyStyle = Literal["empty", "legacy", "v2", "cas", "json", "html", "text"]

REQUEST_ID_HEADER = "x-redlock-request-id"
STATUS_HEADER = "x-redlock-status"
_MAX_TEXT = 300  # longest body excerpt kept in a message: enough to read, short enough for a log line


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an error without calling its `__init__` (whose signature differs per class)."""
    error = cls.__new__(cls)
    BaseException.__init__(error, *args)
    error.__dict__.update(state)
    return error


class CortexkitError(Exception):
    """Root of every error cortexkit raises on purpose; catch this to handle them all.

    Every subclass pickles with its attributes (`ProcessPoolExecutor`, Celery results): the live httpx
    `response` is the one attribute left out, as it holds a connection.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        state = {k: v for k, v in self.__dict__.items() if k != "response"}
        if "response" in self.__dict__:
            state["response"] = None
        return (_restore, (type(self), self.args, state))


class ConfigurationError(CortexkitError):
    """A setting is missing or invalid (unknown region, bad option value); fix the configuration."""


class CredentialsError(CortexkitError):
    """No usable credentials, or a credentials/profile file that cannot be trusted or read."""


class MissingCredentialsError(CredentialsError, ConfigurationError):
    """No credentials were found in the arguments, the environment or a profile; the message says how to
    pass them. Both a `CredentialsError` and a `ConfigurationError` (a constructor given too little)."""


class RequestError(CortexkitError):
    """An error about one request: carries its `method` and `path` (never its headers or body)."""

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class APIConnectionError(RequestError):
    """The API could not be reached (DNS, refused connection, TLS, proxy); `__cause__` is the transport
    error."""


class APITimeoutError(APIConnectionError):
    """The API did not answer in time (or the call's retry deadline ran out before it could be sent)."""


class OutcomeUnknownError(RequestError):
    """A call that changes state failed after it may have reached the server.

    Resending could create a duplicate, so the client stops here: read the current state (reconcile)
    before deciding to send the call again.
    """


class UnexpectedResponseError(CortexkitError):
    """The server answered something that is not the Prisma Cloud API (HTML, malformed JSON, no token)."""


@dataclass(frozen=True)
class StatusItem:
    """One entry of the `x-redlock-status` header: `{"i18nKey", "severity", "subject"}`."""

    i18n_key: str
    severity: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class ErrorBody:
    """An error body in whichever of the API's styles it came, normalised.

    `code` is the V2 `error.code` (or the cas `status` as text), `message` the human message, `target`
    and `details` the V2 extras, `debug_message` the cas `debugMessage`, `raw` the decoded JSON (None
    when the body was not JSON) and `text` a short excerpt of a non-JSON body.
    """

    style: BodyStyle
    code: str | None = None
    message: str | None = None
    target: str | None = None
    details: Any = None
    debug_message: str | None = None
    raw: Any = None
    text: str | None = None


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _one_line(text: str) -> str:
    """Keys end up in one-line messages and log lines: fold the whitespace and control characters a
    server put in them, so an answer cannot forge a line break."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _status_items(value: Any) -> Iterable[StatusItem]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            raw = item.get("i18nKey", item.get("i18n_key"))
            key = _one_line(str(raw)) if raw is not None else ""
            if key:
                yield StatusItem(key, _opt_str(item.get("severity")), _opt_str(item.get("subject")))
        elif isinstance(item, str) and (key := _one_line(item)):
            yield StatusItem(key)


def parse_redlock_status(header_value: str | bytes | None) -> list[StatusItem]:
    """Parse `x-redlock-status`; tolerant of anything, it never raises.

    The documented shape is a JSON array of `{"i18nKey", "severity", "subject"}`; a single object, a
    bare JSON string or a plain word (seen in the wild from proxies and old stacks) are accepted too.
    """
    if header_value is None:
        return []
    if isinstance(header_value, bytes):
        header_value = header_value.decode("utf-8", "replace")
    text = header_value.strip()
    if not text:
        return []
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        # Not JSON: a plain i18n key like `invalid_credentials` is still useful; prose is not a key.
        return [StatusItem(text)] if text.isidentifier() else []
    try:
        return list(_status_items(decoded))
    except RecursionError:  # pragma: no cover - absurdly nested input
        return []


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _looks_html(content_type: str, text: str) -> bool:
    head = text.lstrip()[:15].lower()
    return "html" in content_type or head.startswith(("<!doctype", "<html"))


def parse_error_body(status: int, content_type: str | None, body: bytes | str | None) -> ErrorBody:
    """Recognise the body style of an error response; never raises."""
    del status  # the style is decided by the body alone; kept for a uniform signature with callers
    ctype = (content_type or "").lower()
    if body is None:
        return ErrorBody("empty")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return ErrorBody("empty")
    if _looks_html(ctype, text):
        return ErrorBody("html", text=_excerpt(text))
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return ErrorBody("text", message=_excerpt(text), text=_excerpt(text))
    if isinstance(decoded, dict):
        inner = decoded.get("error")
        if isinstance(inner, dict):
            return ErrorBody(
                "v2",
                code=_opt_str(inner.get("code")),
                message=_opt_str(inner.get("message")),
                target=_opt_str(inner.get("target")),
                details=inner.get("details"),
                raw=decoded,
            )
        if "debugMessage" in decoded or ("timestamp" in decoded and "message" in decoded):
            return ErrorBody(
                "cas",
                code=_opt_str(decoded.get("status")),
                message=_opt_str(decoded.get("message")),
                debug_message=_opt_str(decoded.get("debugMessage")),
                raw=decoded,
            )
        message = decoded.get("message", decoded.get("error"))
        return ErrorBody("json", message=_opt_str(message) if message is not None else None, raw=decoded)
    return ErrorBody("json", raw=decoded)


_HINTS: dict[str, str] = {
    "invalid_credentials": (
        "the access key was refused: check PRISMA_ACCESS_KEY_ID/PRISMA_SECRET_KEY or the profile"
    ),
    "token_expired": "the session token expired: log in again",
    "sso_enabled_password_login_attempt": (
        "this user signs in with SSO: use an access key (Settings > Access Keys) instead of a password"
    ),
    "unauthorized_to_use_access_keys": "this user may not use access keys: ask an administrator",
    "not_found": "not found: check the id or name",
    "invalid_id": "not found: check the id or name",
    "duplicate_cloud_account": "this cloud account is already onboarded: list the cloud accounts to find it",
    "duplicate_cloud_account_name": "a cloud account with this name exists: pick another name",
    "too_many_matching_results_reduce_time_range": "too many results: narrow the time range",
}

_STATUS_HINTS: dict[int, str] = {
    400: "the API rejected the request as invalid: check the parameters",
    401: "authentication failed: check the access key and secret, or the profile",
    403: "permission denied: the role of this access key does not allow it; ask an administrator",
    404: "not found: check the id or name",
    405: "the API does not allow this operation on this item in its current state",
    409: "conflict: the item already exists or is still in use",
    412: "a precondition failed: check the item's current state",
    413: "the answer would be too large: narrow the query or the time range",
    425: "too early: the API is not ready for this yet; try again shortly",
    429: "rate limited: slow down and try again later",
}


class APIError(CortexkitError):
    """The API answered with an error status.

    Carries `status_code` (alias `status`), `i18n_keys` (from `x-redlock-status`), `status_items`, the
    parsed `body`,
    `request_id` (`X-Redlock-Request-Id`, quote it to support), `method`, `path` and `response` (the
    httpx response, body already read; None after unpickling). The message is built from those only, so
    it cannot carry a token or secret.
    """

    def __init__(
        self,
        status: int,
        i18n_keys: Sequence[str] = (),
        *,
        body: ErrorBody | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        message: str | None = None,
        status_items: Sequence[StatusItem] = (),
        retry_after: str | None = None,
        response_headers: Mapping[str, str] | None = None,
        response_body: bytes | None = None,
        response: Any = None,
    ) -> None:
        self.status = status
        self.response = response
        self.i18n_keys: tuple[str, ...] = tuple(i18n_keys)
        self.body = body if body is not None else ErrorBody("empty")
        self.request_id = request_id
        self.method = method
        self.path = path
        self.status_items: tuple[StatusItem, ...] = tuple(status_items)
        self.retry_after = retry_after
        # The raw answer, for compatibility layers that hand callers a response object (session_loader);
        # kept out of str/repr. It is what the server sent, never what we sent.
        self.response_headers: dict[str, str] = dict(response_headers or {})
        self.response_body: bytes = response_body or b""
        self.message = message if message is not None else describe(status, self.i18n_keys, self.body)
        super().__init__(self.message)

    @property
    def status_code(self) -> int:
        """The HTTP status (the name httpx and requests use; `status` is the same value)."""
        return self.status

    def __str__(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else "request"
        keys = f" [{', '.join(self.i18n_keys)}]" if self.i18n_keys else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{where} failed with {self.status}{keys}: {self.message}{rid}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, i18n_keys={list(self.i18n_keys)!r}, "
            f"method={self.method!r}, path={self.path!r}, request_id={self.request_id!r})"
        )


class BadRequestError(APIError):
    """400 (and other 4xx without a class of their own): the request is invalid; do not retry it as is."""


class AuthenticationError(APIError):
    """401: the access key, secret or session token was refused."""


class PermissionDeniedError(APIError):
    """403: the key's role does not allow the call (or the tenant license expired)."""


class NotFoundError(APIError):
    """404: the item does not exist (or is not visible to this key)."""


class ConflictError(APIError):
    """409: the item exists already or is still referenced."""


class RateLimitError(APIError):
    """429 after the client's own retries: the API keeps throttling."""


class ServerError(APIError):
    """5xx: the API failed; reads are retried before this reaches the caller."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIError]:
    """The `APIError` subclass for a status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    return APIError


def describe(status: int, i18n_keys: Sequence[str], body: ErrorBody) -> str:
    """One sentence saying what went wrong and what to do, from the status, keys and body."""
    if body.style == "html":
        return "the server answered HTML, not JSON: is the API URL right (api.*, not app.*)?"
    for key in i18n_keys:
        if key in _HINTS:
            return _HINTS[key]
    detail = body.message or body.debug_message
    if status >= 500:
        base = f"the API failed (status {status}); try again later"
    else:
        base = _STATUS_HINTS.get(status, f"the API answered status {status}")
    if detail:
        target = f" ({_excerpt(body.target)})" if body.target else ""
        return f"{base}: {_excerpt(detail)}{target}"
    return base


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


def _request_id(headers: Mapping[str, str] | None) -> str | None:
    """The server's request id, reduced to printable characters: it lands in one-line messages and logs."""
    raw = _header(headers, REQUEST_ID_HEADER)
    if raw is None:
        return None
    cleaned = "".join(ch for ch in raw if ch.isprintable()).strip()[:128]
    return cleaned or None


def error_from_response(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    method: str | None = None,
    path: str | None = None,
    *,
    response: Any = None,
) -> APIError:
    """Build the typed error for an HTTP error response. Pure: no I/O, never raises on bad input.
    `response` (the httpx response) is only attached for callers, never parsed."""
    items = parse_redlock_status(_header(headers, STATUS_HEADER))
    parsed = parse_error_body(status, _header(headers, "content-type"), body)
    cls = error_class(status)
    return cls(
        status,
        [item.i18n_key for item in items],
        body=parsed,
        request_id=_request_id(headers),
        method=method,
        path=path,
        status_items=items,
        retry_after=_header(headers, "retry-after"),
        response_headers=headers,
        response_body=body.encode("utf-8") if isinstance(body, str) else body,
        response=response,
    )


__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "CortexkitError",
    "CredentialsError",
    "ErrorBody",
    "MissingCredentialsError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestError",
    "ServerError",
    "StatusItem",
    "UnexpectedResponseError",
    "describe",
    "error_class",
    "error_from_response",
    "parse_error_body",
    "parse_redlock_status",
]
