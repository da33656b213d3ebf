"""What `Client` and `AsyncClient` share: the settings core and the per-call request loop, without I/O.

`ClientCore` holds one client's settings and policy objects (retry, rate limiter, session) and maps
responses to errors. `RequestLoop` is the bookkeeping of one call across its attempts, as a pure state
object (the httpx `auth_flow` idea, as methods instead of a generator so the drivers can hold their own
locks): the driver asks it what to do and reports what happened; the driver only sleeps, takes its lock
and does I/O::

    loop = RequestLoop(core, spec)
    while True:
        wait = loop.begin()              # reserve a rate-limiter slot (give it back if cancelled)
        sleep(wait)
        token = session token            # when loop.needs_token; login counts against loop.remaining()
        url, headers, timeout = loop.prepare(token)
        try: response = send(...)
        except TransportError as exc: outcome = loop.on_transport_error(exc)
        else: outcome = loop.on_response(response)
        RETURN -> return the response; RETRY -> close, sleep(outcome.delay); REPLAY -> close, drop the
        token under the lock (session.unauthorized(loop.token)); RAISE -> raise outcome.error
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cortexkit import _http, errors
from cortexkit._redact import RedactedDict, Secret
from cortexkit.auth import SessionPolicy, Token
from cortexkit.governor import Limiter, prisma_limiter
from cortexkit.logs import setup_from_env
from cortexkit.pagination import CLIENT_DEFAULT, RequestSpec
from cortexkit.ratelimit import RateLimiter
from cortexkit.retry import RetryConfig, RetryPolicy, Verdict, is_idempotent

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.credentials import Credentials
    from cortexkit.session_cache import SharedSession, TokenCache

log = logging.getLogger("cortexkit")

AUTH_HEADER = "x-redlock-auth"


@dataclass
class ClientStats:
    """Counters for tests, benchmarks and the CLI's `--debug` summary."""

    requests: int = 0
    logins: int = 0
    extends: int = 0
    retries: int = 0
    throttled: int = 0  # 429 responses seen
    replays_401: int = 0
    adopted_sessions: int = 0  # tokens taken from the shared token cache instead of logging in
    refresh_failures: int = 0
    rate_limit_wait: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The counters as a plain dict (for JSON output)."""
        return asdict(self)


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


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_plain_http(base_url: str) -> None:
    """Refuse to send a session token over plain http to anything but this machine: a Compute console URL
    (`twistlockUrl`) is taken from an API answer, and the JWT would cross the network in clear text."""
    parts = urlsplit(base_url)
    if parts.scheme.lower() == "http" and not _is_loopback(parts.hostname or ""):
        raise errors.ConfigurationError(
            f"refusing to send the session token over plain http to {parts.hostname}: use an https:// "
            "Compute console URL (plain http is allowed only to localhost)"
        )


class ClientCore:
    """One client's settings and policy objects, request building and error mapping. No I/O, no locks."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        verify: _http.Verify | None,
        timeout: _http.TimeoutSetting,
        proxy: str | None,
        retry: RetryConfig | RetryPolicy | None,
        max_retries: int | None,
        rate_limit: bool | RateLimiter,
        refresher: str,
        clock: Callable[[], float],
        default_headers: dict[str, str] | None,
        governor: bool | None = None,
        governor_url: str | None = None,
        session_cache: bool | TokenCache = False,
    ) -> None:
        setup_from_env()  # CORTEXKIT_LOG=debug: redacted debug logging without code
        if refresher not in ("lazy", "background"):
            raise errors.ConfigurationError("refresher must be 'lazy' or 'background'")
        if max_retries is not None and (not isinstance(max_retries, int) or max_retries < 0):
            raise errors.ConfigurationError("max_retries must be a whole number >= 0")
        self.credentials = credentials
        self.api_url = str(credentials.api_url).rstrip("/")
        chosen, source = (
            (verify, "the verify= argument")
            if verify is not None
            else (
                credentials.verify,
                getattr(credentials, "verify_source", None) or credentials.source,
            )
        )
        if chosen is False:
            log.warning(
                "TLS certificate verification is OFF for %s (set by %s): anyone on the network path can "
                "read the access key and session token",
                self.api_url,
                source,
            )
        self.settings = _http.HttpSettings(
            base_url=self.api_url,
            verify=chosen,
            timeout=timeout,
            proxy=proxy,
            headers=dict(default_headers or {}),
        )
        if isinstance(retry, RetryPolicy):
            self.retry = retry
        else:
            config = retry or RetryConfig()
            if max_retries is not None:
                from dataclasses import replace

                config = replace(config, max_attempts=max_retries + 1)
            self.retry = RetryPolicy(config)
        if isinstance(rate_limit, RateLimiter):
            self.limiter: Limiter | None = rate_limit
        elif rate_limit:  # shared by every process on this key unless the governor is off (governor.py)
            self.limiter = prisma_limiter(
                self.api_url, str(credentials.access_key_id), governor=governor, governor_url=governor_url
            )
        else:
            self.limiter = None
        self.sharing: SharedSession | None = None  # the session shared through the token cache
        if session_cache:
            from cortexkit.session_cache import shared_session

            key_id, secret = str(credentials.access_key_id), credentials.secret_key
            self.sharing = shared_session(self.api_url, key_id, session_cache, clock, secret)
        self.session = SessionPolicy()
        self.refresher = refresher
        self.clock = clock
        self.stats = ClientStats()

    def current_stats(self) -> ClientStats:
        """The counters, with the session's login/extend figures copied in."""
        s = self.stats
        s.logins, s.extends = self.session.logins, self.session.extends
        s.refresh_failures = self.session.failed_refreshes
        s.adopted_sessions = self.session.adoptions
        return s

    def build(self, spec: RequestSpec, token: Token | None) -> tuple[str, RedactedDict]:
        """The URL and headers of one attempt; the headers' repr masks the token."""
        url = spec.path if spec.base_url is None else spec.base_url.rstrip("/") + spec.path
        headers = RedactedDict(spec.headers or {})
        if token is not None:
            headers[AUTH_HEADER] = token.value
        if spec.json is not None:
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return url, headers

    def login_spec(self, deadline: float | None = None) -> RequestSpec:
        """`POST /login`; the body's repr masks the password."""
        secret = self.credentials.secret_key
        body = RedactedDict(
            username=str(self.credentials.access_key_id),
            password=secret.get_secret_value() if isinstance(secret, Secret) else str(secret),
        )
        return RequestSpec("POST", "/login", json=body, idempotent=True, auth=False, deadline=deadline)

    @staticmethod
    def extend_spec(token: Token, budget: float) -> RequestSpec:
        """`GET /auth_token/extend` with a short budget: two attempts within `budget` seconds."""
        return RequestSpec(
            "GET",
            "/auth_token/extend",
            headers=RedactedDict({AUTH_HEADER: token.value}),
            idempotent=True,
            auth=False,
            max_retries=1,
            deadline=budget,
        )

    @staticmethod
    def token_from(body: Any, what: str) -> Secret:
        """The token of a login or extend answer, wrapped at once."""
        if isinstance(body, dict) and isinstance(body.get("token"), str) and body["token"]:
            return Secret(body["token"])
        raise errors.UnexpectedResponseError(f"{what} response carried no token")

    def error(self, response: _http.Response, spec: RequestSpec) -> errors.APIError:
        """The typed error for an error response (its body already read)."""
        return errors.error_from_response(
            response.status_code,
            _http.lower_headers(response),
            response.content,
            spec.method,
            spec.path,
            response=response,
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
        """`Client(api_url=..., access_key_id=...)`: never the secret."""
        return f"{cls}(api_url={self.api_url!r}, access_key_id={str(self.credentials.access_key_id)!r})"


class Next(Enum):
    """What the driver does after an attempt."""

    RETURN = "return"  # hand the response to the caller
    RETRY = "retry"  # close the response, sleep `delay`, start the next attempt
    REPLAY = "replay"  # 401: close, drop the token under the driver's lock, resend once (not counted)
    RAISE = "raise"  # raise `error` (with `__cause__` already set)


@dataclass(frozen=True)
class Outcome:
    next: Next
    delay: float = 0.0
    error: BaseException | None = None


class RequestLoop:
    """The attempts of one call: rate-limit reservations, retries, the one 401 replay, the deadline.

    Pure bookkeeping over `ClientCore`'s policies: it never sleeps, locks or sends.
    """

    def __init__(self, core: ClientCore, spec: RequestSpec) -> None:
        if spec.base_url is not None and spec.auth:
            check_plain_http(spec.base_url)
        self.core = core
        self.spec = spec
        self.started = core.clock()
        self.attempt = 0
        self.replayed = False
        self.token: Token | None = None
        self.sent_at = self.started
        self.idempotent = (
            spec.idempotent if spec.idempotent is not None else is_idempotent(spec.method, spec.path)
        )
        self.max_attempts = None if spec.max_retries is None else spec.max_retries + 1
        self.deadline = core.retry.effective_deadline(spec.deadline)

    def __repr__(self) -> str:
        return f"RequestLoop({self.spec.method} {self.spec.path}, attempt {self.attempt})"

    @property
    def needs_token(self) -> bool:
        """Whether this call carries the session token (everything but login and extend)."""
        return self.spec.auth

    def remaining(self) -> float | None:
        """Seconds left before the call's deadline (None: no deadline)."""
        if self.deadline is None:
            return None
        return max(0.0, self.started + self.deadline - self.core.clock())

    def deadline_error(self, why: str) -> errors.APITimeoutError:
        """The error for a call whose deadline ran out before it could be sent."""
        spec = self.spec
        return errors.APITimeoutError(
            f"{spec.method} {spec.path}: the {self.deadline:g}s deadline ran out ({why})",
            method=spec.method,
            path=spec.path,
        )

    def begin(self) -> float:
        """Start an attempt: reserve a rate-limiter slot and return the seconds to wait before sending.

        A wait that would overrun the deadline gives the slot back and raises `APITimeoutError`.
        """
        self.attempt += 1
        limiter = self.core.limiter
        if limiter is None:
            return 0.0
        spec, now = self.spec, self.core.clock()
        wait = limiter.reserve(spec.method, spec.path, now)
        if wait > 0 and self.deadline is not None and now + wait - self.started > self.deadline:
            limiter.release(spec.method, spec.path, now)
            raise self.deadline_error(f"the rate limiter asked to wait {wait:.1f}s")
        self.core.stats.rate_limit_wait += wait
        return wait

    def give_back(self) -> None:
        """The caller was cancelled while waiting for its slot: return it to the limiter."""
        if self.core.limiter is not None:
            self.core.limiter.release(self.spec.method, self.spec.path, self.core.clock())

    def prepare(self, token: Token | None) -> tuple[str, RedactedDict, Any]:
        """URL, headers and timeout of this attempt."""
        self.token = token
        self.core.stats.requests += 1
        self.sent_at = self.core.clock()
        url, headers = self.core.build(self.spec, token)
        timeout = _http.USE_CLIENT_DEFAULT if self.spec.timeout is CLIENT_DEFAULT else self.spec.timeout
        return url, headers, timeout

    def _decide(self, **outcome: Any) -> tuple[Verdict, float]:
        core, spec = self.core, self.spec
        d = core.retry.decide(
            attempt=self.attempt,
            started=self.started,
            now=core.clock(),
            idempotent=self.idempotent,
            max_attempts=self.max_attempts,
            deadline=spec.deadline,
            **outcome,
        )
        if d.verdict is Verdict.RETRY:
            core.stats.retries += 1
            log.debug("retrying %s %s in %.2fs (%s)", spec.method, spec.path, d.delay, d.reason)
        return d.verdict, d.delay

    def on_transport_error(self, exc: _http.TransportError) -> Outcome:
        """The attempt failed before an answer arrived."""
        spec = self.spec
        verdict, delay = self._decide(failure=_http.classify(exc))
        if verdict is Verdict.RETRY:
            return Outcome(Next.RETRY, delay)
        error: errors.CortexkitError
        if verdict is Verdict.UNKNOWN:
            error = self.outcome_unknown(type(exc).__name__)
        else:
            cls = errors.APITimeoutError if _http.is_timeout(exc) else errors.APIConnectionError
            url = spec.base_url or self.core.api_url
            error = cls(
                f"{spec.method} {spec.path}: {_http.describe_transport_error(exc, url)}",
                method=spec.method,
                path=spec.path,
            )
        error.__cause__ = exc
        return Outcome(Next.RAISE, error=error)

    def outcome_unknown(self, why: str) -> errors.OutcomeUnknownError:
        """The error for a changing call that may have taken effect: never resent blindly."""
        spec = self.spec
        return errors.OutcomeUnknownError(
            f"{spec.method} {spec.path} may or may not have taken effect ({why}); "
            "check the current state before sending it again",
            method=spec.method,
            path=spec.path,
        )

    def on_response(self, response: _http.Response) -> Outcome:
        """An answer arrived (its body read): return it, retry, replay once on 401, or raise."""
        core, spec = self.core, self.spec
        status = response.status_code
        now = core.clock()
        core.session.observe_latency(now - self.sent_at)
        core.log_exchange(spec, response, self.started, self.attempt)
        if core.limiter is not None:
            core.limiter.on_response(spec.method, spec.path, status, _http.lower_headers(response), now)
        if status == 401 and spec.auth and not self.replayed:
            self.replayed = True
            core.stats.replays_401 += 1
            if core.sharing is not None:
                core.sharing.refused_token(self.token)  # never adopt it again from the shared cache
            self.attempt -= 1
            return Outcome(Next.REPLAY)
        if status < 400:
            return Outcome(Next.RETURN)
        if status == 429:
            core.stats.throttled += 1
        verdict, delay = self._decide(status=status, retry_after=response.headers.get("retry-after"))
        if verdict is Verdict.RETRY:
            return Outcome(Next.RETRY, delay)
        error = core.error(response, spec)
        if verdict is Verdict.UNKNOWN:
            unknown = self.outcome_unknown(f"status {status}")
            unknown.__cause__ = error
            return Outcome(Next.RAISE, error=unknown)
        return Outcome(Next.RAISE, error=error)
