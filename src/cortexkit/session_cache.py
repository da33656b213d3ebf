"""The token cache: one Prisma session (JWT) per API URL and access key, shared by consecutive and
concurrent processes, as `az` and the AWS SSO cache share theirs.

* Where: `session-<hash>.bin` in the user cache dir (beside the governor state), mode 0600; the name is a
  hash of the API URL and the access key id, never the key or the secret.
* How it is kept: Fernet-encrypted (`cryptography`). The key lives in the OS keyring when a usable one
  exists; otherwise in `token-cache.key` (0600) in the config dir, which keeps the token out of a copied
  or backed-up cache dir but not from a local attacker running as the user. Whether a keyring exists is
  probed once a day (the probe costs a CLI command up to a second), and remembered in the cache dir.
* Single flight: a process that must log in or extend takes `session-<hash>.lock` (`fcntl.flock`), then
  looks at the cache again; if another process refreshed meanwhile it adopts that token instead of
  logging in. The OS drops a flock when its holder dies, even by kill -9.
* A token the server refused (401) is never adopted again by the process that saw the 401; the one that
  holds the lock next drops it from the cache and logs in, the others adopt the new one.
* Fail open: an unreadable, corrupt or undecryptable cache is ignored with one warning (the process logs
  in on its own); the cache never stops a call.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortexkit._redact import Secret
from cortexkit.auth import Token
from cortexkit.governor import _OFF, cache_dir, tenant_id
from cortexkit.keyring_probe import MARKER_NAME, usable_keyring
from cortexkit.private_files import create_exclusive

log = logging.getLogger("cortexkit")

KEYRING_SERVICE = "cortexkit"
KEYRING_USER = "token-cache-key"
LOCK_WAIT = 30.0
"""Seconds a process waits for another's login or extend before it gives up on the cache and logs in."""
POLL = 0.02
"""Seconds between two tries of a busy refresh lock."""


@dataclass(frozen=True)
class CachedToken:
    """A token and the wall-clock time its login or extend request was sent. `repr` hides the value."""

    value: str
    sent_at: float  # epoch seconds
    secret_check: str = ""  # `secret_check()` of the secret key that logged in ("" when unknown)

    def __repr__(self) -> str:
        return f"CachedToken(value='***', sent_at={self.sent_at:.3f})"


def secret_check(secret: str) -> str:
    """Which secret key a cached token belongs to, kept inside the encrypted file: a process whose secret
    differs (a wrong or rotated one) logs in itself instead of riding on another's session."""
    return hashlib.sha256(b"cortexkit token cache\0" + secret.encode()).hexdigest()


