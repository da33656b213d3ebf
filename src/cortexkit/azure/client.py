"""`AzureClient`: sends `AzureRequest`s to Entra, Graph and ARM through `cortexkit._http` (one pooled
connection, `verify` as a CA-bundle SSL context) and the shared `retry.RetryPolicy`: full jitter,
Retry-After honoured, a deadline per call, and a creating POST never resent after an ambiguous failure
(the caller looks the object up instead). Bearer tokens are cached per audience until a minute before
they expire, in an `AzureSession` that several clients of one operator identity may share (a bulk's jobs
sign in once, not once per step; see `azure/sessions.py`).

The token grant is one form POST rather than azure-identity's `ClientSecretCredential`, which insists on
an https authority: the engine runs end to end against the plain-http emulator as well as Azure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

from cortexkit import _http, errors
from cortexkit.azure import token as token_requests
from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.azure.request import AzureRequest
from cortexkit.retry import Failure, RetryConfig, RetryPolicy, Verdict

TOKEN_MARGIN = 60.0
DEFAULT_RETRY = RetryConfig(max_attempts=5, deadline=120.0, base=1.0, cap=16.0)


class Revealable(Protocol):
    def reveal(self) -> str: ...


class AzureError(errors.CortexkitError):
    """An Azure call failed; `method` and `path` say which (never a body, a token or a secret)."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class AzureCallError(AzureError):
    """Azure answered with an error: `status`, its `code` (`PrincipalNotFound`, `invalid_client` ...) and
    the request id Microsoft support asks for. `outcome_unknown`: a creating call that may have acted."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        method: str,
        path: str,
        request_id: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(f"{status} {code}: {message}", method=method, path=path)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.outcome_unknown = outcome_unknown


class AzureConnectionError(AzureError):
    """Azure could not be reached (or the connection broke); `outcome_unknown` as for `AzureCallError`."""

    def __init__(self, message: str, *, method: str, path: str, outcome_unknown: bool = False) -> None:
        super().__init__(message, method=method, path=path)
        self.outcome_unknown = outcome_unknown


def _json(response: _http.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_of(body: dict[str, Any]) -> tuple[str, str]:
    """(code, message) of a Graph/ARM `{"error": {"code", "message"}}` or an OAuth error body."""
    raw = body.get("error")
    if isinstance(raw, dict):
        return str(raw.get("code", "")), str(raw.get("message", ""))
    return str(raw or ""), str(body.get("error_description", ""))


@dataclass(frozen=True)
class AzureResponse:
    """A successful answer with what a long-running operation needs: its status and (lower-cased)
    headers (`location`, `azure-asyncoperation`, `retry-after`)."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


class TokenCache:
    """Bearer tokens per audience, each kept until `TOKEN_MARGIN` before it expires. Thread-safe and
    single-flight: when a token is missing or near its end, one caller fetches it while the others of
    that audience wait for its answer instead of each signing in."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._tokens: dict[str, tuple[str, float]] = {}
        self._guard = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}

    def get(self, audience: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """The audience's token; `fetch()` -> (token, lifetime in s) runs only when none is still good."""
        cached = self._tokens.get(audience)
        if cached and cached[1] > self.monotonic():
            return cached[0]
        with self._guard:
            flight = self._fetching.setdefault(audience, threading.Lock())
        with flight:
            cached = self._tokens.get(audience)  # another caller may have fetched it meanwhile
            if cached and cached[1] > self.monotonic():
                return cached[0]
            value, lifetime = fetch()
            self._tokens[audience] = (value, self.monotonic() + lifetime - TOKEN_MARGIN)
            return value

    def forget(self, audience: str, value: str) -> None:
        """Drop `value` (Azure refused it: revoked, or the clocks disagree); a newer token stays."""
        with self._guard:
            if self._tokens.get(audience, ("", 0.0))[0] == value:
                del self._tokens[audience]


