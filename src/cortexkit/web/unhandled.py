"""The last line of defence: an exception no route handled becomes one log line and a plain error page.

Starlette's own handler for `Exception` answers the page and then re-raises, so uvicorn prints the whole
traceback to the terminal (and resets the connection). This middleware sits inside the session guard,
catches the exception instead, logs a single line carrying a short id, and answers with a page that
shows the same id so a user can quote it and the operator can find the line. Nothing of the request
(which may hold the form's client secret) goes into the line: the exception's type and the first line
of its message, which the client keeps free of secrets.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from starlette.responses import HTMLResponse, JSONResponse, Response

from cortexkit.web.security import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("cortexkit.web")

Responder = Callable[[Scope, Exception, str], Response]


def new_error_id() -> str:
    """Eight hex characters: enough to find one line in a terminal, nothing to guess from."""
    return secrets.token_hex(4)


def log_line(scope: Scope, exc: BaseException, error_id: str) -> str:
    text = str(exc).strip()
    detail = text.splitlines()[0][:300] if text else ""
    where = f"{scope.get('method', '?')} {scope.get('path', '?')}"
    return f"error {error_id}: {where} failed: {type(exc).__name__}" + (f": {detail}" if detail else "")


def plain_error_page(scope: Scope, error_id: str) -> Response:
    """A page that needs no template: used when rendering the nice one failed too."""
    message = "The server hit an unexpected problem and did not finish the request."
    action = f"Try again; if it keeps happening, quote error {error_id} from the terminal running the UI."
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse(
            {"error": "Something went wrong", "message": message, "action": action, "id": error_id}, 500
        )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>cortexkit</title>"
        "<link rel='stylesheet' href='/static/app.css'><link rel='icon' href='/static/favicon.svg' "
        "type='image/svg+xml'></head><body class='refusal'><main class='card'>"
        f"<h1>Something went wrong</h1><p>{escape(message)}</p><p>{escape(action)}</p></main></body></html>"
    )
    return HTMLResponse(page, status_code=500)


@dataclass
class CatchUnhandled:
    """ASGI middleware: turns an escaped exception into `respond(scope, exc, error_id)` and one log line."""

    app: ASGIApp
    respond: Responder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id = new_error_id()
            log.error(log_line(scope, exc, error_id))
            if started:
                return  # a streamed answer was cut short: nothing more can be said on it
            try:
                response = self.respond(scope, exc, error_id)
            except Exception:
                response = plain_error_page(scope, error_id)
            await response(scope, receive, send)
