"""Checking a Cortex API key on a request: standard or advanced, clock window, single-use nonces.

Pure apart from the nonce memory it owns: the wall time is passed in. Every refusal is the same 401
(`Public API request unauthorized`, as the real API answers a key-type mismatch); the reason is kept for
the emulator's stats only, never sent.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping

NONCE_LENGTH = 64


class NonceMemory:
    """Nonces seen inside the window; a nonce is refused while it is remembered."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, now: float, keep_for: float) -> bool:
        """Record `nonce`; False when it was already used inside the window."""
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {n: t for n, t in self._seen.items() if t > now}
            expires = self._seen.get(nonce)
            if expires is not None and expires > now:
                return False
            self._seen[nonce] = now + keep_for
            return True


def check_key(
    headers: Mapping[str, str],
    *,
    key_id: int,
    key: str,
    key_type: str,
    now: float,
    skew: float,
    nonces: NonceMemory,
) -> str | None:
    """None when the request is signed right, else the reason (for stats): `missing_id`, `wrong_id`,
    `wrong_type`, `stale_timestamp`, `bad_signature`, `replayed_nonce`, `wrong_key`."""
    get = {k.lower(): v for k, v in headers.items()}.get
    auth_id = (get("x-xdr-auth-id") or "").strip()
    if not auth_id:
        return "missing_id"
    if auth_id != str(key_id):
        return "wrong_id"
    authorization = get("authorization") or ""
    nonce, timestamp = get("x-xdr-nonce"), get("x-xdr-timestamp")
    if key_type == "standard":
        if nonce or timestamp:
            return "wrong_type"
        return None if hmac.compare_digest(authorization.encode(), key.encode()) else "wrong_key"
    if not nonce or not timestamp:
        return "wrong_type"
    try:
        stamp_ms = int(timestamp)
    except ValueError:
        return "stale_timestamp"
    if abs(now * 1000 - stamp_ms) > skew * 1000:
        return "stale_timestamp"
    expected = hashlib.sha256(f"{key}{nonce}{timestamp}".encode()).hexdigest()
    if not hmac.compare_digest(authorization.lower().encode(), expected.encode()):
        return "bad_signature" if len(authorization) == 64 else "wrong_type"
    if len(nonce) != NONCE_LENGTH:
        return "bad_signature"
    if not nonces.use(nonce, now, 2 * skew):
        return "replayed_nonce"
    return None
