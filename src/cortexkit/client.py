"""`Client` and `AsyncClient`: thin drivers that run the pure policies over httpx.

One request loop per client: rate-limit reservation -> session token -> send -> classify ->
retry / refresh and replay / raise. The decisions live in `auth.SessionPolicy`, `retry.RetryPolicy` and
`ratelimit.RateLimiter`; this module only holds the locks, sleeps and does I/O, so the sync and async
clients cannot drift apart in behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from cortexkit import _http, errors
from cortexkit.auth import Decision, RefreshFailedError, SessionPolicy, Step, Token
from cortexkit.pagination import Page, Pager, RequestSpec, aiterate, iterate
from cortexkit.ratelimit import RateLimiter, shared_limiter
from cortexkit.retry import Failure, RetryConfig, RetryPolicy, Verdict, is_idempotent

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit._redact import Secret
    from cortexkit.credentials import Credentials
    from cortexkit.resources import AsyncResources, SyncResources
    from cortexkit.resources.account_groups import AccountGroups, AsyncAccountGroups
    from cortexkit.resources.alerts import Alerts, AsyncAlerts
    from cortexkit.resources.azure import AsyncAzure, Azure
    from cortexkit.resources.cloud_accounts import AsyncCloudAccounts, CloudAccounts
    from cortexkit.resources.compute import AsyncCompute, Compute
    from cortexkit.resources.policies import AsyncCompliance, AsyncPolicies, Compliance, Policies
    from cortexkit.resources.search import AsyncAuditLogs, AsyncSearch, AuditLogs, Search

log = logging.getLogger("cortexkit")

AUTH_HEADER = "x-redlock-auth"
Refresher = Literal["lazy", "background"]


@dataclass
class ClientStats:
    """Counters for tests, benchmarks and the CLI's `--debug` summary."""

    requests: int = 0
    logins: int = 0
    extends: int = 0
    retries: int = 0
    throttled: int = 0  # 429 responses seen
    replays_401: int = 0
    refresh_failures: int = 0
    rate_limit_wait: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _reveal(secret: Secret | str) -> str:
    """The clear text, taken out of its wrapper only to build the login body."""
    return secret if isinstance(secret, str) else secret.get_secret_value()


def _resolve_credentials(
    credentials: Credentials | None,
    profile: str | None,
    api_url: str | None,
    access_key_id: str | None,
    secret_key: str | Secret | None,
) -> Credentials:
    if credentials is not None:
        return credentials
    from cortexkit.credentials import load_credentials

    return load_credentials(
        profile, api_url=api_url, access_key_id=access_key_id, secret_key=secret_key, interactive=False
    )


