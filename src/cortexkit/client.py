"""`Client` and `AsyncClient`: thin drivers that run the pure policies over httpx.

Each call is one `request_loop.RequestLoop` (rate-limit reservation -> session token -> send -> classify
-> retry / refresh and replay / raise); the decisions live there and in `auth.SessionPolicy`,
`retry.RetryPolicy` and `ratelimit.RateLimiter`. This module only holds the locks, sleeps and does I/O,
so the sync and async clients cannot drift apart in behaviour.

Seams other parts use: `ClientCore.limiter` is built by `ratelimit.shared_limiter` (one per API URL and
access key; replace it by passing `rate_limit=<RateLimiter>`); a session refresh goes through
`_refresh()`, which sends `ClientCore.login_spec()` / `extend_spec()` and installs the token with
`SessionPolicy.logged_in()` / `extended()` under the client's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from cortexkit import _http, errors
from cortexkit.auth import Decision, Step, Token
from cortexkit.pagination import (
    CLIENT_DEFAULT,
    Page,
    Pager,
    RequestSpec,
    ResultPage,
    aiter_pages,
    aiterate,
    iter_pages,
    iterate,
)
from cortexkit.ratelimit import RateLimiter, after_fork_in_child
from cortexkit.request_loop import AUTH_HEADER, ClientCore, ClientStats, Next, RequestLoop, decode
from cortexkit.retry import RetryConfig, RetryPolicy

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
    from cortexkit.session_cache import TokenCache

__all__ = ["AUTH_HEADER", "AsyncClient", "Client", "ClientStats", "decode"]

log = logging.getLogger("cortexkit")

Refresher = Literal["lazy", "background"]

_HOW_TO_PASS = (
    "pass credentials as Client(api_url='eu', access_key_id='...', secret_key='...'), as "
    "Client(credentials=load_credentials(...)), with profile='name', or set PRISMA_API_URL, "
    "PRISMA_ACCESS_KEY_ID and PRISMA_SECRET_KEY"
)


def _resolve_credentials(
    credentials: object,
    profile: str | None,
    api_url: str | None,
    access_key_id: str | None,
    secret_key: str | Secret | None,
) -> Credentials:
    """The client's credentials; a region or URL as the first argument is an `api_url`.

    Bad arguments raise `ConfigurationError` saying how to pass credentials (not a bare TypeError).
    """
    from cortexkit.credentials import Credentials, load_credentials

    if isinstance(credentials, Credentials):
        return credentials
    if isinstance(credentials, str):
        if api_url is not None:
            raise errors.ConfigurationError(f"the API URL was given twice ({credentials!r} and api_url=)")
        api_url = credentials
    elif credentials is not None:
        raise errors.ConfigurationError(
            f"the first argument must be Credentials or a region/API URL, not {type(credentials).__name__}; "
            + _HOW_TO_PASS
        )
    for name, value in (("api_url", api_url), ("access_key_id", access_key_id), ("profile", profile)):
        if value is not None and not isinstance(value, str):
            raise errors.ConfigurationError(f"{name} must be a string, not {type(value).__name__}")
    try:
        return load_credentials(
            profile, api_url=api_url, access_key_id=access_key_id, secret_key=secret_key, interactive=False
        )
    except errors.MissingCredentialsError as exc:
        raise errors.MissingCredentialsError(f"{exc}: {_HOW_TO_PASS}") from None


_FORKABLE: weakref.WeakSet[Client] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    after_fork_in_child()
    for client in list(_FORKABLE):
        client._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _sync_refresh_loop(ref: weakref.ReferenceType[Client], stop: threading.Event) -> None:
    """The background refresher. Holds the client weakly, so a client dropped without `close()` is
    collected (its finalizer sets `stop`); sleeps on `stop`, so `close()` wakes it at once."""
    failures = 0
    while not stop.is_set():
        client = ref()
        if client is None:
            return
        delay, failures = client._background_step(failures)
        del client
        if delay is None or stop.wait(delay):
            return


def _call_options(timeout: Any, max_retries: int | None) -> dict[str, Any]:
    if max_retries is not None and (not isinstance(max_retries, int) or max_retries < 0):
        raise errors.ConfigurationError("max_retries must be a whole number >= 0")
    return {"timeout": timeout, "max_retries": max_retries}


class Client:
    """Synchronous client; thread-safe (share one across threads: one pool, one session, one limiter).

    `Client("eu", access_key_id=..., secret_key=...)`, `Client(credentials)`, `Client(profile="prod")` or
    `Client()` (environment, then the default profile). `verify` is True, False, a CA bundle path or an
    `ssl.SSLContext` (None: from the credentials); `timeout` seconds, an `httpx.Timeout` or None;
    `http_client` an `httpx.Client` you built (you close it); `max_retries` the simple spelling of
    `retry=RetryConfig(max_attempts=...)`.
    """

    def __init__(
        self,
        credentials: Credentials | str | None = None,
        *,
        api_url: str | None = None,
        access_key_id: str | None = None,
        secret_key: str | Secret | None = None,
        profile: str | None = None,
        verify: _http.Verify | None = None,
        timeout: _http.TimeoutSetting = 30.0,
        proxy: str | None = None,
        transport: _http.SyncTransport | None = None,
        http_client: _http.SyncHttpClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        rate_limit: bool | RateLimiter = True,
        refresher: Refresher = "lazy",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        governor: bool | None = None,
        governor_url: str | None = None,
        session_cache: bool | TokenCache = False,
    ) -> None:
        creds = _resolve_credentials(credentials, profile, api_url, access_key_id, secret_key)
        if http_client is not None and not isinstance(http_client, _http.SyncHttpClient):
            raise errors.ConfigurationError(
                "http_client must be an httpx.Client (an AsyncClient needs httpx.AsyncClient)"
            )
        self._core = ClientCore(
            creds,
            verify=verify,
            timeout=timeout,
            proxy=proxy,
            retry=retry,
            max_retries=max_retries,
            rate_limit=rate_limit,
            refresher=refresher,
            clock=clock,
            default_headers=dict(default_headers or {}),
            governor=governor,
            governor_url=governor_url,
            session_cache=session_cache,
        )
        self._sleep = sleep
        self._transport = transport
        self._owns_http = http_client is None
        self._http = (
            http_client if http_client is not None else _http.build_sync(self._core.settings, transport)
        )
        self._cond = threading.Condition(threading.Lock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._background_error: BaseException | None = None
        self._resources: SyncResources | None = None
        if refresher == "background":
            self._start_refresher()
        _FORKABLE.add(self)

    # -- public ----------------------------------------------------------------------------------------
    @property
    def stats(self) -> ClientStats:
        """Request, login, extend, retry and rate-limit counters of this client."""
        return self._core.current_stats()

    @property
    def api_url(self) -> str:
        """The CSPM API URL this client talks to."""
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
        timeout: Any = CLIENT_DEFAULT,
        max_retries: int | None = None,
    ) -> Any:
        """Send a call and decode its body (JSON, text, or None when empty)."""
        options = _call_options(timeout, max_retries)
        return self.send(RequestSpec(method.upper(), path, params, json, headers, idempotent, **options))

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: Any = CLIENT_DEFAULT,
        max_retries: int | None = None,
    ) -> _http.Response:
        """Send a call and return the httpx response (already checked: errors raise)."""
        options = _call_options(timeout, max_retries)
        return self.send_raw(RequestSpec(method.upper(), path, params, json, headers, idempotent, **options))

    def send(self, spec: RequestSpec) -> Any:
        """Send a prepared `RequestSpec` and decode the body."""
        return decode(self.send_raw(spec), spec.method, spec.path)

    def send_page(self, spec: RequestSpec) -> Page:
        """Send one page request; the decoded body with the response headers."""
        response = self.send_raw(spec)
        return Page(decode(response, spec.method, spec.path), _http.lower_headers(response))

    def paginate(self, pager: Pager, *, max_items: int | None = None) -> Iterator[Any]:
        """Items across pages, lazily (one page in memory)."""
        return iterate(self.send_page, pager, max_items=max_items)

    def iter_pages(self, pager: Pager) -> Iterator[ResultPage]:
        """Page by page, lazily: each with `items`, `has_next_page`, `next_page_token` and `total`."""
        return iter_pages(self.send_page, pager)

    def refresh_session(self) -> Token:
        """A usable session token, logging in or extending first when one is due (single-flight)."""
        return self._token(None)

    def close(self) -> None:
        """Stop the background refresher (at once: it sleeps on an Event) and close the connection pool
        (an `http_client` you passed in is yours to close). Safe to call twice."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()  # wake a refresher waiting for the first login
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if self._owns_http:
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
        """Cloud accounts: list, names, get, status, delete (`/cloud`)."""
        return self._res().cloud_accounts

    @property
    def account_groups(self) -> AccountGroups:
        """Account groups (`/cloud/group`)."""
        return self._res().account_groups

    @property
    def alerts(self) -> Alerts:
        """Alerts: lazy `iterate` over `POST /v2/alert`, get, count, dismiss, snooze, reopen."""
        return self._res().alerts

    @property
    def policies(self) -> Policies:
        """Policies: list and get (`/v2/policy`)."""
        return self._res().policies

    @property
    def compliance(self) -> Compliance:
        """Compliance posture (`/compliance/posture`)."""
        return self._res().compliance

    @property
    def search(self) -> Search:
        """RQL searches (config, event, network), paged lazily."""
        return self._res().search

    @property
    def audit_logs(self) -> AuditLogs:
        """The audit log (`/audit/api/v1/log`), paged lazily."""
        return self._res().audit_logs

    @property
    def compute(self) -> Compute:
        """Compute (CWP) through the CSPM session, on the console URL from `/meta_info`."""
        return self._res().compute

    @property
    def azure(self) -> Azure:
        """Azure onboarding (v2): features, template, status check, add/update account."""
        return self._res().azure

    # -- the request loop ------------------------------------------------------------------------------
    def send_raw(self, spec: RequestSpec) -> _http.Response:
        """Send a prepared `RequestSpec` through the request loop; the checked httpx response."""
        error, self._background_error = self._background_error, None
        if error is not None:
            raise error  # what stopped the background refresher (bad credentials), surfaced once
        loop = RequestLoop(self._core, spec)
        while True:
            wait = loop.begin()
            if wait > 0:
                try:
                    self._sleep(wait)
                except BaseException:
                    loop.give_back()
                    raise
            token = self._token(loop) if loop.needs_token else None
            url, headers, timeout = loop.prepare(token)
            try:
                response = self._http.request(
                    spec.method, url, params=spec.params, json=spec.json, headers=headers, timeout=timeout
                )
            except _http.TransportError as exc:
                outcome = loop.on_transport_error(exc)
            else:
                outcome = loop.on_response(response)
                if outcome.next is Next.RETURN:
                    return response
                response.close()
            if outcome.next is Next.REPLAY:
                with self._cond:
                    self._core.session.unauthorized(loop.token)
            elif outcome.next is Next.RETRY:
                self._sleep(outcome.delay)
            else:
                assert outcome.error is not None
                raise outcome.error

    # -- session ---------------------------------------------------------------------------------------
    def _token(self, loop: RequestLoop | None) -> Token:
        core, session = self._core, self._core.session
        waited: int | None = None
        with self._cond:
            while True:
                decision = session.decide(core.clock(), waited_generation=waited)
                if decision.step is Step.USE:
                    assert decision.token is not None
                    return decision.token
                if decision.step is Step.FAIL:
                    assert decision.error is not None
                    raise decision.error
                if decision.step is not Step.WAIT:
                    break
                waited = session.generation
                left = loop.remaining() if loop is not None else None
                if left is not None and left <= 0:
                    raise loop.deadline_error("waiting for the session refresh")  # type: ignore[union-attr]
                self._cond.wait(timeout=1.0 if left is None else min(1.0, left))
        return self._refresh(decision, loop.remaining() if loop is not None else None)

    def _refresh(self, decision: Decision, budget: float | None) -> Token:
        """Run the refresh this caller was handed (single-flight); `budget` is the caller's deadline.
        With a shared token cache, under its cross-process lock: a token another process obtained
        meanwhile is adopted instead of logging in again."""
        sharing = self._core.sharing
        if sharing is None:
            return self._refresh_alone(decision, budget)
        fd = None
        try:
            fd = sharing.acquire(budget)
            found = sharing.candidate(decision.token) if fd is not None else None
        except BaseException as exc:  # interrupted while waiting: hand the refresh back
            sharing.release(fd)
            with self._cond:
                self._core.session.refresh_failed(exc)
                self._cond.notify_all()
            raise
        try:
            if found is None:
                return self._refresh_alone(decision, budget)
            with self._cond:
                token = self._core.session.adopted(*found)
                self._cond.notify_all()
            return token
        finally:
            sharing.release(fd)

    def _refresh_alone(self, decision: Decision, budget: float | None) -> Token:
        core, session = self._core, self._core.session
        step = decision.step
        try:
            while True:
                sent = core.clock()
                try:
                    if step is Step.EXTEND:
                        assert decision.token is not None
                        spec = core.extend_spec(decision.token, session.extend_budget(sent))
                        value = core.token_from(self.send(spec), "extend")
                    else:
                        value = core.token_from(self.send(core.login_spec(budget)), "login")
                except errors.AuthenticationError:
                    if step is not Step.EXTEND:
                        raise
                    with self._cond:
                        step = session.extend_refused().step
                    continue
                except Exception as exc:
                    if step is not Step.EXTEND:
                        raise
                    with self._cond:
                        fallback = session.extend_failed(exc, core.clock())
                        if fallback.step is Step.USE:
                            self._cond.notify_all()
                            assert fallback.token is not None
                            return fallback.token
                    step = fallback.step
                    continue
                if core.sharing is not None:
                    core.sharing.remember(value, sent)
                with self._cond:
                    if step is Step.EXTEND:
                        token = session.extended(value, sent)
                    else:
                        token = session.logged_in(value, sent)
                    self._cond.notify_all()
                return token
        except BaseException as exc:
            with self._cond:
                session.refresh_failed(exc)
                self._cond.notify_all()
            raise

    # -- background refresher and fork -----------------------------------------------------------------
    def _start_refresher(self) -> None:
        self._stop = stop = threading.Event()
        self._thread = threading.Thread(
            target=_sync_refresh_loop, args=(weakref.ref(self), stop), name="cortexkit-refresher", daemon=True
        )
        weakref.finalize(self, stop.set)
        self._thread.start()

    def _background_step(self, failures: int) -> tuple[float | None, int]:
        """One turn of the background refresher: (seconds until the next turn or None to stop, failures).

        It never logs in on its own before the first call did (no eager login at construction), and an
        authentication error stops it: the next call raises that error instead of retrying forever."""
        session = self._core.session
        with self._cond:
            if session.token is None or session.refreshing:
                # Woken by the refresh's notify (or `close()`): a 2 s token must not wait out a 1 s poll.
                self._cond.wait(timeout=1.0)
                return 0.0, failures
            due = session.due_in(self._core.clock())
        if due > 0:
            return due, failures
        try:
            self._token(None)
        except errors.AuthenticationError as exc:
            log.warning("background session refresh stopped: the access key was refused (%s)", exc)
            self._background_error = exc
            return None, failures
        except Exception as exc:  # keep going; the request path refreshes on its own
            failures += 1
            log.warning("background session refresh failed: %s", type(exc).__name__)
            return min(60.0, 2.0**failures), failures
        return 0.0, 0

    def _after_fork(self) -> None:
        """In a forked child: fresh lock, fresh pool (the parent's sockets are not ours), fresh refresher."""
        self._cond = threading.Condition(threading.Lock())
        self._core.session.refreshing = False
        if self._owns_http:
            self._http = _http.build_sync(self._core.settings, self._transport)
        if self._thread is not None and not self._stop.is_set():
            self._start_refresher()


