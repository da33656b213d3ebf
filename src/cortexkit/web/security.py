"""Session token, CSRF and response hardening for the local web UI.

The UI drives real onboarding with real keys, so it is treated like a Jupyter server: anyone who can reach
the port must also hold the session token printed by `cortexkit ui`. The token arrives once in the URL
(`?token=`), is moved into an HttpOnly SameSite=Strict cookie and stripped from the address bar by a
redirect, so it never lingers in history or in a Referer header.

Browsers scope cookies by host, not by port: a cookie set by 127.0.0.1:8765 is sent to every server on
127.0.0.1. So the cookie's name carries the port (`cortexkit_session_8765`, as Jupyter names its own):
a server on another port is never handed a token it could recognise as ours by name, two UIs on one
machine do not overwrite each other's session, and each UI reads only its own.

State-changing requests must also come from our own pages: the browser's `Sec-Fetch-Site` and `Origin`
headers, when present, must say same-origin (the CSRF token is the second lock, not the only one).
Authenticated answers are `Cache-Control: no-store`, so job pages and account lists do not stay in the
browser's disk cache after the session.

CSRF tokens are derived from the session token with HMAC: they prove the form came from a page we
rendered, cannot be turned back into the session token, and need no server-side storage.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

COOKIE_PREFIX = "cortexkit_session_"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
TOKEN_QUERY = "token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_session_token() -> str:
    """A 256-bit URL-safe token; long enough that guessing it over loopback is hopeless."""
    return secrets.token_urlsafe(32)


def tokens_equal(expected: str, presented: str | None) -> bool:
    """Constant-time comparison so response timing leaks nothing about the token."""
    if not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def csrf_token(session_token: str) -> str:
    """The CSRF token for a session: HMAC of a fixed label under the session token."""
    return hmac.new(session_token.encode(), b"cortexkit-csrf-v1", hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, presented: str | None) -> bool:
    return tokens_equal(csrf_token(session_token), presented)


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    if host in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_only(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def host_allowed(host_header: str | None, bind_host: str) -> bool:
    """Refuse DNS-rebinding: a loopback server only answers to loopback Host names."""
    if not host_header:
        return False
    if not is_loopback_host(bind_host):
        return True
    return is_loopback_host(_host_only(host_header))


@dataclass(frozen=True)
class Refusal:
    status: int
    title: str
    message: str


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def cookie_name(port: int | str) -> str:
    """The session cookie of the UI listening on `port`; another port's UI uses another name."""
    return f"{COOKIE_PREFIX}{port}"


def server_port(scope: Scope) -> str:
    """The port this request reached (the listening socket's), falling back to the Host header's."""
    server = scope.get("server")
    if server and server[1] is not None:
        return str(server[1])
    host = _headers(scope).get("host", "")
    tail = host.rsplit("]", 1)[-1]
    return tail.rsplit(":", 1)[1] if ":" in tail else ("443" if scope.get("scheme") == "https" else "80")


def _cookie_value(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed cookie header from some other local app is simply ignored
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def same_origin_request(scope: Scope, headers: dict[str, str]) -> bool:
    """False when the browser says a state-changing request came from another site, page or port.

    `Sec-Fetch-Site` (sent by current browsers, not settable by page scripts) is the authority and must
    be `same-origin`: a page on another port of 127.0.0.1 is `same-site`, and SameSite=Strict would
    still hand it our cookie. Without it, an `Origin` must be this server's scheme://host:port; `null`
    is let through because our own `Referrer-Policy: no-referrer` makes browsers send it on POSTs.
    A client that sends neither (curl, scripts) goes on to the CSRF check, which it must still pass.
    """
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return True
    expected = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    return origin.lower() == expected.lower()


def _refusal_body(refusal: Refusal, wants_json: bool) -> tuple[bytes, bytes]:
    if wants_json:
        import json

        body = json.dumps({"error": refusal.title, "message": refusal.message}).encode()
        return body, b"application/json"
    from html import escape

    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>cortexkit</title>"
        "<link rel='stylesheet' href='/static/app.css'><link rel='icon' href='/static/favicon.svg' "
        "type='image/svg+xml'></head><body class='refusal'><main class='card'>"
        f"<h1>{escape(refusal.title)}</h1><p>{escape(refusal.message)}</p></main></body></html>"
    )
    return page.encode(), b"text/html; charset=utf-8"


