"""Cortex API keys: standard (the key itself in `Authorization`) or advanced (signed headers per attempt).

Pure: the nonce source and the clock are injected, so signing is tested byte for byte. The official Go SDK
(`internal/client/client.go`, `generateHeaders`) is the model: a 64-character nonce over a-zA-Z0-9 from a
CSPRNG, the Unix time in milliseconds as a decimal string, and `Authorization = hex(sha256(key + nonce +
timestamp))`. A new header set is made for every attempt, retries included: the server refuses a nonce it
has seen, and a timestamp outside its window.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Literal

KeyType = Literal["advanced", "standard"]
KEY_TYPES: tuple[KeyType, ...] = ("advanced", "standard")

NONCE_LENGTH = 64
NONCE_CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

AUTH_ID_HEADER = "x-xdr-auth-id"
NONCE_HEADER = "x-xdr-nonce"
TIMESTAMP_HEADER = "x-xdr-timestamp"
AUTHORIZATION_HEADER = "Authorization"
SENSITIVE_HEADERS = frozenset({"authorization", AUTH_ID_HEADER, NONCE_HEADER})
"""Never logged (the Go SDK's debug dump hides `Authorization` and `X-Xdr-Auth-Id` too)."""


def new_nonce(randbytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """64 characters from a-zA-Z0-9; the byte-modulo mapping of the Go SDK (its small bias is harmless)."""
    return "".join(NONCE_CHARSET[b % len(NONCE_CHARSET)] for b in randbytes(NONCE_LENGTH))


def now_ms(clock: Callable[[], float] = time.time) -> int:
    return int(clock() * 1000)


def signature(api_key: str, nonce: str, timestamp: str) -> str:
    """`hex(sha256(api_key + nonce + timestamp))`, lower-case, plain concatenation."""
    return hashlib.sha256(f"{api_key}{nonce}{timestamp}".encode()).hexdigest()


def parse_key_type(value: str | None) -> KeyType:
    """`advanced` (the default of the Go SDK and the Terraform provider) or `standard`, case-insensitive."""
    text = (value or "advanced").strip().lower()
    if text not in KEY_TYPES:
        raise ValueError(f"the API key type must be 'advanced' or 'standard', not {value!r}")
    return text


class Signer:
    """Builds the auth headers of one attempt. Holds the key; repr never shows it."""

    def __init__(
        self,
        api_key_id: int,
        api_key: str,
        key_type: KeyType = "advanced",
        *,
        wall_clock: Callable[[], float] = time.time,
        randbytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.api_key_id = api_key_id
        self._api_key = api_key
        self.key_type = key_type
        self._wall_clock = wall_clock
        self._randbytes = randbytes

    def headers(self) -> dict[str, str]:
        """A fresh header set: call once per attempt, never reuse one."""
        out = {AUTH_ID_HEADER: str(self.api_key_id)}
        if self.key_type == "standard":
            out[AUTHORIZATION_HEADER] = self._api_key
            return out
        nonce = new_nonce(self._randbytes)
        timestamp = str(now_ms(self._wall_clock))
        out[NONCE_HEADER] = nonce
        out[TIMESTAMP_HEADER] = timestamp
        out[AUTHORIZATION_HEADER] = signature(self._api_key, nonce, timestamp)
        return out

    def __repr__(self) -> str:
        return f"Signer(api_key_id={self.api_key_id}, key_type={self.key_type!r})"
