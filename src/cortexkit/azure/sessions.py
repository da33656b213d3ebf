"""One `AzureSession` per operator identity in a process, so a bulk's jobs and their steps sign in once.

Every step of a Cortex job used to build its own `AzureClient` and so sign in again (3 token requests a
job, 300 for a 100-row bulk, all for the same tenant and app). The steps now borrow the session of their
(cloud, tenant, app, secret, clock): one connection pool and one token cache, refreshed by one caller
when the token nears its end (`TokenCache` is single-flight). A job resumed in another process signs in
again there, which is fine. The secret is part of the key only as a keyed digest (the key lives in this
process's memory), so a row with another secret never borrows a token it could not have got itself.
"""

from __future__ import annotations

import hashlib
import secrets as _secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from cortexkit.azure.client import AzureSession, Revealable
from cortexkit.azure.endpoints import AzureEndpoints

MAX_SESSIONS = 256
"""Identities kept at once; the least recently used is dropped (not closed: a job may still hold it)."""

_DIGEST_KEY = _secrets.token_bytes(32)
_lock = threading.Lock()
_sessions: OrderedDict[tuple[Any, ...], AzureSession] = OrderedDict()


def _digest(secret: Revealable) -> str:
    return hashlib.blake2b(secret.reveal().encode(), key=_DIGEST_KEY, digest_size=16).hexdigest()


def shared_session(
    endpoints: AzureEndpoints,
    tenant_id: str,
    client_id: str,
    secret: Revealable,
    *,
    monotonic: Callable[[], float] = time.monotonic,
) -> AzureSession:
    """The process's session for this operator identity, made on first use."""
    key = (endpoints, tenant_id.lower(), client_id.lower(), _digest(secret), monotonic)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = AzureSession(endpoints, monotonic=monotonic)
            while len(_sessions) > MAX_SESSIONS:
                _sessions.popitem(last=False)
        else:
            _sessions.move_to_end(key)
        return session
