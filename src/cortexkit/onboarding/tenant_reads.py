"""Reads every job of a bulk makes alike, made once per runner and tenant instead of once per job.

A bulk of 1,000 subscriptions on one tenant asked Prisma 1,000 times for the same account-group names and
1,000 times for the same supported features: a third of its API calls, none telling the next job anything
new. The runner keeps one `TenantReads` per profile; the first job reads, the jobs that ask meanwhile wait
for that answer (single-flight), and it is kept for `ttl` seconds. A failure is never kept (each job then
meets the API itself, through the breaker), and a kept answer the caller finds lacking (`enough` says no:
a group id not in it) is read again before a job fails on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

TTL_SECONDS = 60.0
"""How long an answer is reused: short enough that a change made in the console shows up within a bulk."""


class TenantReads:
    """Kept answers by key. Thread-safe; one lock per key, so one slow read never blocks another key."""

    def __init__(self, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._answers: dict[Hashable, tuple[float, object]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: Hashable, fetch: Callable[[], T], *, enough: Callable[[T], bool] | None = None) -> T:
        """The kept answer for `key` while younger than `ttl` and, with `enough`, while `enough(answer)`
        holds (the bulk's answer may predate a group created a moment ago), else `fetch()`, kept when it
        returns. An answer this call fetched is returned as it is: reading it twice would say the same."""
        with self._key_lock(key):
            kept = self._answers.get(key)
            if kept is not None and self.clock() - kept[0] < self.ttl:
                answer: T = kept[1]  # type: ignore[assignment]  # stored by this same key's fetch
                if enough is None or enough(answer):
                    return answer
            value = fetch()
            self._answers[key] = (self.clock(), value)
            return value