def fingerprint(value: str) -> str:
    """A token's identity without the token (for the refused set and logs)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


# -- the encryption key -------------------------------------------------------------------------------


class _Keys:
    """The Fernet key, found once per process."""

    def __init__(self) -> None:
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def get(self, directory: Path) -> bytes:
        with self._lock:
            if self._key is None:
                self._key = _load_key(directory)
            return self._key


def _load_key(directory: Path) -> bytes:
    """The Fernet key: from the OS keyring when one is usable, else from a 0600 file in the config dir.
    Processes that start together agree on one key: the first to create it wins, the others read it."""
    from cryptography.fernet import Fernet

    marker = directory / MARKER_NAME
    backend = usable_keyring(marker)
    if backend is not None:
        try:
            stored = backend.get_password(KEYRING_SERVICE, KEYRING_USER)
            if stored:
                return str(stored).encode()
            backend.set_password(KEYRING_SERVICE, KEYRING_USER, Fernet.generate_key().decode())
            return str(backend.get_password(KEYRING_SERVICE, KEYRING_USER)).encode()  # the last writer's
        except Exception as exc:  # a locked or broken keyring: fall back to the key file
            log.debug("keyring unusable for the token cache key: %s", type(exc).__name__)
    from cortexkit.credentials import config_dir, write_private

    path = config_dir() / "token-cache.key"
    key = _read_key(path)
    if key is not None:
        return key
    key = Fernet.generate_key()
    if not path.exists():
        if create_exclusive(path, key):
            return key
        return _read_key(path) or key  # another process created it first: use theirs
    write_private(path, key.decode())  # a damaged key file: replace it
    return key


def _read_key(path: Path) -> bytes | None:
    try:
        key = path.read_bytes().strip()
        base64.urlsafe_b64decode(key)
    except (OSError, ValueError):
        return None
    return key if len(key) == 44 else None


_KEYS = _Keys()


def _after_fork_in_child() -> None:
    _KEYS._lock = threading.Lock()  # a parent thread may have held it at the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# -- the cache ---------------------------------------------------------------------------------------


class TokenCacheError(Exception):
    """The cache could not be used (I/O, corrupt, undecryptable); callers fail open."""


class TokenCache:
    """The cached session of one (API URL, access key id). Thread- and fork-safe."""

    def __init__(
        self,
        api_url: str,
        access_key_id: str,
        *,
        directory: Path | None = None,
        key: Callable[[Path], bytes] | None = None,
    ) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()
        name = f"session-{tenant_id(api_url, access_key_id)}"
        self.path = self.directory / f"{name}.bin"
        self.lock_path = self.directory / f"{name}.lock"
        self._key = key or _KEYS.get
        self._warned = False

    def _fernet(self) -> Any:
        from cryptography.fernet import Fernet

        return Fernet(self._key(self.directory))

    def warn_once(self, what: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("the session token cache is unusable (%s); logging in without it", what)

    def load(self) -> CachedToken | None:
        """The cached token, or None when there is none. Raises TokenCacheError when it is unreadable."""
        from cryptography.fernet import InvalidToken

        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenCacheError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            data = json.loads(self._fernet().decrypt(blob))
            token = CachedToken(str(data["token"]), float(data["sent_at"]), str(data.get("check", "")))
        except InvalidToken:
            # Another key (a new keyring entry, a deleted key file): not damage, just unusable; forget it.
            log.debug("token cache encrypted with another key; ignoring it")
            self.clear()
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenCacheError(f"{self.path} is corrupt") from exc
        return token if token.value else None

    def store(self, value: str, sent_at: float, check: str = "") -> None:
        """Keep a token whose login or extend request was sent at `sent_at` (epoch seconds)."""
        from cortexkit.credentials import write_private

        body = json.dumps({"token": value, "sent_at": sent_at, "check": check}).encode()
        try:
            write_private(self.path, self._fernet().encrypt(body).decode())
        except OSError as exc:
            raise TokenCacheError(f"cannot write {self.path}: {exc.strerror}") from exc

    def clear(self) -> bool:
        """Forget the cached token; True when there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise TokenCacheError(f"cannot remove {self.path}: {exc.strerror}") from exc
        return True

    def try_acquire(self) -> int | None:
        """Take the cross-process refresh lock if it is free: its descriptor (for `release`), else None.

        Each call opens its own descriptor, and flocks on different open files exclude each other even
        within one process, so threads, tasks and processes all queue on the same lock.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise TokenCacheError(f"cannot open {self.lock_path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            raise TokenCacheError(f"cannot lock {self.lock_path}: {exc.strerror}") from exc
        return fd

    def acquire(self) -> int:
        """Take the cross-process refresh lock, waiting as long as it takes (tests and tools)."""
        while True:
            fd = self.try_acquire()
            if fd is not None:
                return fd
            time.sleep(POLL)

    @staticmethod
    def release(fd: int) -> None:
        os.close(fd)  # closing the descriptor releases the flock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        fd = self.acquire()
        try:
            yield
        finally:
            self.release(fd)


def clear_all(directory: Path | None = None) -> int:
    """Remove every cached session in the cache dir (`cortexkit auth logout --all`); how many there were."""
    where = Path(directory) if directory is not None else cache_dir()
    removed = 0
    for path in where.glob("session-*.bin"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


class SharedSession:
    """What a client does around a refresh when its session is shared through a `TokenCache`.

    The client calls `candidate` and `remember` while it holds `cache.acquire()`: pure decisions over the
    cache's content, with the client's clock for token times and the wall clock for the file.
    """

    def __init__(
        self,
        cache: TokenCache,
        clock: Callable[[], float],
        wall: Callable[[], float] = time.time,
        *,
        secret: Secret | str | None = None,
    ) -> None:
        self.cache = cache
        plain = secret.get_secret_value() if isinstance(secret, Secret) else secret
        self.check = secret_check(plain) if plain else ""
        self.clock = clock
        self.wall = wall
        self.refused: set[str] = set()
        self.adopted = 0

    def to_local(self, sent_wall: float) -> float:
        return self.clock() - (self.wall() - sent_wall)

    def to_wall(self, sent_local: float) -> float:
        return self.wall() - (self.clock() - sent_local)

    def candidate(self, current: Token | None) -> tuple[str, float] | None:
        """A token another process cached that is better than `current` (usable, and newer), as
        (value, sent_at on the client's clock); None means: refresh yourself. A token this process saw
        refused is dropped from the cache here."""
        try:
            cached = self.cache.load()
        except TokenCacheError as exc:
            self.cache.warn_once(str(exc))
            return None
        if cached is None:
            return None
        if fingerprint(cached.value) in self.refused:
            try:
                self.cache.clear()
            except TokenCacheError as exc:
                self.cache.warn_once(str(exc))
            return None
        if current is not None and cached.value == current.value:
            return None
        if self.check and cached.secret_check != self.check:
            return None  # logged in with another secret key: this one must prove itself
        sent_local = self.to_local(cached.sent_at)
        token = Token.received(cached.value, sent_local)
        if not token.usable(self.clock()):
            return None
        if current is not None and token.expires_at <= current.expires_at:
            return None
        self.adopted += 1
        return cached.value, sent_local

    def remember(self, value: Secret | str, sent_local: float) -> None:
        """Cache a token this process obtained (its request sent at `sent_local` on the client's clock)."""
        plain = value.get_secret_value() if isinstance(value, Secret) else value
        try:
            self.cache.store(plain, self.to_wall(sent_local), self.check)
        except TokenCacheError as exc:
            self.cache.warn_once(str(exc))

    def refused_token(self, token: Token | None) -> None:
        """The server answered 401 to `token`: never adopt it again."""
        if token is not None:
            self.refused.add(fingerprint(token.value))

    def _try(self) -> tuple[bool, int | None]:
        """(done, descriptor): done with no descriptor means the cache is unusable (warned once)."""
        try:
            fd = self.cache.try_acquire()
        except TokenCacheError as exc:
            self.cache.warn_once(str(exc))
            return True, None
        return fd is not None, fd

    def _gave_up(self, waited: float) -> None:
        log.warning(
            "another process has held the session refresh lock for %.0f s; logging in without waiting", waited
        )

    def acquire(self, budget: float | None = None) -> int | None:
        """The refresh lock, or None (fail open: unusable cache, or held longer than `LOCK_WAIT` or the
        caller's `budget`), in which case the caller refreshes on its own."""
        limit = LOCK_WAIT if budget is None else max(0.0, min(budget, LOCK_WAIT))
        start = time.monotonic()
        while True:
            done, fd = self._try()
            if done:
                return fd
            waited = time.monotonic() - start
            if waited >= limit:
                self._gave_up(waited)
                return None
            time.sleep(POLL)

    async def acquire_async(self, budget: float | None = None) -> int | None:
        """`acquire` for an event loop: polls with `asyncio.sleep`, so a cancelled caller holds nothing."""
        import asyncio

        limit = LOCK_WAIT if budget is None else max(0.0, min(budget, LOCK_WAIT))
        start = time.monotonic()
        while True:
            done, fd = self._try()
            if done:
                return fd
            waited = time.monotonic() - start
            if waited >= limit:
                self._gave_up(waited)
                return None
            await asyncio.sleep(POLL)

    def release(self, fd: int | None) -> None:
        if fd is not None:
            self.cache.release(fd)


SESSION_CACHE_ENV = "CORTEXKIT_SESSION_CACHE"


def shared_session(
    api_url: str,
    access_key_id: str,
    setting: bool | TokenCache,
    clock: Callable[[], float],
    secret: Secret | str | None = None,
) -> SharedSession | None:
    """What a client with `session_cache=setting` shares, or None: `CORTEXKIT_SESSION_CACHE=off` turns it
    off, and without the `cryptography` package (never a token in clear text) there is no cache."""
    if not setting or os.environ.get(SESSION_CACHE_ENV, "").strip().lower() in _OFF:
        return None
    try:
        import cryptography  # noqa: F401
    except ImportError:
        log.warning("the session token cache needs the cryptography package; logging in without it")
        return None
    cache = setting if isinstance(setting, TokenCache) else TokenCache(api_url, access_key_id)
    return SharedSession(cache, clock, secret=secret)
