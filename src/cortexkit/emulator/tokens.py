"""The emulator's own JWTs: HS256, claims `sub` (the access key id), `iat`, `exp`, `jti`.

Expiry is judged against the emulator clock, not PyJWT's wall clock, so the control plane can age tokens.
The signature check is cached per token string (the expensive part); the expiry check runs every time.
An extend issues a new token and leaves the old one valid until its own `exp`, which is what the real
service appears to do (its documentation is silent; clients must not depend on either behaviour).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt

from .clock import Clock

ALGORITHM = "HS256"


class TokenError(Exception):
    """A token that must be refused; `i18n_key` is what goes into `x-redlock-status`."""

    def __init__(self, i18n_key: str) -> None:
        super().__init__(i18n_key)
        self.i18n_key = i18n_key


@dataclass(frozen=True)
class Principal:
    """Who is calling: the access key behind a verified token, and that token's claims."""

    access_key_id: str
    claims: dict[str, Any]

    @property
    def expires_at(self) -> float:
        return float(self.claims["exp"])

    def __repr__(self) -> str:  # the claims are harmless, but keep reprs short and token-free
        return f"Principal(access_key_id={self.access_key_id!r}, jti={self.claims.get('jti')!r})"


class TokenIssuer:
    """Issues and verifies the emulator's JWTs; thread-safe, bounded verification cache."""

    def __init__(self, secret: str, clock: Clock, ttl: float, cache_size: int = 4096) -> None:
        self._secret = secret
        self._clock = clock
        self.ttl = ttl
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def issue(self, subject: str, extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """A new signed token for `subject` valid for `ttl` seconds of emulator time, and its claims."""
        now = self._clock.now()
        claims: dict[str, Any] = dict(extra or {})
        claims.update({"sub": subject, "iat": int(now), "exp": int(now + self.ttl), "jti": uuid.uuid4().hex})
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        self._remember(token, claims)
        return token, claims

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token; raises TokenError("invalid_token" | "token_expired")."""
        claims = self._cache.get(token)
        if claims is None:
            claims = self._decode(token)
            self._remember(token, claims)
        if self._clock.now() >= float(claims["exp"]):
            raise TokenError("token_expired")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False, "require": ["sub", "exp", "iat"]},
            )
        except jwt.PyJWTError:
            raise TokenError("invalid_token") from None
        if not isinstance(claims.get("exp"), int | float) or not isinstance(claims.get("sub"), str):
            raise TokenError("invalid_token")
        return claims

    def _remember(self, token: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._cache[token] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
