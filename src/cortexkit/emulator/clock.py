"""The emulator's notion of time: the real clock plus an offset the control plane can advance.

Token expiry, rate-limit refills and the Azure status timeline all read this clock, so a test can jump
ten minutes ahead with `POST /_emulator/clock` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Anything with `now()` in epoch seconds; the pure policies take this, tests pass a fake."""

    def now(self) -> float: ...


class EmulatorClock:
    """Wall-clock time shifted by an offset that only grows (time never runs backwards for clients)."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._source() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds` (>= 0) and return the new now()."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


class ManualClock:
    """A clock that moves only when told to: for unit tests of the time-based policies."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now += seconds
        return self._now