def _cut(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def decode(response: _http.Response, method: str, path: str) -> Any:
    """JSON, text for non-JSON bodies, None for an empty body; HTML or broken JSON is an error."""
    content = response.content
    if not content.strip():
        return None
    ctype = response.headers.get("content-type", "").lower()
    looks_json = "json" in ctype or (not ctype and content.lstrip()[:1] in (b"{", b"["))
    if looks_json:
        try:
            return jsonlib.loads(content)
        except ValueError as exc:
            raise _unexpected(response, method, path, "malformed JSON") from exc
    if "html" in ctype or content.lstrip()[:1] == b"<":
        raise _unexpected(response, method, path, "an HTML page instead of an API response")
    return response.text


def _unexpected(response: _http.Response, method: str, path: str, what: str) -> errors.CortexkitError:
    return errors.UnexpectedResponseError(f"{method} {path} returned {what} (status {response.status_code})")


class _Core:
    """What both clients share: settings, the policy objects, request building, error mapping, logging.
    No I/O and no locking here; the clients add those."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        verify: bool | str,
        timeout: float,
        proxy: str | None,
        retry: RetryConfig | RetryPolicy | None,
        rate_limit: bool | RateLimiter,
        refresher: Refresher,
        clock: Callable[[], float],
    ) -> None:
        if refresher not in ("lazy", "background"):
            raise errors.ConfigurationError("refresher must be 'lazy' or 'background'")
        self.credentials = credentials
        self.api_url = str(credentials.api_url).rstrip("/")
        self.settings = _http.HttpSettings(
            base_url=self.api_url,
            verify=verify if verify is not True else credentials.verify,
            timeout=timeout,
            proxy=proxy,
        )
        self.retry = retry if isinstance(retry, RetryPolicy) else RetryPolicy(retry)
        if isinstance(rate_limit, RateLimiter):
            self.limiter: RateLimiter | None = rate_limit
        elif rate_limit:
            self.limiter = shared_limiter(self.api_url, str(credentials.access_key_id))
        else:
            self.limiter = None
        self.session = SessionPolicy()
        self.refresher = refresher
        self.clock = clock
        self.stats = ClientStats()

    def build(self, spec: RequestSpec, token: Token | None) -> tuple[str, dict[str, str]]:
        url = spec.path if spec.base_url is None else spec.base_url.rstrip("/") + spec.path
        headers = dict(spec.headers or {})
        if token is not None:
            headers[AUTH_HEADER] = token.value
        if spec.json is not None:
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return url, headers

    def login_spec(self) -> RequestSpec:
        body = {
            "username": str(self.credentials.access_key_id),
            "password": _reveal(self.credentials.secret_key),
        }
        return RequestSpec("POST", "/login", json=body, idempotent=True, auth=False)

    @staticmethod
    def extend_spec(token: Token) -> RequestSpec:
        return RequestSpec(
            "GET", "/auth_token/extend", headers={AUTH_HEADER: token.value}, idempotent=True, auth=False
        )

    @staticmethod
    def token_from(body: Any, what: str) -> str:
        if isinstance(body, dict) and isinstance(body.get("token"), str) and body["token"]:
            return str(body["token"])
        raise errors.UnexpectedResponseError(f"{what} response carried no token")

    def error(self, response: _http.Response, spec: RequestSpec) -> errors.APIError:
        return errors.error_from_response(
            response.status_code, _http.lower_headers(response), response.content, spec.method, spec.path
        )

    def transport_error(self, exc: _http.TransportError, spec: RequestSpec) -> errors.CortexkitError:
        cls = errors.APITimeoutError if _http.is_timeout(exc) else errors.APIConnectionError
        return cls(f"{spec.method} {spec.path}: {type(exc).__name__}")

    def outcome_unknown(self, spec: RequestSpec, why: str) -> errors.CortexkitError:
        return errors.OutcomeUnknownError(
            f"{spec.method} {spec.path} may or may not have taken effect ({why}); "
            "check the current state before sending it again"
        )

    def log_exchange(self, spec: RequestSpec, response: _http.Response, started: float, attempt: int) -> None:
        """One DEBUG line per attempt, with params and bodies passed through `_redact` (passwords, client
        secrets, tokens and anything JWT-shaped masked) and cut short; the auth header is never logged."""
        if not log.isEnabledFor(logging.DEBUG):
            return
        from cortexkit._redact import redact_body, redact_json

        params = f" params={jsonlib.dumps(redact_json(dict(spec.params)))}" if spec.params else ""
        sent = jsonlib.dumps(redact_json(spec.json)) if spec.json is not None else ""
        log.debug(
            "%s %s%s -> %d in %.3fs (attempt %d, request id %s) request=%s response=%s",
            spec.method,
            spec.path,
            params,
            response.status_code,
            self.clock() - started,
            attempt,
            response.headers.get("x-redlock-request-id", "-"),
            _cut(sent),
            _cut(redact_body(response.content)),
        )

    def repr(self, cls: str) -> str:
        return f"{cls}(api_url={self.api_url!r}, access_key_id={str(self.credentials.access_key_id)!r})"

    def retry_or_raise(
        self,
        spec: RequestSpec,
        *,
        attempt: int,
        started: float,
        status: int | None = None,
        failure: Failure | None = None,
        retry_after: str | None = None,
    ) -> tuple[Verdict, float]:
        idempotent = spec.idempotent if spec.idempotent is not None else is_idempotent(spec.method, spec.path)
        d = self.retry.decide(
            attempt=attempt,
            started=started,
            now=self.clock(),
            idempotent=idempotent,
            status=status,
            failure=failure,
            retry_after=retry_after,
        )
        if d.verdict is Verdict.RETRY:
            self.stats.retries += 1
            log.debug("retrying %s %s in %.2fs (%s)", spec.method, spec.path, d.delay, d.reason)
        return d.verdict, d.delay


class Client:
    """Synchronous client; thread-safe (share one across threads: one pool, one session, one limiter)."""

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        api_url: str | None = None,
        access_key_id: str | None = None,
        secret_key: str | Secret | None = None,
        profile: str | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        proxy: str | None = None,
        transport: _http.SyncTransport | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        rate_limit: bool | RateLimiter = True,
        refresher: Refresher = "lazy",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        creds = _resolve_credentials(credentials, profile, api_url, access_key_id, secret_key)
        self._core = _Core(
            creds,
            verify=verify,
            timeout=timeout,
            proxy=proxy,
            retry=retry,
            rate_limit=rate_limit,
            refresher=refresher,
            clock=clock,
        )
        self._sleep = sleep
        self._http = _http.build_sync(self._core.settings, transport)
        self._cond = threading.Condition(threading.Lock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._resources: SyncResources | None = None
        if refresher == "background":
            self._thread = threading.Thread(
                target=self._refresh_loop, name="cortexkit-refresher", daemon=True
            )
            self._thread.start()

    # -- public ----------------------------------------------------------------------------------------
    @property
    def stats(self) -> ClientStats:
        s = self._core.stats
        s.logins, s.extends = self._core.session.logins, self._core.session.extends
        s.refresh_failures = self._core.session.failed_refreshes
        return s

    @property
    def api_url(self) -> str:
        return self._core.api_url

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
        """Send a call and decode its body (JSON, text, or None when empty)."""
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
        """Send a call and return the httpx response (already checked: errors raise)."""
        return self.send_raw(RequestSpec(method.upper(), path, params, json, headers, idempotent))

    def send(self, spec: RequestSpec) -> Any:
        return decode(self.send_raw(spec), spec.method, spec.path)

    def send_page(self, spec: RequestSpec) -> Page:
        response = self.send_raw(spec)
        return Page(decode(response, spec.method, spec.path), _http.lower_headers(response))

    def paginate(self, pager: Pager, *, max_items: int | None = None) -> Iterator[Any]:
        """Items across pages, lazily (one page in memory)."""
        return iterate(self.send_page, pager, max_items=max_items)

    def refresh_session(self) -> Token:
        """A usable session token, logging in or extending first when one is due (single-flight)."""
        return self._token()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return self._core.repr(type(self).__name__)

    def _res(self) -> SyncResources:
        # Built on first use so that a bare `Client` does not import the pydantic models.
        if self._resources is None:
            from cortexkit.resources import SyncResources

            self._resources = SyncResources(self)
        return self._resources

    @property
    def cloud_accounts(self) -> CloudAccounts:
        return self._res().cloud_accounts

    @property
    def account_groups(self) -> AccountGroups:
        return self._res().account_groups

    @property
    def alerts(self) -> Alerts:
        return self._res().alerts

    @property
    def policies(self) -> Policies:
        return self._res().policies

    @property
    def compliance(self) -> Compliance:
        return self._res().compliance

    @property
    def search(self) -> Search:
        return self._res().search

    @property
    def audit_logs(self) -> AuditLogs:
        return self._res().audit_logs

    @property
    def compute(self) -> Compute:
        return self._res().compute

    @property
    def azure(self) -> Azure:
        return self._res().azure

    # -- the request loop ------------------------------------------------------------------------------
    def send_raw(self, spec: RequestSpec) -> _http.Response:
        core = self._core
        started = core.clock()
        attempt = 0
        replayed = False
        while True:
            attempt += 1
            if core.limiter is not None:
                wait = core.limiter.reserve(spec.method, spec.path, core.clock())
                if wait > 0:
                    core.stats.rate_limit_wait += wait
                    self._sleep(wait)
            token = self._token() if spec.auth else None
            url, headers = core.build(spec, token)
            core.stats.requests += 1
            handed_out = core.clock()
            try:
                response = self._http.request(
                    spec.method, url, params=spec.params, json=spec.json, headers=headers
                )
            except _http.TransportError as exc:
                failure = _http.classify(exc)
                verdict, delay = core.retry_or_raise(spec, attempt=attempt, started=started, failure=failure)
                if verdict is Verdict.RETRY:
                    self._sleep(delay)
                    continue
                if verdict is Verdict.UNKNOWN:
                    raise core.outcome_unknown(spec, type(exc).__name__) from exc
                raise core.transport_error(exc, spec) from exc
            status = response.status_code
            core.session.observe_latency(core.clock() - handed_out)
            core.log_exchange(spec, response, started, attempt)
            if core.limiter is not None:
                core.limiter.on_response(
                    spec.method, spec.path, status, _http.lower_headers(response), core.clock()
                )
            if status == 401 and spec.auth and not replayed:
                # The call was refused before doing anything: refresh once (single-flight) and replay once.
                replayed = True
                core.stats.replays_401 += 1
                response.close()
                with self._cond:
                    core.session.unauthorized(token)
                attempt -= 1
                continue
            if status < 400:
                return response
            if status == 429:
                core.stats.throttled += 1
            verdict, delay = core.retry_or_raise(
                spec,
                attempt=attempt,
                started=started,
                status=status,
                retry_after=response.headers.get("retry-after"),
            )
            if verdict is Verdict.RETRY:
                response.close()
                self._sleep(delay)
                continue
            error = core.error(response, spec)
            if verdict is Verdict.UNKNOWN:
                raise core.outcome_unknown(spec, f"status {status}") from error
            raise error

    # -- session ---------------------------------------------------------------------------------------
    def _token(self) -> Token:
        session = self._core.session
        waited: int | None = None
        with self._cond:
            while True:
                try:
                    decision = session.decide(self._core.clock(), waited_generation=waited)
                except RefreshFailedError as exc:
                    raise (exc.__cause__ or exc) from None
                if decision.step is Step.USE:
                    assert decision.token is not None
                    return decision.token
                if decision.step is Step.WAIT:
                    waited = session.generation
                    self._cond.wait(timeout=1.0)
                    continue
                break
        return self._refresh(decision)

    def _refresh(self, decision: Decision) -> Token:
        core, session = self._core, self._core.session
        step = decision.step
        try:
            while True:
                sent = core.clock()
                try:
                    if step is Step.EXTEND:
                        assert decision.token is not None
                        value = core.token_from(self.send(core.extend_spec(decision.token)), "extend")
                    else:
                        value = core.token_from(self.send(core.login_spec()), "login")
                except errors.AuthenticationError:
                    if step is Step.EXTEND:
                        log.debug("session extend refused; logging in again")
                        with self._cond:
                            step = session.extend_refused().step
                        continue
                    raise
                with self._cond:
                    token = (
                        session.extended(value, sent)
                        if step is Step.EXTEND
                        else session.logged_in(value, sent)
                    )
                    self._cond.notify_all()
                return token
        except BaseException as exc:
            with self._cond:
                kept = session.refresh_failed(exc, core.clock(), proactive=decision.proactive)
                self._cond.notify_all()
            if kept is not None and isinstance(exc, Exception):
                log.warning(
                    "proactive session refresh failed (%s); keeping the current token", type(exc).__name__
                )
                return kept
            raise

    def _refresh_loop(self) -> None:
        """Refresh ahead of time so an idle 24/7 program never meets an expired token. Waits while a
        request thread is refreshing (no busy loop) and backs off up to a minute when refreshing fails."""
        failures = 0
        while not self._stop.is_set():
            with self._cond:
                session = self._core.session
                if session.refreshing:
                    self._cond.wait(timeout=1.0)
                    continue
                due = session.due_in(self._core.clock()) if session.token else 0.0
            if due > 0:
                if self._stop.wait(due):
                    return
                continue
            try:
                self._token()
                failures = 0
            except Exception as exc:  # keep the thread alive; the request path refreshes on its own
                failures += 1
                log.warning("background session refresh failed: %s", type(exc).__name__)
                if self._stop.wait(min(60.0, 2.0**failures)):
                    return


class AsyncClient:
    """Asynchronous client; safe to share across tasks of one event loop."""

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        api_url: str | None = None,
        access_key_id: str | None = None,
        secret_key: str | Secret | None = None,
        profile: str | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        proxy: str | None = None,
        transport: _http.AsyncTransport | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        rate_limit: bool | RateLimiter = True,
        refresher: Refresher = "lazy",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        creds = _resolve_credentials(credentials, profile, api_url, access_key_id, secret_key)
        self._core = _Core(
            creds,
            verify=verify,
            timeout=timeout,
            proxy=proxy,
            retry=retry,
            rate_limit=rate_limit,
            refresher=refresher,
            clock=clock,
        )
        self._sleep = sleep
        self._http = _http.build_async(self._core.settings, transport)
        self._cond: asyncio.Condition | None = None  # created on first use, inside the running loop
        self._task: asyncio.Task[None] | None = None
        self._resources: AsyncResources | None = None

    @property
    def stats(self) -> ClientStats:
        s = self._core.stats
        s.logins, s.extends = self._core.session.logins, self._core.session.extends
        s.refresh_failures = self._core.session.failed_refreshes
        return s

    @property
    def api_url(self) -> str:
        return self._core.api_url

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        if self._core.refresher == "background" and self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._refresh_loop(), name="cortexkit-refresher"
            )
        return self._cond

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
        return decode(await self.send_raw(spec), spec.method, spec.path)

    async def send_page(self, spec: RequestSpec) -> Page:
        response = await self.send_raw(spec)
        return Page(decode(response, spec.method, spec.path), _http.lower_headers(response))

    def paginate(self, pager: Pager, *, max_items: int | None = None) -> AsyncIterator[Any]:
        return aiterate(self.send_page, pager, max_items=max_items)

    async def refresh_session(self) -> Token:
        """A usable session token, logging in or extending first when one is due (single-flight)."""
        return await self._token()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task  # its own failures were logged; cancellation is what we asked for
            self._task = None
        await self._http.aclose()

    close = aclose

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return self._core.repr(type(self).__name__)

    def _res(self) -> AsyncResources:
        if self._resources is None:
            from cortexkit.resources import AsyncResources

            self._resources = AsyncResources(self)
        return self._resources

    @property
    def cloud_accounts(self) -> AsyncCloudAccounts:
        return self._res().cloud_accounts

    @property
    def account_groups(self) -> AsyncAccountGroups:
        return self._res().account_groups

    @property
    def alerts(self) -> AsyncAlerts:
        return self._res().alerts

    @property
    def policies(self) -> AsyncPolicies:
        return self._res().policies

    @property
    def compliance(self) -> AsyncCompliance:
        return self._res().compliance

    @property
    def search(self) -> AsyncSearch:
        return self._res().search

    @property
    def audit_logs(self) -> AsyncAuditLogs:
        return self._res().audit_logs

    @property
    def compute(self) -> AsyncCompute:
        return self._res().compute

    @property
    def azure(self) -> AsyncAzure:
        return self._res().azure

    async def send_raw(self, spec: RequestSpec) -> _http.Response:
        core = self._core
        started = core.clock()
        attempt = 0
        replayed = False
        while True:
            attempt += 1
            if core.limiter is not None:
                wait = core.limiter.reserve(spec.method, spec.path, core.clock())
                if wait > 0:
                    core.stats.rate_limit_wait += wait
                    await self._sleep(wait)
            token = await self._token() if spec.auth else None
            url, headers = core.build(spec, token)
            core.stats.requests += 1
            handed_out = core.clock()
            try:
                response = await self._http.request(
                    spec.method, url, params=spec.params, json=spec.json, headers=headers
                )
            except _http.TransportError as exc:
                failure = _http.classify(exc)
                verdict, delay = core.retry_or_raise(spec, attempt=attempt, started=started, failure=failure)
                if verdict is Verdict.RETRY:
                    await self._sleep(delay)
                    continue
                if verdict is Verdict.UNKNOWN:
                    raise core.outcome_unknown(spec, type(exc).__name__) from exc
                raise core.transport_error(exc, spec) from exc
            status = response.status_code
            core.session.observe_latency(core.clock() - handed_out)
            core.log_exchange(spec, response, started, attempt)
            if core.limiter is not None:
                core.limiter.on_response(
                    spec.method, spec.path, status, _http.lower_headers(response), core.clock()
                )
            if status == 401 and spec.auth and not replayed:
                replayed = True
                core.stats.replays_401 += 1
                await response.aclose()
                core.session.unauthorized(token)  # no await after the check: atomic on the event loop
                attempt -= 1
                continue
            if status < 400:
                return response
            if status == 429:
                core.stats.throttled += 1
            verdict, delay = core.retry_or_raise(
                spec,
                attempt=attempt,
                started=started,
                status=status,
                retry_after=response.headers.get("retry-after"),
            )
            if verdict is Verdict.RETRY:
                await response.aclose()
                await self._sleep(delay)
                continue
            error = core.error(response, spec)
            if verdict is Verdict.UNKNOWN:
                raise core.outcome_unknown(spec, f"status {status}") from error
            raise error

    async def _token(self) -> Token:
        session = self._core.session
        cond = self._condition()
        waited: int | None = None
        async with cond:
            while True:
                try:
                    decision = session.decide(self._core.clock(), waited_generation=waited)
                except RefreshFailedError as exc:
                    raise (exc.__cause__ or exc) from None
                if decision.step is Step.USE:
                    assert decision.token is not None
                    return decision.token
                if decision.step is Step.WAIT:
                    waited = session.generation
                    await cond.wait()
                    continue
                break
        return await self._refresh(decision)

    async def _refresh(self, decision: Decision) -> Token:
        core, session = self._core, self._core.session
        cond = self._condition()
        step = decision.step
        try:
            while True:
                sent = core.clock()
                try:
                    if step is Step.EXTEND:
                        assert decision.token is not None
                        value = core.token_from(await self.send(core.extend_spec(decision.token)), "extend")
                    else:
                        value = core.token_from(await self.send(core.login_spec()), "login")
                except errors.AuthenticationError:
                    if step is Step.EXTEND:
                        step = session.extend_refused().step
                        continue
                    raise
                async with cond:
                    token = (
                        session.extended(value, sent)
                        if step is Step.EXTEND
                        else session.logged_in(value, sent)
                    )
                    cond.notify_all()
                return token
        except BaseException as exc:
            kept = session.refresh_failed(exc, core.clock(), proactive=decision.proactive)
            if not isinstance(exc, asyncio.CancelledError):
                async with cond:
                    cond.notify_all()
            else:
                self._wake_later(cond)
            if kept is not None and isinstance(exc, Exception):
                log.warning(
                    "proactive session refresh failed (%s); keeping the current token", type(exc).__name__
                )
                return kept
            raise

    @staticmethod
    def _wake_later(cond: asyncio.Condition) -> None:
        async def wake() -> None:
            async with cond:
                cond.notify_all()

        asyncio.get_running_loop().create_task(wake())

    async def _refresh_loop(self) -> None:
        """The async twin of `Client._refresh_loop`, run as a task of the client's event loop."""
        failures = 0
        cond = self._condition()
        while True:
            session = self._core.session
            if session.refreshing:
                async with cond:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(cond.wait(), timeout=1.0)
                continue
            due = session.due_in(self._core.clock()) if session.token else 0.0
            if due > 0:
                await asyncio.sleep(due)
                continue
            try:
                await self._token()
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("background session refresh failed: %s", type(exc).__name__)
                await asyncio.sleep(min(60.0, 2.0**failures))
