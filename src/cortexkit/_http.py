"""The one module that imports httpx: pooled clients, transport error classification, header access.

Everything above this layer sees plain values (status, headers dict, bytes) and the `retry.Failure`
classification, so the policies stay free of httpx.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from cortexkit import __version__
from cortexkit.errors import ConfigurationError
from cortexkit.retry import Failure

USER_AGENT = f"cortexkit/{__version__}"

Response = httpx.Response
Request = httpx.Request
TransportError = httpx.TransportError
SyncTransport = httpx.BaseTransport
AsyncTransport = httpx.AsyncBaseTransport
SyncHttpClient = httpx.Client
AsyncHttpClient = httpx.AsyncClient
Timeout = httpx.Timeout
USE_CLIENT_DEFAULT: Any = httpx.USE_CLIENT_DEFAULT

Verify = bool | str | ssl.SSLContext
TimeoutSetting = float | httpx.Timeout | None

CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
"""Checked in this order when `verify` is plain `True`, as requests does; after them httpx's own
`SSL_CERT_FILE` / `SSL_CERT_DIR`, then certifi."""


def ca_bundle_from_env(env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, path) of the first CA bundle variable set, or None."""
    environ = os.environ if env is None else env
    for name in CA_BUNDLE_ENV:
        value = environ.get(name, "").strip()
        if value:
            return name, os.path.expanduser(value)
    return None


@functools.lru_cache(maxsize=4)
def _default_context(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    """httpx's context for `verify=True` (SSL_CERT_FILE / SSL_CERT_DIR, else certifi), built once per
    process and setting: loading a CA bundle costs about 50 ms of CPU, and a bulk onboarding builds a
    client per step of every job (an SSL context is safe to share between connections and threads)."""
    return httpx.create_ssl_context(verify=True, trust_env=True)


@functools.lru_cache(maxsize=16)
def _file_context(path: str, kind: str, _mtime_ns: int, _size: int) -> ssl.SSLContext:
    """A context for a CA bundle file or directory, rebuilt when the file changes (its mtime or size)."""
    if kind == "dir":
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)


def ssl_context(path: str, where: str) -> ssl.SSLContext:
    """An SSL context trusting the CA bundle at `path` (a PEM file or a directory of certificates)."""
    if os.path.isdir(path):
        info = os.stat(path)
        return _file_context(path, "dir", info.st_mtime_ns, info.st_size)
    if os.path.isfile(path):
        try:
            info = os.stat(path)
            return _file_context(path, "file", info.st_mtime_ns, info.st_size)
        except ssl.SSLError as exc:
            raise ConfigurationError(
                f"the CA bundle {path} ({where}) is not a PEM file: {exc.reason}"
            ) from None
    raise ConfigurationError(
        f"the CA bundle {path} ({where}) does not exist: point it at a PEM file or a directory of "
        "certificates, or remove the setting to use the system's trusted authorities"
    )


@dataclass(frozen=True)
class HttpSettings:
    """Connection settings shared by the sync and async clients."""

    base_url: str
    verify: Verify = True  # a path is a CA bundle (a PEM file, or a directory of certificates)
    timeout: TimeoutSetting = 30.0
    proxy: str | None = None
    max_connections: int = 64
    headers: Mapping[str, str] = field(default_factory=dict)

    def ssl_verify(self) -> bool | ssl.SSLContext:
        """`False`, a context the caller built, or a context for a CA bundle: the explicit path, else
        `REQUESTS_CA_BUNDLE` / `CURL_CA_BUNDLE`; plain `True` is httpx's own (SSL_CERT_FILE or certifi).
        Contexts are built once per process and bundle, not per client."""
        verify = self.verify
        if isinstance(verify, ssl.SSLContext) or verify is False:
            return verify
        if isinstance(verify, str):
            return ssl_context(os.path.expanduser(verify), "verify")
        found = ca_bundle_from_env()
        if found is not None:
            name, path = found
            return ssl_context(path, name)
        return _default_context(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))

    def timeouts(self) -> httpx.Timeout:
        """The httpx timeout: as given, none, or seconds with the connect phase capped at 10 s."""
        if isinstance(self.timeout, httpx.Timeout):
            return self.timeout
        if self.timeout is None:
            return httpx.Timeout(None)
        return httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))

    def limits(self) -> httpx.Limits:
        """One pool per client, shared by its threads or tasks."""
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
        headers={**_HEADERS, **settings.headers},
        follow_redirects=False,
    )


def build_async(
    settings: HttpSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The async twin of `build_sync`."""
    return httpx.AsyncClient(
        base_url=settings.base_url,
        verify=settings.ssl_verify(),
        proxy=settings.proxy,
        transport=transport,
        timeout=settings.timeouts(),
        limits=settings.limits(),
        headers={**_HEADERS, **settings.headers},
        follow_redirects=False,
    )


def describe_transport_error(exc: httpx.TransportError, url: str) -> str:
    """One sentence for a transport failure; an untrusted certificate says what to set."""
    host = urlsplit(url).hostname or url
    cert = _find(exc, ssl.SSLCertVerificationError)
    if cert is not None:
        reason = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or str(cert)
        return (
            f"certificate verify failed for {host}: {reason}; if a proxy inspects TLS, set "
            "REQUESTS_CA_BUNDLE to its CA bundle (or pass verify='/path/to/ca.pem', or save it in the "
            "profile with `cortexkit profile add --verify /path/to/ca.pem`)"
        )
    detail = str(exc).strip()
    return f"{type(exc).__name__} talking to {host}" + (f": {detail[:200]}" if detail else "")


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


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    return _find(exc, kind) is not None


def is_timeout(exc: httpx.TransportError) -> bool:
    """Whether the transport error is (or was caused by) a timeout."""
    return isinstance(exc, httpx.TimeoutException)


def lower_headers(response: httpx.Response) -> dict[str, str]:
    """Response headers as a plain dict with lower-case names (first value wins)."""
    out: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        out.setdefault(name.lower(), value)
    return out
