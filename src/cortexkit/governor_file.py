"""The embedded governor store: bucket state in a small JSON file, changed under an exclusive `flock`.

Every call locks `<name>.lock`, reads `<name>.json`, runs the pure `ratelimit.Bucket` math with the wall
clock (the one clock all processes share) and, when the state changed, writes a temporary file and renames
it over the old one, so a reader never sees half a state and a process killed mid-write leaves the old one.
The OS drops a flock when its holder dies (even by kill -9), so a dead process never blocks the others.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from cortexkit.governor import GovernorUnavailableError, Observed, observed_headers
from cortexkit.ratelimit import Bucket

_FIELDS = tuple(f.name for f in fields(Bucket))
VERSION = 1


def _bucket(data: Any) -> Bucket:
    """A bucket from its stored form; anything else is a corrupt state."""
    if not isinstance(data, dict) or set(data) != set(_FIELDS):
        raise ValueError("a bucket entry has the wrong fields")
    for name in _FIELDS:
        value = data[name]
        if name == "throttled_at" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"bucket field {name} is not a number")
    return Bucket(**data)


class FileBucketStore:
    """Shared buckets of one (tenant, key) in `directory/<name>.json`. Thread- and fork-safe."""

    def __init__(self, directory: Path, name: str, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.path = self.directory / f"{name}.json"
        self.lock_path = self.directory / f"{name}.lock"
        self.description = f"file {self.path}"
        self.clock = clock
        self._thread_lock = threading.Lock()  # flock is per open file: threads need their own lock
        self._fd: int | None = None
        self._pid = 0

    def _lock_fd(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child must not share our lock
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            try:
                fd = self._lock_fd()
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                raise GovernorUnavailableError(f"cannot lock {self.lock_path}: {exc.strerror}") from exc
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def load(self) -> dict[str, Bucket]:
        """The stored buckets ({} when there is no state yet). Raises on an unreadable or corrupt one."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise GovernorUnavailableError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("not a cortexkit governor state")
            buckets = data["buckets"]
            if not isinstance(buckets, dict):
                raise ValueError("buckets is not an object")
            return {str(k): _bucket(v) for k, v in buckets.items()}
        except (ValueError, KeyError, TypeError) as exc:
            self._set_aside()
            raise GovernorUnavailableError(f"{self.path} is corrupt ({exc}); set aside") from exc

    def _set_aside(self) -> None:
        """Move a corrupt state out of the way, so the next call starts a fresh shared budget."""
        with contextlib.suppress(OSError):
            os.replace(self.path, self.path.with_suffix(".corrupt"))

    def save(self, buckets: dict[str, Bucket]) -> None:
        body = json.dumps({"version": VERSION, "buckets": {k: _fields(b) for k, b in buckets.items()}})
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(body)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise GovernorUnavailableError(f"cannot write {self.path}: {exc.strerror}") from exc

    def _get(self, buckets: dict[str, Bucket], key: str, rate: float, burst: int, now: float) -> Bucket:
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = Bucket.create(rate, burst, now)
        return bucket

    def reserve(self, key: str, rate: float, burst: int) -> float:
        with self._locked():
            buckets = self.load()
            now = self.clock()
            wait = self._get(buckets, key, rate, burst, now).reserve(now)
            self.save(buckets)
            return wait

    def release(self, key: str, rate: float, burst: int) -> None:
        with self._locked():
            buckets = self.load()
            now = self.clock()
            self._get(buckets, key, rate, burst, now).release(now)
            self.save(buckets)

    def after_fork(self) -> None:
        """In a forked child: a fresh thread lock (the descriptor is reopened by the pid check)."""
        self._thread_lock = threading.Lock()

    def respond(self, key: str, rate: float, burst: int, status: int, observed: Observed) -> None:
        with self._locked():
            buckets = self.load()
            now = self.clock()
            bucket = self._get(buckets, key, rate, burst, now)
            before = _fields(bucket)
            bucket.observe(observed_headers(observed), now)
            if status == 429:
                bucket.throttled(now)
            if _changed(before, _fields(bucket)):
                self.save(buckets)

    def clear(self) -> None:
        """Forget the shared state (a fresh budget for the next call)."""
        with self._locked(), contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _fields(bucket: Bucket) -> dict[str, Any]:
    """A shallow copy of the bucket's fields (`asdict` deep-copies, and it ran twice per request)."""
    return dict(vars(bucket))


def _changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a response changed more than the refill (which the next call recomputes anyway)."""
    ignore = ("tokens", "updated")
    if any(before[k] != after[k] for k in before if k not in ignore):
        return True
    # Tokens moved by more than the refill: the server's Remaining header cut them.
    return bool(after["tokens"] < before["tokens"])
