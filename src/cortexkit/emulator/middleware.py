"""The one ASGI middleware: request ids, rate-limit headers, stats, injected faults, URL length.

Pure ASGI (no BaseHTTPMiddleware, which costs a task and a memory stream per request). Control-plane
routes under `/_emulator/` are never faulted and not counted.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .core import RATELIMIT_STATE_KEY, TRANSPORT_STATE_KEY
from .faults import Fault
from .ratelimit import Decision
from .routing import route_path

if TYPE_CHECKING:
    from .core import Emulator

CONTROL_PREFIX = "/_emulator/"
# The service's front end refuses a GET whose URL passes ~8 KB with 413 (prisma.pan.dev issue 279): a
# `GET /v2/alert?pageToken=...` with a real (several KB) token. Page tokens here are longer than this.
MAX_GET_URL = 8192
log = logging.getLogger("cortexkit.emulator")
_FAULT_KEYS = {
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class DroppedConnection(ConnectionAbortedError):
    """Raised in-process (no socket to close) where a real server would drop the connection."""


class EmulatorMiddleware:
    """Wraps the FastAPI app; reads `emulator.faults`/`.stats` per request so `reset()` is seen at once."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        self._id_prefix = uuid.uuid4().hex[:12]
        self._counter = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._counter += 1
        request_id = f"{self._id_prefix}-{self._counter:08x}".encode()
        path = route_path(scope)
        if path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, _with_headers(send, [(b"x-redlock-request-id", request_id)]))
            return

        emulator = self.emulator
        method: str = scope["method"]
        status_box = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-redlock-request-id", request_id))
                decision: Decision | None = scope.get("state", {}).get(RATELIMIT_STATE_KEY)
                if decision is not None:
                    headers.extend((k.lower().encode(), v.encode()) for k, v in decision.headers().items())
                message = {**message, "headers": headers}
            await send(message)

        fault = emulator.faults.decide(method, path)
        if fault is not None and fault.kind == "latency":
            emulator.stats.record_fault("latency")
            await asyncio.sleep(fault.delay)
            fault = None

        if method == "GET" and len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > (
            MAX_GET_URL
        ):
            status_box[0] = 413
            too_long = errors.error_for_path(
                path, 413, "request_entity_too_large", "request URL too long: send the query with POST"
            )
            await too_long.response()(scope, receive, send_wrapper)
            emulator.stats.record(self._route_key(scope, method, path), 413)
            return

        if fault is None:
            started = [False]

            async def tracked(message: Message) -> None:
                started[0] = started[0] or message["type"] == "http.response.start"
                await send_wrapper(message)

            try:
                await self.app(scope, receive, tracked)
            except Exception:
                # Answered here, not by Starlette's outer error middleware, so the 500 carries the
                # request id like every other answer.
                if started[0]:
                    raise
                log.exception("unhandled error in %s %s", method, path)
                status_box[0] = 500
                await errors.error_for_path(path, 500, "internal_error").response()(
                    scope, receive, send_wrapper
                )
            finally:
                emulator.stats.record(self._route_key(scope, method, path), status_box[0])
            return

        if fault.when == "after":
            await self.app(scope, receive, _discard)
            # The handler's rate-limit figures describe an answer the client will never see.
            scope.get("state", {}).pop(RATELIMIT_STATE_KEY, None)
        emulator.stats.record_fault(fault.kind)
        route = self._route_key(scope, method, path)
        if fault.kind == "drop":
            emulator.stats.record(route, 0)
            await _drop_connection(scope, receive, body_unread=fault.when != "after")
            return
        status = fault.status or 500
        response = self._fault_response(path, method, route, status, fault)
        await response(scope, receive, send_wrapper)
        emulator.stats.record(route, status)

    def _fault_response(self, path: str, method: str, route: str, status: int, fault: Fault) -> Any:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if status == 429:
            rate, burst = self.emulator.limiter.limit_for(method, route.split(" ", 1)[1])
            headers.update(Decision(False, burst, 0, rate).headers())
        key = _FAULT_KEYS.get(status, "internal_error")
        return errors.error_for_path(path, status, key, key.replace("_", " "), headers=headers).response()

    def _route_key(self, scope: Scope, method: str, path: str) -> str:
        route = scope.get("route")
        template = getattr(route, "path", None)
        if template is None:
            template = _match_template(scope) or "<unmatched>"
        return f"{method} {template}"


def _match_template(scope: Scope) -> str | None:
    """Route template for a request the router never saw (answered by a fault before routing)."""
    app = scope.get("app")
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            path = getattr(route, "path", None)
            return path if isinstance(path, str) else None
    return None


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return wrapped


async def _discard(message: Message) -> None:
    """A `send` that throws the handler's answer away (for faults injected after the action)."""


async def _drop_connection(scope: Scope, receive: Receive, *, body_unread: bool) -> None:
    """Close the socket without any response; uvicorn then sees a disconnect, not a missing answer.

    An unread request body is drained first: closing a socket with unread bytes makes the kernel send a
    reset instead of a clean close, and the client would see "connection reset" or "server disconnected"
    depending on timing. Draining makes the fault the same every time.
    """
    transport = scope.get("state", {}).get(TRANSPORT_STATE_KEY)
    if transport is None:
        raise DroppedConnection("connection dropped by an injected fault")
    if body_unread:
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
    transport.close()
    try:
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return
