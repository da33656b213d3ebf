"""The one module that imports httpx: pooled clients, transport error classification, header access.

Everything above this layer sees plain values (status, headers dict, bytes) and the `retry.Failure`
classification, so the policies stay free of httpx.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

import httpx

from cortexkit import __version__
from cortexkit.retry import Failure

USER_AGENT = f"cortexkit/{__version__}"

Response = httpx.Response
Request = httpx.Request
TransportError = httpx.TransportError
SyncTransport = httpx.BaseTransport
AsyncTransport = httpx.AsyncBaseTransport


@dataclass(frozen=True)
class HttpSettings:
    """Connection settings shared by the sync and async clients."""

    base_url: str
    verify: bool | str = True  # a path is a CA bundle (a PEM file, or a directory of certificates)
    timeout: float = 30.0
    proxy: str | None = None
    max_connections: int = 64

    def ssl_verify(self) -> bool | ssl.SSLContext:
        """`True`/`False`, or an SSL context for a CA bundle (httpx deprecates passing the path)."""
        if isinstance(self.verify, bool):
            return self.verify
        if os.path.isdir(self.verify):
            return ssl.create_default_context(capath=self.verify)
        if os.path.isfile(self.verify):
            return ssl.create_default_context(cafile=self.verify)
        raise FileNotFoundError(f"CA bundle not found: {self.verify}")

    def timeouts(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))

    def limits(self) -> httpx.Limits:
        return httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_connections
        )


_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}


def build_sync(settings: HttpSettings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A pooled client: one TLS connection reused across calls (the peers open one per call)."""
    return httpx.Client(
        base_url=settings.base_url,
        verify=settings.ssl_verify(),
        proxy=settings.proxy,
        transport=transport,
        timeout=settings.timeouts(),
        limits=settings.limits(),
        headers=_HEADERS,
        follow_redirects=False,
    )


def build_async(
    settings: HttpSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.base_url,
        verify=settings.ssl_verify(),
        proxy=settings.proxy,
        transport=transport,
        timeout=settings.timeouts(),
        limits=settings.limits(),
        headers=_HEADERS,
        follow_redirects=False,
    )


def classify(exc: httpx.TransportError) -> Failure:
    """What a transport error says about the request: never sent, maybe sent, or hopeless.

    An untrusted certificate or an unusable URL will fail the same way every time: surfacing it at once
    beats half a minute of backoff before the user learns to fix `verify` or the API URL.
    """
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return Failure.FATAL
    if _caused_by(exc, ssl.SSLCertVerificationError):
        return Failure.FATAL
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError):
        return Failure.NOT_SENT
    return Failure.MAYBE_SENT


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def is_timeout(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.TimeoutException)


def lower_headers(response: httpx.Response) -> dict[str, str]:
    """Response headers as a plain dict with lower-case names (first value wins)."""
    out: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        out.setdefault(name.lower(), value)
    return out
