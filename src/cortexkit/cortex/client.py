"""`CortexClient` and `AsyncCortexClient`: thin drivers over the shared core.

One request loop per client: tenant-wide rate-limit reservation -> sign the attempt -> send -> classify
-> retry / raise. The decisions live in `_Core` (`begin`, `prepare`, `on_transport_error`,
`on_response`, answering with `request_loop.Outcome` as the Prisma loop does), `transport.CallState`
(per-call state, `retry.RetryPolicy`) and `ratelimit.Bucket` (one bucket for the whole tenant: Cortex
counts every endpoint against one limit of 10 requests/s and sends no rate-limit headers, so the client
paces itself). This module only sleeps, locks and does I/O, so the sync and async clients cannot drift
apart.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from cortexkit import _http, errors
from cortexkit.cortex import errors as cortex_errors
from cortexkit.cortex.auth import Signer
from cortexkit.cortex.credentials import CortexCredentials, load_cortex_credentials
from cortexkit.cortex.paging import CortexPager, Style
from cortexkit.cortex.transport import CallState
from cortexkit.pagination import Page, Pager, RequestSpec, aiterate, iterate
from cortexkit.ratelimit import Bucket
from cortexkit.request_loop import Next, Outcome
from cortexkit.retry import RetryConfig, RetryPolicy, Verdict

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit._redact import Secret
    from cortexkit.cortex.resources import AsyncCortexResources, CortexResources
    from cortexkit.cortex.resources.assets import Assets, AsyncAssets
    from cortexkit.cortex.resources.audit_logs import AsyncAuditLogs, AuditLogs
    from cortexkit.cortex.resources.cloud_onboarding import AsyncCloudOnboarding, CloudOnboarding
    from cortexkit.cortex.resources.compliance import AsyncCompliance, Compliance
    from cortexkit.cortex.resources.issues import AsyncIssues, Issues
    from cortexkit.cortex.resources.system import AsyncSystem, System
    from cortexkit.governor import Limiter

log = logging.getLogger("cortexkit.cortex")

TENANT_RATE = 10.0
"""Requests per second per tenant, all endpoints (Cortex platform docs, quoted in elastic/integrations
PR #14091). The server sends no X-RateLimit-* headers, so this is the only figure the client has."""


@dataclass
class CortexStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    rate_limit_wait: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class TenantLimiter:
    """One token bucket for a whole tenant (every endpoint, every client of this process on that key)."""

    def __init__(self, rate: float = TENANT_RATE, burst: int | None = None) -> None:
        if rate <= 0:
            raise errors.ConfigurationError("the Cortex rate limit must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        self._bucket: Bucket | None = None
        self._lock = threading.Lock()
        self.throttled = 0

    def reserve(self, now: float) -> float:
        with self._lock:
            if self._bucket is None:
                self._bucket = Bucket.create(self.rate, self.burst, now)
            return self._bucket.reserve(now)

    def on_status(self, status: int, now: float) -> None:
        if status != 429:
            return
        with self._lock:
            self.throttled += 1
            if self._bucket is not None:
                self._bucket.throttled(now)


_LIMITERS: dict[tuple[str, int], TenantLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_tenant_limiter(api_url: str, api_key_id: int, rate: float = TENANT_RATE) -> TenantLimiter:
    """The process-wide limiter of one tenant and key; a new `rate` replaces the old limiter."""
    key = (api_url.rstrip("/").lower(), api_key_id)
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None or limiter.rate != rate:
            limiter = _LIMITERS[key] = TenantLimiter(rate)
        return limiter


def decode(response: _http.Response, spec: RequestSpec) -> Any:
    content = response.content
    if not content.strip():
        return None
    ctype = response.headers.get("content-type", "").lower()
    if "json" in ctype or content.lstrip()[:1] in (b"{", b"[", b'"'):
        try:
            return jsonlib.loads(content)
        except ValueError:
            raise errors.UnexpectedResponseError(
                f"{spec.method} {spec.path} returned malformed JSON (status {response.status_code})"
            ) from None
    if "html" in ctype or content.lstrip()[:1] == b"<":
        raise errors.UnexpectedResponseError(
            f"{spec.method} {spec.path} returned an HTML page, not the Cortex API: "
            "is the URL the API one (https://api-<tenant fqdn>)?"
        )
    return response.text


class GovernedTenantLimiter(TenantLimiter):
    """The tenant bucket kept by the governor (governor.py): one budget for every process on the
    machine, or every host on one Redis, since Cortex counts the whole tenant together."""

    def __init__(self, shared: Limiter) -> None:
        super().__init__(TENANT_RATE)
        self.shared = shared

    def reserve(self, now: float) -> float:
        return self.shared.reserve("ANY", "/", now)

    def on_status(self, status: int, now: float) -> None:
        if status == 429:
            self.throttled += 1
        self.shared.on_response("ANY", "/", status, {}, now)


def default_tenant_limiter(api_url: str, api_key_id: int) -> TenantLimiter:
    """The governor's shared tenant bucket, or this process's own when `CORTEXKIT_GOVERNOR=off`."""
    from cortexkit.governor import cortex_limiter, enabled

    if not enabled(None):
        return shared_tenant_limiter(api_url, api_key_id)
    return GovernedTenantLimiter(cortex_limiter(api_url))


class _Core:
    """What both clients share: credentials, settings, policies, error mapping, logging. No I/O."""

    def __init__(
        self,
        credentials: CortexCredentials,
        *,
        timeout: float,
        proxy: str | None,
        retry: RetryConfig | RetryPolicy | None,
        rate_limit: bool | float | TenantLimiter,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self.credentials = credentials
        self.api_url = credentials.api_url.rstrip("/")
        self.settings = _http.HttpSettings(
            base_url=self.api_url, verify=credentials.verify, timeout=timeout, proxy=proxy
        )
        self.retry = retry if isinstance(retry, RetryPolicy) else RetryPolicy(retry)
        self.limiter: TenantLimiter | None
        if isinstance(rate_limit, TenantLimiter):
            self.limiter = rate_limit
        elif rate_limit is True:  # shared by every process on the tenant unless the governor is off
            self.limiter = default_tenant_limiter(self.api_url, credentials.api_key_id)
        elif rate_limit is False or rate_limit is None:
            self.limiter = None
        else:
            self.limiter = shared_tenant_limiter(self.api_url, credentials.api_key_id, float(rate_limit))
        self.signer = Signer(
            credentials.api_key_id,
            credentials.api_key.get_secret_value(),
            credentials.api_key_type,
            wall_clock=wall_clock,
        )
        self.clock = clock
        self.stats = CortexStats()
        self.last_date: str | None = None

    def call(self, spec: RequestSpec) -> CallState:
        return CallState(spec, self.signer, self.retry, self.clock())

    def error(self, response: _http.Response, state: CallState) -> errors.APIError:
        return cortex_errors.error_from_response(
            response.status_code,
            _http.lower_headers(response),
            response.content,
            state.spec.method,
            state.spec.path,
            request_id=state.request_id,
        )

    def begin(self, state: CallState) -> float:
        """Reserve the tenant's slot for the next attempt: the seconds to wait before sending."""
        if self.limiter is None:
            return 0.0
        wait = self.limiter.reserve(self.clock())
        self.stats.rate_limit_wait += max(0.0, wait)
        return wait

    def prepare(self, state: CallState) -> tuple[str, dict[str, str], bytes | None]:
        """URL, signed headers and body of the next attempt."""
        self.stats.requests += 1
        state.sent = self.clock()
        return state.next_attempt()

    def on_transport_error(self, state: CallState, exc: _http.TransportError) -> Outcome:
        """No answer arrived: retry, or the error to raise (its cause set)."""
        spec = state.spec
        verdict, delay = state.after_failure(_http.classify(exc), self.clock())
        if verdict is Verdict.RETRY:
            self.stats.retries += 1
            return Outcome(Next.RETRY, delay)
        error: errors.CortexkitError
        if verdict is Verdict.UNKNOWN:
            error = self.outcome_unknown(state, type(exc).__name__)
        else:
            cls = errors.APITimeoutError if _http.is_timeout(exc) else errors.APIConnectionError
            error = cls(f"{spec.method} {spec.path}: {type(exc).__name__}")
        error.__cause__ = exc
        return Outcome(Next.RAISE, error=error)

    def on_response(self, state: CallState, response: _http.Response) -> Outcome:
        """An answer arrived (its body read): return it, retry after a delay, or the error to raise."""
        self.observed(response, state)
        if response.status_code < 400:
            return Outcome(Next.RETURN)
        verdict, delay = state.after_status(
            response.status_code, self.clock(), response.headers.get("retry-after")
        )
        if verdict is Verdict.RETRY:
            self.stats.retries += 1
            return Outcome(Next.RETRY, delay)
        error: errors.CortexkitError = self.error(response, state)
        if verdict is Verdict.UNKNOWN:
            unknown = self.outcome_unknown(state, f"status {response.status_code}")
            unknown.__cause__ = error
            error = unknown
        return Outcome(Next.RAISE, error=error)

    def outcome_unknown(self, state: CallState, why: str) -> errors.OutcomeUnknownError:
        return errors.OutcomeUnknownError(
            f"{state.spec.method} {state.spec.path} may or may not have taken effect ({why}); look the "
            f"item up (request id {state.request_id}) before sending it again"
        )

    def observed(self, response: _http.Response, state: CallState) -> None:
        self.last_date = response.headers.get("date") or self.last_date
        if self.limiter is not None:
            self.limiter.on_status(response.status_code, self.clock())
        if response.status_code == 429:
            self.stats.throttled += 1
        if log.isEnabledFor(logging.DEBUG):
            from cortexkit._redact import redact_body, redact_json

            body = jsonlib.dumps(redact_json(state.spec.json)) if state.spec.json is not None else ""
            log.debug(
                "%s %s -> %d in %.3fs (attempt %d, %s) request=%s response=%s",
                state.spec.method,
                state.spec.path,
                response.status_code,
                self.clock() - state.sent,
                state.attempt,
                state.request_id,
                body[:1000],
                redact_body(response.content)[:1000],
            )

    def repr(self, cls: str) -> str:
        c = self.credentials
        return f"{cls}(api_url={self.api_url!r}, api_key_id={c.api_key_id}, api_key_type={c.api_key_type!r})"


def _resolve(  # noqa: PLR0917 - private, one call site per client
    credentials: CortexCredentials | None,
    profile: str | None,
    api_url: str | None,
    api_key_id: int | str | None,
    api_key: str | Secret | None,
    api_key_type: str | None,
    verify: bool | str | None,
) -> CortexCredentials:
    if credentials is not None:
        return credentials
    return load_cortex_credentials(
        profile,
        api_url=api_url,
        api_key_id=api_key_id,
        api_key=api_key,
        api_key_type=api_key_type,
        verify=verify,
    )


def _pager(
    target: Pager | str, request_data: Mapping[str, Any] | None, style: Style | None, page_size: int | None
) -> Pager:
    if not isinstance(target, str):
        return target
    if style is None:
        from cortexkit.cortex.paging import pager_for

        return pager_for(target, {"request_data": dict(request_data or {})}, page_size)
    return CortexPager(target, dict(request_data or {}), style=style, page_size=page_size)


class LinkRefusedError(errors.CortexkitError):
    """A signed template link answered 4xx: expired (`ExpiredToken`) or not signed right; `expired` says
    which, so the caller asks `edit_instance` for fresh links instead of failing."""

    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.expired = "expired" in text.lower()
        reason = "it has expired" if self.expired else f"HTTP {status}"
        super().__init__(f"the template link was refused: {reason}")


class CortexClient:
    """Synchronous Cortex Cloud client; thread-safe (one pool, one tenant-wide limiter)."""

    def __init__(
        self,
        credentials: CortexCredentials | None = None,
        *,
        api_url: str | None = None,
        api_key_id: int | str | None = None,
        api_key: str | Secret | None = None,
        api_key_type: str | None = None,
        profile: str | None = None,
        verify: bool | str | None = None,
        timeout: float = 30.0,
        proxy: str | None = None,
        transport: _http.SyncTransport | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        rate_limit: bool | float | TenantLimiter = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        creds = _resolve(credentials, profile, api_url, api_key_id, api_key, api_key_type, verify)
        self._core = _Core(
            creds,
            timeout=timeout,
            proxy=proxy,
            retry=retry,
            rate_limit=rate_limit,
            clock=clock,
            wall_clock=wall_clock,
        )
        self._sleep = sleep
        self._http = _http.build_sync(self._core.settings, transport)
        self._resources: CortexResources | None = None

    @property
    def api_url(self) -> str:
        return self._core.api_url

    @property
    def credentials(self) -> CortexCredentials:
        return self._core.credentials

    @property
    def stats(self) -> CortexStats:
        return self._core.stats

    @property
    def last_server_date(self) -> str | None:
        """The `Date` header of the last answer (the CLI compares it with the local clock)."""
        return self._core.last_date

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a call and decode its body (the whole body: `{"reply": ...}` is not unwrapped here)."""
        return self.send(RequestSpec(method.upper(), path, params, json, headers, idempotent))

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> _http.Response:
        return self.send_raw(RequestSpec(method.upper(), path, params, json, headers, idempotent))

    def send(self, spec: RequestSpec) -> Any:
        return decode(self.send_raw(spec), spec)

    def send_page(self, spec: RequestSpec) -> Page:
        response = self.send_raw(spec)
        return Page(decode(response, spec), _http.lower_headers(response))

    def paginate(
        self,
        target: Pager | str,
        request_data: Mapping[str, Any] | None = None,
        *,
        style: Style | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[Any]:
        """Rows across pages, lazily: a pager, or a path plus the `request_data` to page through."""
        return iterate(self.send_page, _pager(target, request_data, style, page_size), max_items=max_items)

    def download(self, url: str, *, max_bytes: int = 64 << 20, attempts: int = 3) -> bytes:
        """The body of a signed template link (S3-style, outside the API; no API key is sent with it).
        Transient failures are retried; a refused or expired link raises `LinkRefusedError`."""
        problem = "no answer"
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request("GET", url, headers={"Accept": "*/*"})
            except _http.TransportError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 400:
                    if len(response.content) > max_bytes:
                        raise errors.UnexpectedResponseError(f"a template package is over {max_bytes} bytes")
                    return response.content
                if response.status_code not in (429, 500, 502, 503, 504):
                    raise LinkRefusedError(response.status_code, response.text[:300])
                problem = f"HTTP {response.status_code}"
            if attempt < attempts:
                self._sleep(min(2.0**attempt, 10.0))
        raise errors.APIConnectionError(f"the template link could not be fetched ({problem})")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return self._core.repr(type(self).__name__)

    def _res(self) -> CortexResources:
        if self._resources is None:
            from cortexkit.cortex.resources import CortexResources

            self._resources = CortexResources(self)
        return self._resources

    @property
    def cloud_onboarding(self) -> CloudOnboarding:
        return self._res().cloud_onboarding

    @property
    def issues(self) -> Issues:
        return self._res().issues

    @property
    def assets(self) -> Assets:
        return self._res().assets

    @property
    def compliance(self) -> Compliance:
        return self._res().compliance

    @property
    def audit_logs(self) -> AuditLogs:
        return self._res().audit_logs

    @property
    def system(self) -> System:
        return self._res().system

    def send_raw(self, spec: RequestSpec) -> _http.Response:
        core = self._core
        state = core.call(spec)
        while True:
            wait = core.begin(state)
            if wait > 0:
                self._sleep(wait)
            url, headers, content = core.prepare(state)
            response = None
            try:
                response = self._http.request(
                    spec.method, url, params=spec.params, content=content, headers=headers
                )
            except _http.TransportError as exc:
                outcome = core.on_transport_error(state, exc)
            else:
                outcome = core.on_response(state, response)
            if outcome.next is Next.RETURN and response is not None:
                return response
            if response is not None:
                response.close()
            if outcome.next is Next.RETRY:
                self._sleep(outcome.delay)
                continue
            assert outcome.error is not None
            raise outcome.error


class AsyncCortexClient:
    """The asyncio twin of `CortexClient` (same arguments, `await` on every call)."""

    def __init__(
        self,
        credentials: CortexCredentials | None = None,
        *,
        api_url: str | None = None,
        api_key_id: int | str | None = None,
        api_key: str | Secret | None = None,
        api_key_type: str | None = None,
        profile: str | None = None,
        verify: bool | str | None = None,
        timeout: float = 30.0,
        proxy: str | None = None,
        transport: _http.AsyncTransport | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        rate_limit: bool | float | TenantLimiter = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        creds = _resolve(credentials, profile, api_url, api_key_id, api_key, api_key_type, verify)
        self._core = _Core(
            creds,
            timeout=timeout,
            proxy=proxy,
            retry=retry,
            rate_limit=rate_limit,
            clock=clock,
            wall_clock=wall_clock,
        )
        self._http = _http.build_async(self._core.settings, transport)
        self._resources: AsyncCortexResources | None = None

    @property
    def api_url(self) -> str:
        return self._core.api_url

    @property
    def credentials(self) -> CortexCredentials:
        return self._core.credentials

    @property
    def stats(self) -> CortexStats:
        return self._core.stats

    @property
    def last_server_date(self) -> str | None:
        return self._core.last_date

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        return await self.send(RequestSpec(method.upper(), path, params, json, headers, idempotent))

    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> _http.Response:
        return await self.send_raw(RequestSpec(method.upper(), path, params, json, headers, idempotent))

    async def send(self, spec: RequestSpec) -> Any:
        return decode(await self.send_raw(spec), spec)

    async def send_page(self, spec: RequestSpec) -> Page:
        response = await self.send_raw(spec)
        return Page(decode(response, spec), _http.lower_headers(response))

    def paginate(
        self,
        target: Pager | str,
        request_data: Mapping[str, Any] | None = None,
        *,
        style: Style | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[Any]:
        return aiterate(self.send_page, _pager(target, request_data, style, page_size), max_items=max_items)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return self._core.repr(type(self).__name__)

    def _res(self) -> AsyncCortexResources:
        if self._resources is None:
            from cortexkit.cortex.resources import AsyncCortexResources

            self._resources = AsyncCortexResources(self)
        return self._resources

    @property
    def cloud_onboarding(self) -> AsyncCloudOnboarding:
        return self._res().cloud_onboarding

    @property
    def issues(self) -> AsyncIssues:
        return self._res().issues

    @property
    def assets(self) -> AsyncAssets:
        return self._res().assets

    @property
    def compliance(self) -> AsyncCompliance:
        return self._res().compliance

    @property
    def audit_logs(self) -> AsyncAuditLogs:
        return self._res().audit_logs

    @property
    def system(self) -> AsyncSystem:
        return self._res().system

    async def send_raw(self, spec: RequestSpec) -> _http.Response:
        core = self._core
        state = core.call(spec)
        while True:
            wait = core.begin(state)
            if wait > 0:
                await asyncio.sleep(wait)
            url, headers, content = core.prepare(state)
            response = None
            try:
                response = await self._http.request(
                    spec.method, url, params=spec.params, content=content, headers=headers
                )
            except _http.TransportError as exc:
                outcome = core.on_transport_error(state, exc)
            else:
                outcome = core.on_response(state, response)
            if outcome.next is Next.RETURN and response is not None:
                return response
            if response is not None:
                await response.aclose()
            if outcome.next is Next.RETRY:
                await asyncio.sleep(outcome.delay)
                continue
            assert outcome.error is not None
            raise outcome.error
