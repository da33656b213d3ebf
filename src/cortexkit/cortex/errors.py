"""Cortex error bodies (five shapes) into the shared `cortexkit.errors` tree.

The shapes, from the official Go SDK's `errors/api.go` (`CortexCloudAPIError`):

1. `{"reply": {"err_code", "err_msg", "err_extra"}}`: the public_api RPC form;
2. `{"err_code", "err_msg", "metadata": {"err_code", "err_extra"}}`: CloudSec, root level;
3. `{"data": {"err_msg", "metadata": {...}}}`: newer CloudSec;
4. `{"errorCode", "message", "details": {"params": {...}} | {"<field>": {"message"}}}`: AppSec;
5. anything else (HTML, text, another JSON object): kept as an excerpt.

`err_code` arrives as an int or a string; `err_extra` as a string, null, or a list of field errors
(pydantic style `{type, loc, msg, input}` or `{field, message}`). Pure and total: never raises on garbage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cortexkit import errors

Shape = Literal["reply", "root", "data", "appsec", "other", "empty"]
_MAX = 300


class LicenseError(errors.PermissionDeniedError):
    """402: the tenant's licence does not include this API (e.g. Cortex Cloud Posture Management)."""


class ValidationFailedError(errors.BadRequestError):
    """422: the server refused the request body; `field_errors` says which fields and why."""


@dataclass(frozen=True)
class FieldError:
    """One entry of `err_extra` / `details`: where (`body.name`), what, and the offending input."""

    location: str
    message: str
    type: str | None = None
    input: Any = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True)
class CortexErrorBody:
    shape: Shape
    code: str | None = None
    message: str | None = None
    field_errors: tuple[FieldError, ...] = ()
    raw: Any = None
    text: str | None = None