@dataclass
class SessionGuard:
    """ASGI middleware: token gate, Host check and security headers on every response.

    Written as plain ASGI rather than `BaseHTTPMiddleware` so Server-Sent Event streams pass through
    untouched and are not buffered.
    """

    app: ASGIApp
    session_token: str
    bind_host: str = "127.0.0.1"
    secure_cookie: bool = False
    public_paths: Iterable[str] = field(default=("/static/",))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope.get("path", "/")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        wants_json = path.startswith("/api/") or "application/json" in headers.get("accept", "")

        if not host_allowed(headers.get("host"), self.bind_host):
            await self._refuse(
                send,
                Refusal(
                    400,
                    "Unexpected host name",
                    "This server only answers on 127.0.0.1 or localhost. Open the URL printed by "
                    "`cortexkit ui` exactly as shown.",
                ),
                wants_json,
            )
            return

        presented = query.get(TOKEN_QUERY)
        if presented is not None and scope["method"] in SAFE_METHODS:
            if tokens_equal(self.session_token, presented):
                await self._exchange_token(scope, send, query)
                return
            await self._refuse(send, _bad_token(), wants_json)
            return

        public = any(path.startswith(p) for p in self.public_paths)
        if not public and not tokens_equal(
            self.session_token, _cookie_value(headers.get("cookie"), cookie_name(server_port(scope)))
        ):
            await self._refuse(send, _bad_token(), wants_json)
            return

        if scope["method"] not in SAFE_METHODS and not same_origin_request(scope, headers):
            await self._refuse(send, _cross_site(), wants_json)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                merged = _merge_security_headers(message.get("headers", []))
                if not public:
                    merged = [(k, v) for k, v in merged if k.lower() != b"cache-control"]
                    merged.append((b"cache-control", b"no-store"))
                message["headers"] = merged
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _exchange_token(self, scope: Scope, send: Send, query: dict[str, str]) -> None:
        """Move the URL token into a cookie and redirect to the same page without it."""
        rest = {k: v for k, v in query.items() if k != TOKEN_QUERY}
        location = scope.get("path", "/") + (f"?{urlencode(rest)}" if rest else "")
        name = cookie_name(server_port(scope))
        cookie = f"{name}={self.session_token}; Path=/; HttpOnly; SameSite=Strict"
        if self.secure_cookie:
            cookie += "; Secure"
        headers = [
            (b"location", location.encode("latin-1")),
            (b"set-cookie", cookie.encode("latin-1")),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
        ]
        await send(
            {"type": "http.response.start", "status": 303, "headers": _merge_security_headers(headers)}
        )
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, send: Send, refusal: Refusal, wants_json: bool) -> None:
        body, content_type = _refusal_body(refusal, wants_json)
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send(
            {
                "type": "http.response.start",
                "status": refusal.status,
                "headers": _merge_security_headers(headers),
            }
        )
        await send({"type": "http.response.body", "body": body})


def _bad_token() -> Refusal:
    return Refusal(
        403,
        "Session token required",
        "Open the full URL that `cortexkit ui` printed (it ends with ?token=...). If the server was "
        "restarted, it printed a new token.",
    )


def _cross_site() -> Refusal:
    return Refusal(
        403,
        "Request from another site refused",
        "The browser reports that this request came from another site or page, so nothing was changed. "
        "Submit the form from the cortexkit UI itself.",
    )


def _merge_security_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    merged = list(headers)
    merged.extend((name, value) for name, value in SECURITY_HEADERS if name not in present)
    return merged
