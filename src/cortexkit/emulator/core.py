"""The `Emulator` object every route reaches through `get_emulator`, and the auth dependencies.

`authenticated` is the one gate of the CSPM routes: it verifies the `x-redlock-auth` JWT, then charges the
caller's rate-limit bucket for the matched route template. The `X-RateLimit-*` values of an allowed call
travel in the ASGI scope state to the middleware, which adds them to whatever response the handler builds.
"""

from __future__ import annotations

import hmac
import logging
import math
from typing import Any

from fastapi import Request

from . import errors
from .clock import EmulatorClock
from .config import EmulatorConfig
from .faults import FaultInjector
from .ratelimit import Decision, RateLimiter
from .routing import route_path
from .stats import Stats
from .tokens import Principal, TokenError, TokenIssuer

log = logging.getLogger(__name__)

RATELIMIT_STATE_KEY = "cortexkit_ratelimit"
TRANSPORT_STATE_KEY = "cortexkit_transport"


class Emulator:
    """One emulated tenant: config, clock, state, stats, limiter, faults and the token issuer."""

    def __init__(self, config: EmulatorConfig | None = None, clock: EmulatorClock | None = None) -> None:
        self.config = (config or EmulatorConfig()).resolved()
        self.clock = clock or EmulatorClock()
        assert self.config.jwt_secret is not None  # set by resolved()
        self.tokens = TokenIssuer(self.config.jwt_secret, self.clock, self.config.token_ttl)
        self.stats = Stats()
        self.limiter = RateLimiter(self.config, self.clock)
        self.faults = FaultInjector(
            self.config.fault_rate, self.config.seed, self.config.fault_latency, self.config.retry_after
        )
        self.state: Any = _make_state(self.config, self.clock)

    @property
    def access_key_id(self) -> str:
        assert self.config.access_key_id is not None
        return self.config.access_key_id

    def reset(self) -> None:
        """Back to a fresh start: state, stats, rate buckets, fault plans and RNG, clock offset.

        Issued tokens stay valid (same signing key), so a client does not have to log in again.
        """
        self.clock.reset()
        self.stats = Stats()
        self.limiter = RateLimiter(self.config, self.clock)
        self.faults = FaultInjector(
            self.config.fault_rate, self.config.seed, self.config.fault_latency, self.config.retry_after
        )
        self.state = _make_state(self.config, self.clock)

    def check_credentials(self, username: str, password: str) -> bool:
        """Constant-time comparison of an access key pair against the configured one."""
        assert self.config.access_key_id is not None and self.config.secret_key is not None
        same_user = hmac.compare_digest(username.encode(), self.config.access_key_id.encode())
        same_secret = hmac.compare_digest(password.encode(), self.config.secret_key.encode())
        return same_user and same_secret

    def customer_names(self) -> list[dict[str, Any]]:
        return [
            {
                "customerName": self.config.customer_name,
                "prismaId": self.config.prisma_id,
                "tosAccepted": True,
            }
        ]

    def principal(self, token: str | None) -> Principal:
        """The caller behind a token, or TokenError ("invalid_token" for missing/forged, "token_expired")."""
        if not token:
            raise TokenError("invalid_token")
        claims = self.tokens.verify(token)
        return Principal(access_key_id=str(claims["sub"]), claims=claims)


def _make_state(config: EmulatorConfig, clock: EmulatorClock) -> Any:
    """The tenant's data (owned by `state.py`); None while that module is not there yet."""
    try:
        from .state import TenantState
    except ImportError as exc:  # only during parallel development
        log.warning("emulator state unavailable (%s); data routes will not work", exc)
        return None
    return TenantState(config, clock)


def emulator_of(request: Request) -> Emulator:
    """The running `Emulator`, for plain (non-dependency) code that holds a request."""
    emulator: Emulator = request.app.state.emulator
    return emulator


async def get_emulator(request: Request) -> Emulator:
    """FastAPI dependency: the running `Emulator`.

    Async on purpose: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per request.
    """
    return emulator_of(request)


def route_template(request: Request) -> str:
    """The matched route's path template (`/cloud/{cloud_type}/{id}`), or the raw path as a fallback."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else route_path(request.scope)


def enforce_rate_limit(request: Request, emulator: Emulator, user: str, template: str | None = None) -> None:
    """Charge `user` one token for this route; raise the 429 in the route's error style when empty."""
    method = request.method
    decision = emulator.limiter.check(user, method, template or route_template(request))
    if decision is None:
        return
    if not decision.allowed:
        raise _too_many_requests(route_path(request.scope), decision, emulator)
    request.scope.setdefault("state", {})[RATELIMIT_STATE_KEY] = decision


def _too_many_requests(path: str, decision: Decision, emulator: Emulator) -> errors.EmulatorError:
    headers = decision.headers()
    if emulator.config.retry_after_on_429:
        headers["Retry-After"] = str(max(1, math.ceil(1 / decision.rate)))
    return errors.error_for_path(path, 429, "too_many_requests", "Too Many Requests", headers=headers)


async def authenticated(request: Request) -> Principal:
    """FastAPI dependency for CSPM routes: a valid `x-redlock-auth` JWT, then the rate limit."""
    emulator = emulator_of(request)
    try:
        principal = emulator.principal(request.headers.get("x-redlock-auth"))
    except TokenError as exc:
        raise errors.error_for_path(route_path(request.scope), 401, exc.i18n_key) from None
    enforce_rate_limit(request, emulator, principal.access_key_id)
    return principal


async def compute_authenticated(request: Request) -> Principal:
    """FastAPI dependency for Compute routes: `Authorization: Bearer <jwt>` (or `x-redlock-auth`)."""
    emulator = emulator_of(request)
    token = request.headers.get("x-redlock-auth")
    authorization = request.headers.get("authorization")
    if authorization and authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
    try:
        principal = emulator.principal(token)
    except TokenError as exc:
        raise errors.ComputeError(401, exc.i18n_key.replace("_", " ")) from None
    enforce_rate_limit(request, emulator, principal.access_key_id)
    return principal
