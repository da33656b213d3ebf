"""One rate budget per tenant and key, shared by every process on the machine (and, on Redis, every host).

The server counts all of a user's requests against one limit, whichever process sends them. A
`RateLimiter` per process paces that process alone, so N processes on one key send N times the limit. The
governor keeps the same token buckets (`ratelimit.Bucket`: the math stays pure, in one place) in a store
that every process reaches atomically:

* embedded default: a small JSON state file beside the token cache in the user cache dir, read, changed
  and replaced under an `fcntl.flock` (`governor_file.FileBucketStore`; no daemon to start);
* many hosts: Redis (`CORTEXKIT_GOVERNOR_URL=redis://...`), where a Lua script runs the same bucket math
  atomically on the server with the server's clock (`governor_redis.RedisBucketStore`).

A 429 seen by one process is written into the shared bucket, so every process slows down. When the store
cannot be read (a corrupt file, Redis down) the limiter warns once and falls back to the process's own
limiter: it never stops working or loses a call, and tries the shared store again after `RETRY_SHARED`.

`CORTEXKIT_GOVERNOR=off` (or `governor=False`) turns it off; `prisma_limiter` and `cortex_limiter` are the
factories the clients call.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from cortexkit import limits
from cortexkit.ratelimit import RateLimiter, _float, route_key, shared_limiter

log = logging.getLogger("cortexkit")

GOVERNOR_ENV = "CORTEXKIT_GOVERNOR"
GOVERNOR_URL_ENV = "CORTEXKIT_GOVERNOR_URL"
CACHE_DIR_ENV = "CORTEXKIT_CACHE_DIR"

CORTEX_RATE = 10.0
"""Cortex: "a limit of 10 API requests per second for each tenant. This includes all endpoints."."""
CORTEX_BURST = 10

RETRY_SHARED = 30.0
"""Seconds a limiter stays on its own buckets after the shared store failed, before trying it again."""

_OFF = frozenset({"off", "0", "false", "no", "disabled"})


Budget = tuple[str, float, int]
"""(bucket key, sustained rate, burst) of one request: where it draws from and what that bucket allows."""

Classifier = Callable[[str, str], Budget]


def prisma_budget(method: str, path: str) -> Budget:
    """Prisma counts per user and route: the documented figure of the route, else the default (the same
    choice `RateLimiter` makes for its own buckets)."""
    key = route_key(method, path)
    documented = limits.match_limit(method, path.split("?", 1)[0])
    if documented is not None:
        return key, documented.rate, documented.burst
    return key, limits.DEFAULT_RATE, limits.DEFAULT_BURST


def tenant_budget(rate: float, burst: int) -> Classifier:
    """One bucket for every route (Cortex: 10 requests per second per tenant, all endpoints)."""

    def classify(method: str, path: str) -> Budget:
        return TENANT_KEY, rate, burst

    return classify


TENANT_KEY = "tenant"


class TenantRateLimiter(RateLimiter):
    """The process's own limiter when the server counts every route together: one bucket for all."""

    def __init__(self, rate: float, burst: int) -> None:
        super().__init__(default_rate=rate, default_burst=burst)

    def reserve(self, method: str, path: str, now: float) -> float:
        return super().reserve("TENANT", "/", now)

    def release(self, method: str, path: str, now: float) -> None:
        super().release("TENANT", "/", now)

    def on_response(
        self, method: str, path: str, status: int, headers: Mapping[str, str], now: float
    ) -> None:
        super().on_response("TENANT", "/", status, headers, now)


class GovernorUnavailableError(Exception):
    """The shared store could not be read or written (corrupt state, I/O error, Redis down)."""


class Limiter(Protocol):
    """What a client drives: reserve a slot before sending, report the answer after."""

    def reserve(self, method: str, path: str, now: float) -> float: ...

    def release(self, method: str, path: str, now: float) -> None: ...

    def on_response(
        self, method: str, path: str, status: int, headers: Mapping[str, str], now: float
    ) -> None: ...


class BucketStore(Protocol):
    """Atomic read-change-write of shared buckets; the store's own clock, never the caller's."""

    description: str

    def reserve(self, key: str, rate: float, burst: int) -> float: ...

    def release(self, key: str, rate: float, burst: int) -> None: ...

    def respond(self, key: str, rate: float, burst: int, status: int, observed: Observed) -> None: ...


Observed = tuple[float | None, float | None, float | None]
"""(X-RateLimit-Replenish-Rate, -Burst-Capacity, -Remaining) as finite numbers, None when absent."""


def observed(headers: Mapping[str, str]) -> Observed:
    return (
        _float(headers.get("x-ratelimit-replenish-rate")),
        _float(headers.get("x-ratelimit-burst-capacity")),
        _float(headers.get("x-ratelimit-remaining")),
    )


def observed_headers(seen: Observed) -> dict[str, str]:
    """Back to header form, for `Bucket.observe`."""
    names = ("x-ratelimit-replenish-rate", "x-ratelimit-burst-capacity", "x-ratelimit-remaining")
    return {name: repr(value) for name, value in zip(names, seen, strict=True) if value is not None}


