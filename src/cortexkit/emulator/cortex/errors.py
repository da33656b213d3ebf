"""The Cortex error bodies, in the five shapes the official Go SDK parses (`errors/api.go`):

1. `{"reply": {"err_code", "err_msg", "err_extra"}}`: public_api RPC routes;
2. `{"err_code", "err_msg", "metadata": {"err_code", "err_extra": [{"field", "message"}]}}`: CloudSec;
3. `{"data": {"err_msg", "metadata": {...}}}`: newer CloudSec;
4. `{"errorCode", "message", "details": {...}}`: AppSec 422;
5. anything else: the gateway's plain-text 404 for a path it does not know.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..errors import EmulatorError

UNAUTHORIZED = "Public API request unauthorized"


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class ReplyError(EmulatorError):
    """Shape 1. `err_code` is an int for 401/429 (as seen in the wild) and a string elsewhere (the 1.2
    docs' schema types it `string`), so clients must take both."""

    def __init__(
        self, status: int, message: str, extra: Any = None, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, headers)
        self.message = message
        self.extra = extra

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def response(self) -> Response:
        code: int | str = self.status if self.status in (401, 429) else str(self.status)
        body = {"reply": {"err_code": code, "err_msg": self.message, "err_extra": self.extra}}
        return Response(_dumps(body), self.status, headers=self.headers, media_type="application/json")


class RootError(EmulatorError):
    """Shape 2 (CloudSec root level)."""

    def __init__(self, status: int, message: str, extra: list[dict[str, Any]]) -> None:
        super().__init__(status)
        self.message, self.extra = message, extra

    def response(self) -> Response:
        body = {
            "err_code": self.status,
            "err_msg": self.message,
            "metadata": {"err_code": self.status, "err_extra": self.extra},
        }
        return Response(_dumps(body), self.status, media_type="application/json")


class DataError(EmulatorError):
    """Shape 3 (newer CloudSec)."""

    def __init__(self, status: int, message: str, extra: list[dict[str, Any]] | str | None = None) -> None:
        super().__init__(status)
        self.message, self.extra = message, extra

    def response(self) -> Response:
        body = {
            "data": {"err_msg": self.message, "metadata": {"err_code": self.status, "err_extra": self.extra}}
        }
        return Response(_dumps(body), self.status, media_type="application/json")


class AppSecError(EmulatorError):
    """Shape 4 (AppSec validation)."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(status)
        self.code, self.message, self.details = code, message, details

    def response(self) -> Response:
        body = {"errorCode": self.code, "message": self.message, "details": self.details}
        return Response(_dumps(body), self.status, media_type="application/json")


class PlainError(EmulatorError):
    """Shape 5: not JSON at all."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.text = text

    def response(self) -> Response:
        return Response(self.text.encode(), self.status, media_type="text/plain")


def reply_error(status: int, message: str, *, headers: dict[str, str] | None = None) -> ReplyError:
    """What the core's generic errors (injected faults, 429) look like on a Cortex path."""
    texts = {401: UNAUTHORIZED, 429: "Too many requests"}
    return ReplyError(status, texts.get(status, message), headers=headers)


def missing_field(name: str, where: tuple[str, ...] = ("body", "request_data")) -> ReplyError:
    """422 with a pydantic-style `err_extra` list, as the Go SDK's `errors/api_test.go` shows."""
    return ReplyError(
        422,
        "Invalid client request",
        [{"type": "missing", "loc": [*where, name], "msg": "Field required", "input": None}],
    )


def bad_field(name: str, message: str, value: Any) -> ReplyError:
    return ReplyError(
        422,
        "Invalid client request",
        [{"type": "value_error", "loc": ["body", "request_data", name], "msg": message, "input": value}],
    )
