"""Opaque, tamper-evident page tokens.

A token carries everything needed to continue a listing (filters, sort, limit, resolved time window,
cursor), so a follow-up request with only `{"pageToken": ...}` continues correctly, as prismacloud-api
pages. It is `base64url(json) + "." + base64url(hmac-sha256)`; a token edited by hand, cut short or minted
by another emulator instance fails the MAC and is refused with 400.

Tokens are padded to at least `MIN_TOKEN_CHARS` (8 KB), because the real ones are that long: they encode
the whole original query and reach tens of KB (elastic/integrations PR 20978 saw ~43 kB), so a follow-up
page asked with GET and the token in the URL fails (413, prisma.pan.dev issue 279). Short tokens would
hide that from the clients tested here; `middleware.MAX_GET_URL` answers such a GET with 413.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from typing import Any

MIN_TOKEN_CHARS = 8192
PAD_KEY = "_"


class PageTokenError(ValueError):
    """The token is malformed, forged or was issued for another listing."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PageTokenCodec:
    """Signs and checks page tokens with a per-instance key; `kind` keeps listings' tokens apart."""

    def __init__(self, key: bytes, min_chars: int = MIN_TOKEN_CHARS) -> None:
        self._key = key
        self._min_chars = min_chars

    def _sealed(self, content: dict[str, Any]) -> str:
        body = json.dumps(content, separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:18]
        return f"{_b64(body)}.{_b64(mac)}"

    def encode(self, kind: str, payload: dict[str, Any]) -> str:
        content = {"k": kind, **payload}
        token = self._sealed(content)
        short = self._min_chars - len(token)
        if short > 0:
            # Signed filler (part of the MAC'd body), as opaque as the rest: hex of a keyed hash chain.
            seed = hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()
            filler = (seed * math.ceil(short / len(seed) + 1))[: math.ceil(short * 3 / 4)]
            token = self._sealed({**content, PAD_KEY: filler})
        return token

    def decode(self, kind: str, token: str) -> dict[str, Any]:
        try:
            body_part, mac_part = token.split(".", 1)
            body = _unb64(body_part)
            mac = _unb64(mac_part)
        except (ValueError, TypeError):
            raise PageTokenError("malformed page token") from None
        expected = hmac.new(self._key, body, hashlib.sha256).digest()[:18]
        if not hmac.compare_digest(mac, expected):
            raise PageTokenError("page token signature does not match")
        try:
            payload = json.loads(body)
        except ValueError:
            raise PageTokenError("malformed page token") from None
        if not isinstance(payload, dict) or payload.pop("k", None) != kind:
            raise PageTokenError("page token belongs to another listing")
        payload.pop(PAD_KEY, None)
        return payload