class AzureSession:
    """What the clients of one operator identity can share: one connection pool and one token cache.

    A client made without a session owns a private one and closes it; a shared session (see
    `azure/sessions.py`) outlives the clients that borrow it.
    """

    def __init__(
        self,
        endpoints: AzureEndpoints,
        *,
        timeout: float = 30.0,
        transport: _http.SyncTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        settings = _http.HttpSettings(base_url="", verify=endpoints.verify, timeout=timeout)
        self.http = _http.build_sync(settings, transport)
        self.tokens = TokenCache(monotonic)

    def close(self) -> None:
        self.http.close()


class AzureClient:
    """One operator identity (tenant, client id, secret) talking to one Azure cloud."""

    def __init__(
        self,
        endpoints: AzureEndpoints,
        tenant_id: str,
        client_id: str,
        secret: Revealable,
        *,
        retry: RetryConfig | RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        timeout: float = 30.0,
        transport: _http.SyncTransport | None = None,
        session: AzureSession | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = secret
        self.retry = retry if isinstance(retry, RetryPolicy) else RetryPolicy(retry or DEFAULT_RETRY)
        self.sleep = sleep
        self.monotonic = monotonic
        self._owns_session = session is None
        self._session = session or AzureSession(
            endpoints, timeout=timeout, transport=transport, monotonic=monotonic
        )
        self._http = self._session.http

    def __repr__(self) -> str:
        return f"AzureClient(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def token(self, audience: str) -> str:
        """A bearer token for a service (its base URL is its audience), from the cache when still good."""
        audience = audience.rstrip("/")
        return self._session.tokens.get(audience, lambda: self._sign_in(audience))

    def _sign_in(self, audience: str) -> tuple[str, float]:
        grant = token_requests.client_credentials(
            self.tenant_id, self.client_id, self._secret.reveal(), audience
        )
        body = self._exchange(grant, None)
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise AzureCallError(
                200, "no_token", "the token answer carried no access_token", method="POST", path=grant.path
            )
        return value, float(body.get("expires_in") or 0)

    def send(self, request: AzureRequest) -> dict[str, Any]:
        """Send one request (with a bearer token for its service) and return its JSON object body."""
        return self.send_response(request).body

    def send_response(self, request: AzureRequest) -> AzureResponse:
        """As `send`, keeping the status and headers (a 202's `Location` is the operation to poll)."""
        if request.api == "login":
            return self._respond(request, None)
        audience = self.endpoints.base(request.api).rstrip("/")
        bearer = self.token(audience)
        try:
            return self._respond(request, bearer)
        except AzureCallError as exc:
            if exc.status != 401:
                raise
        # A cached token Azure no longer takes (revoked, or its clock ran ahead of ours): a 401 means
        # nothing was done, so one fresh sign-in and one resend are safe even for a creating call.
        self._session.tokens.forget(audience, bearer)
        return self._respond(request, self.token(audience))

    def wait_operation(
        self, first: AzureResponse, *, timeout: float = 300.0, interval: float = 2.0
    ) -> dict[str, Any]:
        """The final body of a long-running operation that answered `first` (a 202 with `Location` or
        `Azure-AsyncOperation`): polled, honouring Retry-After, until it stops answering 202 or `timeout`."""
        from cortexkit.azure import deployments

        answer = first
        deadline = self.monotonic() + timeout
        while answer.status == 202:
            url = answer.headers.get("location") or answer.headers.get("azure-asyncoperation")
            if not url:
                return answer.body
            if self.monotonic() >= deadline:
                raise AzureError(
                    f"the Azure operation did not finish within {timeout:.0f} s", method="GET", path=url
                )
            wait = interval
            hinted = answer.headers.get("retry-after")
            if hinted and hinted.isdigit():
                wait = min(float(hinted), 60.0)
            self.sleep(wait)
            answer = self.send_response(deployments.poll(url, self.endpoints.arm))
        return answer.body

    def _exchange(self, request: AzureRequest, bearer: str | None) -> dict[str, Any]:
        return self._respond(request, bearer).body

    def _respond(self, request: AzureRequest, bearer: str | None) -> AzureResponse:
        url = f"{self.endpoints.base(request.api)}/{request.path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else None
        started = self.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    request.method,
                    url,
                    params=request.params,
                    json=request.json,
                    data=request.form,
                    headers=headers,
                )
            except _http.TransportError as exc:
                failure = _http.classify(exc)
                decision = self.retry.decide(
                    attempt=attempt,
                    started=started,
                    now=self.monotonic(),
                    idempotent=request.idempotent,
                    failure=failure,
                )
                if decision.verdict is Verdict.RETRY:
                    self.sleep(decision.delay)
                    continue
                raise AzureConnectionError(
                    f"{request.method} {request.path}: {type(exc).__name__}",
                    method=request.method,
                    path=request.path,
                    outcome_unknown=decision.verdict is Verdict.UNKNOWN and failure is not Failure.FATAL,
                ) from None
            if response.status_code < 400:
                return AzureResponse(response.status_code, _json(response), _http.lower_headers(response))
            headers_lower = _http.lower_headers(response)
            decision = self.retry.decide(
                attempt=attempt,
                started=started,
                now=self.monotonic(),
                idempotent=request.idempotent,
                status=response.status_code,
                retry_after=headers_lower.get("retry-after"),
            )
            if decision.verdict is Verdict.RETRY:
                self.sleep(decision.delay)
                continue
            code, message = _error_of(_json(response))
            raise AzureCallError(
                response.status_code,
                code or str(response.status_code),
                message,
                method=request.method,
                path=request.path,
                request_id=headers_lower.get("request-id") or headers_lower.get("x-ms-request-id"),
                outcome_unknown=decision.verdict is Verdict.UNKNOWN,
            )