async def _async_refresh_loop(ref: weakref.ReferenceType[AsyncClient]) -> None:
    """The async twin of `_sync_refresh_loop`: a task of the client's event loop, holding it weakly."""
    failures = 0
    while True:
        client = ref()
        if client is None:
            return
        delay, failures = await client._background_step(failures)
        del client
        if delay is None:
            return
        await asyncio.sleep(delay)


class AsyncClient:
    """Asynchronous client; safe to share across the tasks of ONE event loop (the loop it is first used
    in: using it from another loop raises `ConfigurationError`; create one client per loop).

    Takes the same arguments as `Client`; `http_client` is an `httpx.AsyncClient`.
    """

    def __init__(
        self,
        credentials: Credentials | str | None = None,
        *,
        api_url: str | None = None,
        access_key_id: str | None = None,
        secret_key: str | Secret | None = None,
        profile: str | None = None,
        verify: _http.Verify | None = None,
        timeout: _http.TimeoutSetting = 30.0,
        proxy: str | None = None,
        transport: _http.AsyncTransport | None = None,
        http_client: _http.AsyncHttpClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        rate_limit: bool | RateLimiter = True,
        refresher: Refresher = "lazy",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        governor: bool | None = None,
        governor_url: str | None = None,
        session_cache: bool | TokenCache = False,
    ) -> None:
        creds = _resolve_credentials(credentials, profile, api_url, access_key_id, secret_key)
        if http_client is not None and not isinstance(http_client, _http.AsyncHttpClient):
            raise errors.ConfigurationError(
                "http_client must be an httpx.AsyncClient (a Client needs httpx.Client)"
            )
        self._core = ClientCore(
            creds,
            verify=verify,
            timeout=timeout,
            proxy=proxy,
            retry=retry,
            max_retries=max_retries,
            rate_limit=rate_limit,
            refresher=refresher,
            clock=clock,
            default_headers=dict(default_headers or {}),
            governor=governor,
            governor_url=governor_url,
            session_cache=session_cache,
        )
        self._sleep = sleep
        self._owns_http = http_client is None
        self._http = (
            http_client if http_client is not None else _http.build_async(self._core.settings, transport)
        )
        self._cond: asyncio.Condition | None = None  # created on first use, inside the running loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._background_error: BaseException | None = None
        self._resources: AsyncResources | None = None

    @property
    def stats(self) -> ClientStats:
        """Request, login, extend, retry and rate-limit counters of this client."""
        return self._core.current_stats()

    @property
    def api_url(self) -> str:
        """The CSPM API URL this client talks to."""
        return self._core.api_url

    def _condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise errors.ConfigurationError(
                "this AsyncClient belongs to the event loop it was first used in and cannot be used from "
                "another one (each asyncio.run() starts a new loop): create one AsyncClient per event loop"
            )
        if self._cond is None:
            self._cond = asyncio.Condition()
        if self._core.refresher == "background" and self._task is None:
            self._task = loop.create_task(_async_refresh_loop(weakref.ref(self)), name="cortexkit-refresher")
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
        timeout: Any = CLIENT_DEFAULT,
        max_retries: int | None = None,
    ) -> Any:
        """Send a call and decode its body (JSON, text, or None when empty)."""
        options = _call_options(timeout, max_retries)
        return await self.send(
            RequestSpec(method.upper(), path, params, json, headers, idempotent, **options)
        )

    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: Any = CLIENT_DEFAULT,
        max_retries: int | None = None,
    ) -> _http.Response:
        """Send a call and return the httpx response (already checked: errors raise)."""
        options = _call_options(timeout, max_retries)
        return await self.send_raw(
            RequestSpec(method.upper(), path, params, json, headers, idempotent, **options)
        )

    async def send(self, spec: RequestSpec) -> Any:
        """Send a prepared `RequestSpec` and decode the body."""
        return decode(await self.send_raw(spec), spec.method, spec.path)

    async def send_page(self, spec: RequestSpec) -> Page:
        """Send one page request; the decoded body with the response headers."""
        response = await self.send_raw(spec)
        return Page(decode(response, spec.method, spec.path), _http.lower_headers(response))

    def paginate(self, pager: Pager, *, max_items: int | None = None) -> AsyncIterator[Any]:
        """Items across pages, lazily (one page in memory)."""
        return aiterate(self.send_page, pager, max_items=max_items)

    def iter_pages(self, pager: Pager) -> AsyncIterator[ResultPage]:
        """Page by page, lazily: each with `items`, `has_next_page`, `next_page_token` and `total`."""
        return aiter_pages(self.send_page, pager)

    async def refresh_session(self) -> Token:
        """A usable session token, logging in or extending first when one is due (single-flight)."""
        return await self._token(None)

    async def aclose(self) -> None:
        """Cancel the background refresher and close the connection pool (an `http_client` you passed in
        is yours to close). Safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task  # its own failures were logged; cancellation is what we asked for
            self._task = None
        if self._owns_http:
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
        """Cloud accounts: list, names, get, status, delete (`/cloud`)."""
        return self._res().cloud_accounts

    @property
    def account_groups(self) -> AsyncAccountGroups:
        """Account groups (`/cloud/group`)."""
        return self._res().account_groups

    @property
    def alerts(self) -> AsyncAlerts:
        """Alerts: lazy `iterate` over `POST /v2/alert`, get, count, dismiss, snooze, reopen."""
        return self._res().alerts

    @property
    def policies(self) -> AsyncPolicies:
        """Policies: list and get (`/v2/policy`)."""
        return self._res().policies

    @property
    def compliance(self) -> AsyncCompliance:
        """Compliance posture (`/compliance/posture`)."""
        return self._res().compliance

    @property
    def search(self) -> AsyncSearch:
        """RQL searches (config, event, network), paged lazily."""
        return self._res().search

    @property
    def audit_logs(self) -> AsyncAuditLogs:
        """The audit log (`/audit/api/v1/log`), paged lazily."""
        return self._res().audit_logs

    @property
    def compute(self) -> AsyncCompute:
        """Compute (CWP) through the CSPM session, on the console URL from `/meta_info`."""
        return self._res().compute

    @property
    def azure(self) -> AsyncAzure:
        """Azure onboarding (v2): features, template, status check, add/update account."""
        return self._res().azure

    # -- the request loop ------------------------------------------------------------------------------
    async def send_raw(self, spec: RequestSpec) -> _http.Response:
        """Send a prepared `RequestSpec` through the request loop; the checked httpx response."""
        self._condition()
        error, self._background_error = self._background_error, None
        if error is not None:
            raise error
        loop = RequestLoop(self._core, spec)
        while True:
            wait = loop.begin()
            if wait > 0:
                try:
                    await self._sleep(wait)
                except BaseException:  # cancelled while waiting: the slot goes back to the limiter
                    loop.give_back()
                    raise
            token = await self._token(loop) if loop.needs_token else None
            url, headers, timeout = loop.prepare(token)
            try:
                response = await self._http.request(
                    spec.method, url, params=spec.params, json=spec.json, headers=headers, timeout=timeout
                )
            except _http.TransportError as exc:
                outcome = loop.on_transport_error(exc)
            else:
                outcome = loop.on_response(response)
                if outcome.next is Next.RETURN:
                    return response
                await response.aclose()
            if outcome.next is Next.REPLAY:
                # No await between reading and dropping the token: atomic on the event loop, no lock needed.
                self._core.session.unauthorized(loop.token)
            elif outcome.next is Next.RETRY:
                await self._sleep(outcome.delay)
            else:
                assert outcome.error is not None
                raise outcome.error

    # -- session ---------------------------------------------------------------------------------------
    async def _token(self, loop: RequestLoop | None) -> Token:
        core, session = self._core, self._core.session
        cond = self._condition()
        waited: int | None = None
        async with cond:
            while True:
                decision = session.decide(core.clock(), waited_generation=waited)
                if decision.step is Step.USE:
                    assert decision.token is not None
                    return decision.token
                if decision.step is Step.FAIL:
                    assert decision.error is not None
                    raise decision.error
                if decision.step is not Step.WAIT:
                    break
                waited = session.generation
                left = loop.remaining() if loop is not None else None
                if left is None:
                    await cond.wait()
                    continue
                if left <= 0:
                    raise loop.deadline_error("waiting for the session refresh")  # type: ignore[union-attr]
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await cond.wait()
        return await self._refresh(decision, loop.remaining() if loop is not None else None)

    async def _refresh(self, decision: Decision, budget: float | None) -> Token:
        """The async twin of `Client._refresh`."""
        sharing = self._core.sharing
        if sharing is None:
            return await self._refresh_alone(decision, budget)
        fd = None
        try:
            fd = await sharing.acquire_async(budget)
            found = sharing.candidate(decision.token) if fd is not None else None
        except BaseException as exc:  # cancelled while waiting: hand the refresh back
            sharing.release(fd)
            self._core.session.refresh_failed(exc)
            self._wake_later(self._condition())
            raise
        try:
            if found is None:
                return await self._refresh_alone(decision, budget)
            token = self._core.session.adopted(*found)
            self._wake_later(self._condition())
            return token
        finally:
            sharing.release(fd)

    async def _refresh_alone(self, decision: Decision, budget: float | None) -> Token:
        core, session = self._core, self._core.session
        cond = self._condition()
        step = decision.step
        try:
            while True:
                sent = core.clock()
                try:
                    if step is Step.EXTEND:
                        assert decision.token is not None
                        spec = core.extend_spec(decision.token, session.extend_budget(sent))
                        value = core.token_from(await self.send(spec), "extend")
                    else:
                        value = core.token_from(await self.send(core.login_spec(budget)), "login")
                except errors.AuthenticationError:
                    if step is not Step.EXTEND:
                        raise
                    step = session.extend_refused().step
                    continue
                except Exception as exc:
                    if step is not Step.EXTEND:
                        raise
                    fallback = session.extend_failed(exc, core.clock())
                    if fallback.step is Step.USE:
                        self._wake_later(cond)
                        assert fallback.token is not None
                        return fallback.token
                    step = fallback.step
                    continue
                if core.sharing is not None:
                    core.sharing.remember(value, sent)
                if step is Step.EXTEND:
                    token = session.extended(value, sent)
                else:
                    token = session.logged_in(value, sent)
                self._wake_later(cond)
                return token
        except BaseException as exc:
            session.refresh_failed(exc)
            self._wake_later(cond)
            raise

    @staticmethod
    def _wake_later(cond: asyncio.Condition) -> None:
        """Wake the waiters from a task of its own: the refreshing task may be cancelled right now, and
        must not await the condition's lock to notify."""

        async def wake() -> None:
            async with cond:
                cond.notify_all()

        task = asyncio.get_running_loop().create_task(wake())
        _WAKERS.add(task)
        task.add_done_callback(_WAKERS.discard)

    async def _background_step(self, failures: int) -> tuple[float | None, int]:
        """The async twin of `Client._background_step`."""
        session = self._core.session
        if session.token is None or session.refreshing:
            cond = self._condition()
            async with cond:  # woken by the refresh's notify, not a 1 s poll
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await cond.wait()
            return 0.0, failures
        due = session.due_in(self._core.clock())
        if due > 0:
            return due, failures
        try:
            await self._token(None)
        except errors.AuthenticationError as exc:
            log.warning("background session refresh stopped: the access key was refused (%s)", exc)
            self._background_error = exc
            return None, failures
        except Exception as exc:
            failures += 1
            log.warning("background session refresh failed: %s", type(exc).__name__)
            return min(60.0, 2.0**failures), failures
        return 0.0, 0


_WAKERS: set[asyncio.Task[None]] = set()
