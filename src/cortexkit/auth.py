"""JWT session policy: when to log in, when to extend, what to do on a 401.

Pure logic with an injected clock; no I/O and no locks. `Client` drives it under a `threading.Lock`,
`AsyncClient` under an `asyncio.Lock`, so one state machine serves both (the httpx `auth_flow` idea,
expressed as a decision object instead of a generator so the lock can live outside it).

Timing rules (see docs/client.md):

* The expiry comes from the JWT `exp` claim (unverified decode: we only need a hint, the server is the
  judge). With an `iat` claim we take the lifetime `exp - iat` and count it from our own receive time, so a
  skewed local clock does not matter; without one, `exp` is compared with the wall clock at receipt.
  An opaque token is assumed to live 10 minutes (the documented TTL).
* A token is refreshed `lead = min(max(60 s, ttl/6), ttl/2)` before expiry: 100 s for a 10-minute token
  (well before the seed articles' 9 min 50 s mark), half-life for the 2-3 s tokens tests use.
* Proactive refresh is single-flight and non-blocking: one caller extends (with a short budget of its
  own, `EXTEND_BUDGET`), the others keep using the still-valid old token. If that extend fails for a
  transient reason the old token is kept and the extend is retried at most once per `retry_interval`
  (Azure `BearerTokenCredentialPolicy`); if the old token ran out meanwhile, the same caller logs in.
* Mandatory refresh (no token, token expired, or the server said 401): callers wait for one refresh.
  A refused extend (401) falls back to `/login`.
* A refresh that was cancelled or interrupted (asyncio cancellation, KeyboardInterrupt, gevent's Timeout:
  anything not an `Exception`) is not a failure of the session: it is released and a waiter takes over.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cortexkit._redact import Secret

log = logging.getLogger("cortexkit")

DEFAULT_TTL = 600.0
"""The documented JWT lifetime, used for opaque tokens."""

SEED_DEADLINE = 590.0
"""The seed articles refresh a 10-minute token at 9 min 50 s at the latest; so do we (and much earlier)."""

EXPIRY_MARGIN = 1.0
"""Seconds before the computed expiry at which a token is no longer sent (at most a quarter of its life):
a request takes time to reach the server, and the token must still be valid when it gets there."""

EXTEND_BUDGET = 10.0
"""Seconds a proactive extend may take, all attempts included, before the caller gives up on it (and keeps
the old token, or logs in when that one ran out): an extend must never outlive the token it extends."""


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """The JWT payload without verifying the signature, or None for an opaque or malformed token."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        claims = json.loads(raw)
    except (UnicodeError, ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def token_lifetime(token: str, now: float) -> float:
    """Seconds the token stays valid from `now`, the wall-clock (epoch) time it was received.

    `exp - iat` when both claims exist (immune to clock skew, less the 1 s granularity of integer
    claims), else `exp - now`, else the documented 10 minutes.
    Nonsense (negative, or more than a day) falls back to the default too.
    """
    claims = decode_jwt_claims(token)
    if claims is not None:
        exp = _number(claims.get("exp"))
        iat = _number(claims.get("iat"))
        if exp is not None:
            if iat is not None:
                ttl = exp - iat
                if exp.is_integer() and iat.is_integer() and ttl > 1:
                    # Whole-second claims: the token was issued somewhere in [iat, iat + 1), so only
                    # `exp - iat - 1` seconds are certain (a 2 s token may live just over 1 s).
                    ttl -= 1
            else:
                ttl = exp - now
            if 0 < ttl <= 86400:
                return ttl
    return DEFAULT_TTL


def refresh_lead(ttl: float) -> float:
    """How long before expiry a token of lifetime `ttl` is refreshed."""
    return min(max(60.0, ttl / 6), ttl / 2)


@dataclass(frozen=True)
class Token:
    """A session token and its local timing. `repr` never shows the value."""

    value: str
    issued_at: float
    expires_at: float
    refresh_at: float

    @classmethod
    def received(cls, value: Secret | str, sent_at: float, wall_now: float | None = None) -> Token:
        """A token from a login or extend whose request was sent at `sent_at` (monotonic clock).

        The server issued it after that moment, so counting its life from `sent_at` (not from when the
        answer arrived) can only underestimate it, however slow the round trip was. `wall_now` (epoch
        seconds, default now) is only used for a token with `exp` but no `iat`.
        """
        secret = value if isinstance(value, Secret) else Secret(value)
        wall = time.time() if wall_now is None else wall_now
        ttl = token_lifetime(secret.get_secret_value(), wall)
        refresh_at = sent_at + ttl - refresh_lead(ttl)
        refresh_at = min(refresh_at, sent_at + SEED_DEADLINE)
        return cls(
            secret.get_secret_value(), issued_at=sent_at, expires_at=sent_at + ttl, refresh_at=refresh_at
        )

    @property
    def ttl(self) -> float:
        """Seconds the token lives, counted from when its request was sent."""
        return self.expires_at - self.issued_at

    def usable(self, now: float, slack: float = 0.0) -> bool:
        """Whether a request sent now still arrives before expiry; `slack` covers slow round trips."""
        return now < self.expires_at - min(EXPIRY_MARGIN, self.ttl / 4) - slack

    def __repr__(self) -> str:
        return f"Token(value='***', issued_at={self.issued_at:.3f}, expires_at={self.expires_at:.3f})"

    __str__ = __repr__


class Step(Enum):
    """What a caller must do next."""

    USE = "use"  # send with `decision.token`
    WAIT = "wait"  # another caller is refreshing and the caller has no usable token: wait, then ask again
    EXTEND = "extend"  # this caller extends `decision.token`, then reports back
    LOGIN = "login"  # this caller logs in, then reports back
    FAIL = "fail"  # the refresh this caller waited for failed: raise `decision.error`


@dataclass(frozen=True)
class Decision:
    step: Step
    token: Token | None = None
    proactive: bool = False  # an EXTEND the caller may give up on, keeping `token`
    error: BaseException | None = None


class SessionPolicy:
    """The token state machine. Not thread-safe by itself: callers hold the driver's lock around calls."""

    def __init__(self, *, retry_interval: float = 30.0, wall: Callable[[], float] = time.time) -> None:
        self.token: Token | None = None
        self._wall = wall
        self.retry_interval = retry_interval
        self.refreshing = False
        self.latency = 0.0
        self.generation = 0  # bumped every time a refresh completes (success or failure)
        self._failed_generation = -1
        self._last_error: BaseException | None = None
        self._last_proactive_failure: float | None = None
        self.logins = 0
        self.extends = 0
        self.adoptions = 0
        self.failed_refreshes = 0

    # -- decisions -------------------------------------------------------------------------------------
    def decide(self, now: float, *, waited_generation: int | None = None) -> Decision:
        """The next step for a caller that wants to send a request.

        `waited_generation` is the generation the caller saw before waiting; if the refresh it waited for
        failed, the caller gets that failure (FAIL) instead of starting another refresh (no login storms).
        """
        if (
            waited_generation is not None
            and self._failed_generation > waited_generation
            and self._last_error is not None
        ):
            return Decision(Step.FAIL, error=self._last_error)
        token = self.token
        slack = self.slack()
        if token is not None and token.usable(now, slack):
            if now < token.refresh_at - slack or self.refreshing or not self._proactive_allowed(now):
                return Decision(Step.USE, token)
            self.refreshing = True
            return Decision(Step.EXTEND, token, proactive=True)
        if self.refreshing:
            return Decision(Step.WAIT)
        self.refreshing = True
        # No token, an expired one (extend needs a valid token) or one the server refused: log in.
        return Decision(Step.LOGIN)

    def observe_latency(self, seconds: float) -> None:
        """Feed the duration of a request (EWMA): slow round trips move refreshes and the last-use point
        earlier, so a token is never sent so late that it expires on the way to the server."""
        if seconds >= 0:
            self.latency = 0.8 * self.latency + 0.2 * seconds

    def slack(self) -> float:
        """Twice the typical round trip, never more than a quarter of the token's life."""
        token = self.token
        return 0.0 if token is None else min(2 * self.latency, token.ttl / 4)

    def due_in(self, now: float) -> float:
        """Seconds until a background refresher should act (0 when due now)."""
        token = self.token
        if token is None:
            return 0.0
        due = token.refresh_at - self.slack()
        if self._last_proactive_failure is not None:
            due = max(due, self._last_proactive_failure + self.effective_retry_interval())
        return max(0.0, due - now)

    def _proactive_allowed(self, now: float) -> bool:
        last = self._last_proactive_failure
        return last is None or now - last >= self.effective_retry_interval()

    def effective_retry_interval(self) -> float:
        """At most `retry_interval`, and a third of the refresh lead, so about three extends are tried
        before a short-lived token runs out."""
        token = self.token
        if token is None:
            return self.retry_interval
        return min(self.retry_interval, refresh_lead(token.ttl) / 3)

    def extend_budget(self, now: float) -> float:
        """Seconds a proactive extend may take: `EXTEND_BUDGET`, and never past the old token's life."""
        token = self.token
        if token is None:
            return EXTEND_BUDGET
        left = token.expires_at - min(EXPIRY_MARGIN, token.ttl / 4) - now
        return max(0.5, min(EXTEND_BUDGET, left))

    # -- outcomes --------------------------------------------------------------------------------------
    def logged_in(self, value: Secret | str, sent_at: float) -> Token:
        """A login sent at `sent_at` succeeded."""
        self.logins += 1
        return self._install(value, sent_at)

    def extended(self, value: Secret | str, sent_at: float) -> Token:
        """An extend sent at `sent_at` succeeded."""
        self.extends += 1
        return self._install(value, sent_at)

    def adopted(self, value: Secret | str, sent_at: float) -> Token:
        """A token another process obtained (the shared token cache): installed, not counted as a login."""
        self.adoptions += 1
        return self._install(value, sent_at)

    def _install(self, value: Secret | str, sent_at: float) -> Token:
        self.token = Token.received(value, sent_at, self._wall())
        self.refreshing = False
        self._last_proactive_failure = None
        self.generation += 1
        return self.token

    def extend_refused(self) -> Decision:
        """The server answered 401 to extend: the same caller goes on to log in (still single-flight)."""
        log.debug("session extend refused; logging in again")
        return Decision(Step.LOGIN)

    def extend_failed(self, error: BaseException, now: float) -> Decision:
        """A proactive extend failed for a transient reason (or ran out of its budget).

        While the old token is valid, keep it (USE) and try the extend again after the retry interval;
        once it ran out, the same caller logs in (LOGIN, still single-flight): a working `/login` must
        never be hidden behind a broken extend.
        """
        self.failed_refreshes += 1
        token = self.token
        if token is not None and token.usable(now, self.slack()):
            self.refreshing = False
            self.generation += 1
            self._last_proactive_failure = now
            log.warning(
                "proactive session refresh failed (%s); keeping the current token", type(error).__name__
            )
            return Decision(Step.USE, token)
        log.warning("session extend failed (%s); logging in again", type(error).__name__)
        return Decision(Step.LOGIN)

    def refresh_failed(self, error: BaseException) -> None:
        """A login (or a mandatory extend) failed: waiters receive `error`.

        A cancellation or interruption (not an `Exception`) only releases the refresh: it belongs to the
        caller that was cancelled, so a waiter takes the refresh over instead of inheriting it.
        """
        self.refreshing = False
        self.generation += 1
        if not isinstance(error, Exception):
            return
        self.failed_refreshes += 1
        self._failed_generation = self.generation
        self._last_error = error

    def unauthorized(self, failed: Token | None) -> None:
        """A call answered 401 with `failed`. Invalidate only if it is still the current token, so many
        parallel 401s for the same token cause one refresh."""
        if failed is not None and self.token is failed:
            self.token = None