class SharedLimiter:
    """A `Limiter` over a shared store that fails open to the process's own limiter.

    Thread-safe: the store serialises its own calls; the fallback state is guarded by a lock.
    """

    def __init__(
        self,
        store: BucketStore,
        classify: Classifier,
        fallback: RateLimiter,
        *,
        clock: Callable[[], float] = time.monotonic,
        retry_shared: float = RETRY_SHARED,
    ) -> None:
        self.store = store
        self.classify = classify
        self.fallback = fallback
        self.clock = clock
        self.retry_shared = retry_shared
        self.throttled = 0
        self.waited = 0.0
        self.failures = 0
        self._down_until: float | None = None
        self._warned = False
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        """Whether calls go to the shared store now (False while failed open)."""
        with self._lock:
            return self._down_until is None or self.clock() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self.failures += 1
            self._down_until = self.clock() + self.retry_shared
            warn, self._warned = not self._warned, True
        if warn:
            log.warning(
                "the shared rate budget (%s) is unusable (%s); this process paces itself alone until it "
                "is back",
                self.store.description,
                exc,
            )

    def reserve(self, method: str, path: str, now: float) -> float:
        if self.shared:
            key, rate, burst = self.classify(method, path)
            try:
                wait = self.store.reserve(key, rate, burst)
            except GovernorUnavailableError as exc:
                self._failed(exc)
            else:
                self.waited += wait
                return wait
        return self.fallback.reserve(method, path, now)

    def release(self, method: str, path: str, now: float) -> None:
        """Give back a slot whose request will not be sent (its caller was cancelled while waiting)."""
        if self.shared:
            key, rate, burst = self.classify(method, path)
            try:
                self.store.release(key, rate, burst)
            except GovernorUnavailableError as exc:
                self._failed(exc)
            else:
                return
        self.fallback.release(method, path, now)

    def after_fork(self) -> None:
        """In a forked child: a fresh lock (a parent thread may have held this one at the fork)."""
        self._lock = threading.Lock()
        reset = getattr(self.store, "after_fork", None)
        if reset is not None:
            reset()

    def on_response(
        self, method: str, path: str, status: int, headers: Mapping[str, str], now: float
    ) -> None:
        if status == 429:
            self.throttled += 1
        if self.shared:
            key, rate, burst = self.classify(method, path)
            try:
                self.store.respond(key, rate, burst, status, observed(headers))
            except GovernorUnavailableError as exc:
                self._failed(exc)
            else:
                return
        self.fallback.on_response(method, path, status, headers, now)


# -- configuration -----------------------------------------------------------------------------------------


def enabled(governor: bool | None, env: Mapping[str, str] | None = None) -> bool:
    """The argument when given, else `CORTEXKIT_GOVERNOR` (on unless it says off)."""
    if governor is not None:
        return governor
    value = (os.environ if env is None else env).get(GOVERNOR_ENV, "").strip().lower()
    return value not in _OFF


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """`CORTEXKIT_CACHE_DIR` (tests, containers, one dir per "host") or the platform's user cache dir."""
    override = (os.environ if env is None else env).get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("cortexkit"))


def tenant_id(api_url: str, access_key_id: str) -> str:
    """A name for (tenant, key) safe to put in a file or Redis key: a hash, never the key itself."""
    material = f"{api_url.rstrip('/').lower()}\n{access_key_id}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


_STORES: dict[tuple[str, str, str], SharedLimiter] = {}
_STORES_LOCK = threading.Lock()


def _store(kind: str, tenant: str, governor_url: str | None, directory: Path | None) -> BucketStore:
    if governor_url:
        from cortexkit.governor_redis import RedisBucketStore

        return RedisBucketStore(governor_url, f"cortexkit:gov:{kind}:{tenant}")
    from cortexkit.governor_file import FileBucketStore

    return FileBucketStore(directory or cache_dir(), f"governor-{kind}-{tenant}")


def _limiter(  # noqa: PLR0917 - private, called from the two factories just below
    kind: str,
    api_url: str,
    access_key_id: str,
    classify: Classifier,
    fallback: RateLimiter,
    governor: bool | None,
    governor_url: str | None,
    directory: Path | None,
) -> Limiter:
    if not enabled(governor):
        return fallback
    url = governor_url if governor_url is not None else os.environ.get(GOVERNOR_URL_ENV) or None
    tenant = tenant_id(api_url, access_key_id)
    where = url or str(directory or cache_dir())
    key = (kind, tenant, where)
    with _STORES_LOCK:
        limiter = _STORES.get(key)
        if limiter is None:
            store = _store(kind, tenant, url, directory)
            limiter = _STORES[key] = SharedLimiter(store, classify, fallback)
        return limiter


def prisma_limiter(
    api_url: str,
    access_key_id: str,
    *,
    governor: bool | None = None,
    governor_url: str | None = None,
    directory: Path | None = None,
) -> Limiter:
    """The limiter a Prisma client uses: per-route documented budgets, shared across processes unless
    turned off; one object per process for each (tenant, key, store)."""
    fallback = shared_limiter(api_url, access_key_id)
    return _limiter(
        "prisma", api_url, access_key_id, prisma_budget, fallback, governor, governor_url, directory
    )


_CORTEX_FALLBACKS: dict[str, RateLimiter] = {}


def cortex_limiter(
    api_url: str,
    *,
    governor: bool | None = None,
    governor_url: str | None = None,
    directory: Path | None = None,
) -> Limiter:
    """The limiter a Cortex client uses: one tenant-wide bucket (10 requests/s, every endpoint), shared
    by every process and every API key of the tenant, because the server counts them together."""
    tenant_url = api_url.rstrip("/").lower()
    classify = tenant_budget(CORTEX_RATE, CORTEX_BURST)
    with _STORES_LOCK:
        fallback = _CORTEX_FALLBACKS.get(tenant_url)
        if fallback is None:
            fallback = _CORTEX_FALLBACKS[tenant_url] = TenantRateLimiter(CORTEX_RATE, CORTEX_BURST)
    return _limiter("cortex", tenant_url, "", classify, fallback, governor, governor_url, directory)


def _after_fork_in_child() -> None:
    global _STORES_LOCK  # noqa: PLW0603 - the module's lock itself must be replaced in the child
    _STORES_LOCK = threading.Lock()
    for limiter in _STORES.values():
        limiter.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
