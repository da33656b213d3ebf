"""Request counters for `GET /_emulator/stats`: tests and benchmarks read what the client really did."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counts by route template and status, plus the auth and fault events tests assert on.

    Counter updates happen on the event loop thread; the lock only guards snapshots taken from
    other threads (a test reading `emulator.stats` in-process).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.logins = 0
        self.failed_logins = 0
        self.extends = 0
        self.unauthorized = 0
        self.throttled = 0
        self.faults: Counter[str] = Counter()

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self.requests[(route, status)] += 1
            if status == 401:
                self.unauthorized += 1
            elif status == 429:
                self.throttled += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def count(self, route: str, status: int | None = None) -> int:
        """Requests seen for `route` ("GET /cloud"), optionally only those answered with `status`."""
        with self._lock:
            return sum(n for (r, s), n in self.requests.items() if r == route and status in (None, s))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_route: dict[str, dict[str, int]] = {}
            for (route, status), n in sorted(self.requests.items()):
                by_route.setdefault(route, {})[str(status)] = n
            return {
                "requests": by_route,
                "total": sum(self.requests.values()),
                "logins": self.logins,
                "failed_logins": self.failed_logins,
                "extends": self.extends,
                "unauthorized": self.unauthorized,
                "throttled": self.throttled,
                "faults": dict(sorted(self.faults.items())),
                "faults_injected": sum(self.faults.values()),
            }