def _line(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def _code(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return _line(text) or None
    return None


def _field_errors(extra: object) -> tuple[FieldError, ...]:
    if extra is None:
        return ()
    if isinstance(extra, str):
        return (FieldError("", _line(extra)),) if extra.strip() else ()
    if isinstance(extra, Mapping):
        extra = [extra]
    if not isinstance(extra, list):
        return (FieldError("", _line(extra)),)
    out: list[FieldError] = []
    for item in extra[:50]:
        if isinstance(item, Mapping):
            loc = item.get("loc")
            if isinstance(loc, list):
                where = ".".join(str(p) for p in loc)
            else:
                where = str(item.get("field", "")) if item.get("field") is not None else ""
            message = item.get("msg") or item.get("message") or ""
            kind = item.get("type")
            out.append(
                FieldError(_line(where), _line(message), _line(kind) if kind else None, item.get("input"))
            )
        elif item is not None:
            out.append(FieldError("", _line(item)))
    return tuple(out)


def _details(details: object) -> tuple[tuple[FieldError, ...], str | None]:
    """AppSec `details`: `{"params": {"message"}}` and/or `{"<field path>": {"message"}}`."""
    if not isinstance(details, Mapping):
        return (), None
    params_msg: str | None = None
    fields: list[FieldError] = []
    for key in sorted(details, key=str):
        value = details[key]
        message = value.get("message") if isinstance(value, Mapping) else value
        if key == "params":
            params_msg = _line(message) if message else None
        elif message is not None:
            fields.append(FieldError(_line(key), _line(message)))
    return tuple(fields), params_msg


def parse_body(body: bytes | str | None) -> CortexErrorBody:
    """Which shape an error body is in, normalised. Never raises."""
    if body is None:
        return CortexErrorBody("empty")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return CortexErrorBody("empty")
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return CortexErrorBody("other", text=_line(text))
    if not isinstance(decoded, dict):
        return CortexErrorBody("other", raw=decoded, text=_line(decoded))
    reply = decoded.get("reply")
    if isinstance(reply, Mapping) and ("err_code" in reply or "err_msg" in reply):
        return CortexErrorBody(
            "reply",
            code=_code(reply.get("err_code")),
            message=_line(reply["err_msg"]) if reply.get("err_msg") else None,
            field_errors=_field_errors(reply.get("err_extra")),
            raw=decoded,
        )
    data = decoded.get("data")
    if isinstance(data, Mapping) and ("err_msg" in data or "metadata" in data):
        meta: Mapping[str, Any] = data["metadata"] if isinstance(data.get("metadata"), Mapping) else {}
        return CortexErrorBody(
            "data",
            code=_code(meta.get("err_code")),
            message=_line(data["err_msg"]) if data.get("err_msg") else None,
            field_errors=_field_errors(meta.get("err_extra")),
            raw=decoded,
        )
    if "err_code" in decoded or "err_msg" in decoded or isinstance(decoded.get("metadata"), Mapping):
        meta = decoded["metadata"] if isinstance(decoded.get("metadata"), Mapping) else {}
        code = _code(decoded.get("err_code")) or _code(meta.get("err_code"))
        return CortexErrorBody(
            "root",
            code=code,
            message=_line(decoded["err_msg"]) if decoded.get("err_msg") else None,
            field_errors=_field_errors(meta.get("err_extra")),
            raw=decoded,
        )
    if "errorCode" in decoded or ("message" in decoded and "details" in decoded):
        fields, params = _details(decoded.get("details"))
        message = decoded.get("message")
        return CortexErrorBody(
            "appsec",
            code=_code(decoded.get("errorCode")),
            message=_line(message) if message else params,
            field_errors=fields if fields or not params else (FieldError("", params),),
            raw=decoded,
        )
    return CortexErrorBody("other", raw=decoded, text=_line(decoded))


_CLASSES: dict[int, type[errors.APIError]] = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    402: LicenseError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    422: ValidationFailedError,
    429: errors.RateLimitError,
}

HINTS: dict[int, str] = {
    400: "the API could not read the request: check the JSON body",
    401: (
        "the API key was refused: check CORTEXCLOUD_API_KEY_ID and CORTEXCLOUD_API_KEY, the key type "
        "(CORTEXCLOUD_API_KEY_TYPE advanced|standard, as created in the console) and the local clock"
    ),
    402: "the tenant's licence does not include this API: ask PANW or your administrator to license it",
    403: "the role of this API key does not allow this call: give the key a role that does",
    404: "no such API path on this host: check CORTEXCLOUD_API_URL (https://api-<tenant fqdn>) and the id",
    409: "conflict: the item exists already or is in use",
    422: "the API refused the request's fields",
    429: "rate limited (10 requests/s per tenant): slow down and try again",
}


def error_class(status: int) -> type[errors.APIError]:
    if status in _CLASSES:
        return _CLASSES[status]
    if status >= 500:
        return errors.ServerError
    if status >= 400:
        return errors.BadRequestError
    return errors.APIError


def describe(status: int, parsed: CortexErrorBody) -> str:
    base = HINTS.get(status) or (
        f"the API failed (status {status}); try again later" if status >= 500 else f"status {status}"
    )
    detail = parsed.message or parsed.text
    parts = [base]
    if detail and detail not in base:
        parts.append(detail)
    if parsed.field_errors:
        parts.append("; ".join(str(f) for f in parsed.field_errors[:5]))
    return ": ".join(parts)


def error_from_response(  # noqa: PLR0917 - the signature of cortexkit.errors.error_from_response
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    method: str | None = None,
    path: str | None = None,
    request_id: str | None = None,
) -> errors.APIError:
    """The typed error for a Cortex error response; `field_errors` and `err_code` on the exception."""
    parsed = parse_body(body)
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    cls = error_class(status)
    exc = cls(
        status,
        body=errors.ErrorBody(
            "json" if parsed.raw is not None else ("empty" if parsed.shape == "empty" else "text"),
            code=parsed.code,
            message=parsed.message,
            details=[f.__dict__ for f in parsed.field_errors] or None,
            raw=parsed.raw,
            text=parsed.text,
        ),
        request_id=request_id,
        method=method,
        path=path,
        message=describe(status, parsed),
        retry_after=lowered.get("retry-after"),
        response_headers=lowered,
        response_body=body.encode("utf-8") if isinstance(body, str) else body,
    )
    # Attributes on whichever class the status picked, so `except AuthenticationError` still reads them.
    setattr(exc, "field_errors", parsed.field_errors)  # noqa: B010
    setattr(exc, "err_code", parsed.code)  # noqa: B010
    setattr(exc, "shape", parsed.shape)  # noqa: B010
    return exc


def field_errors(exc: BaseException) -> tuple[FieldError, ...]:
    """The field errors a Cortex error carried (empty for any other exception)."""
    value = getattr(exc, "field_errors", ())
    return value if isinstance(value, tuple) else ()
