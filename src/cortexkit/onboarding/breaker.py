"""The outage circuit breaker a bulk's jobs share: pure decisions, no I/O, time from injected clocks.

A step that meets a 5xx or a connection failure tells the breaker. A few in a row (from any job) make the
API *suspect*, and one job runs a cheap read to confirm: if that probe fails too, the breaker opens and
every job pauses at its next step boundary or retry (`waiting`, with `reason()` in its record) instead of
failing. While open, one probe per `retry_interval` asks whether the API is back; the first that gets
through closes the breaker and the paused jobs carry on by themselves. After `budget` seconds open, the
paused jobs give up (`failed`, resumable) instead of waiting forever.

The probe is what tells an outage from one broken route: a route that keeps answering 503 while the
probe's read works leaves the breaker closed, and the step's own give-up applies as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

DEFAULT_THRESHOLD = 3
"""Consecutive failures (across the bulk's jobs) that make the API suspect and worth a confirming probe."""
DEFAULT_RETRY_INTERVAL = 30.0
"""Seconds between probes while the breaker is open."""
DEFAULT_BUDGET = 900.0
"""Seconds the breaker may stay open before the paused jobs end `failed` (15 min)."""


class Action(StrEnum):
    """What a job at a step boundary or retry should do next."""

    GO = "go"
    """The API is not known to be down: carry on."""
    PROBE = "probe"
    """This job (and only this one) runs the probe now and reports it with `probe_result`."""
    WAIT = "wait"
    """The API is down or being probed by another job: pause, ask again after `wait_hint()` seconds."""
    GIVE_UP = "give_up"
    """The outage outlasted the budget: end the job `failed` (it stays resumable)."""


@dataclass(frozen=True)
class Outage:
    """One opening of the breaker, as the paused jobs' records describe it."""

    cause: str
    """What the API did, as a verb phrase: "answered 503", "could not be reached"."""
    since_wall: float
    """Epoch seconds when the outage was confirmed (shown to the user in UTC)."""
    since: float
    """The same moment on the breaker's monotonic clock (the budget counts from it)."""


class OutageBreaker:
    """Thread-safe: every job of a bulk calls it from its own worker thread."""

    def __init__(
        self,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        budget: float = DEFAULT_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        if retry_interval <= 0 or budget < 0:
            raise ValueError("retry_interval must be positive and budget not negative")
        self.threshold = threshold
        self.retry_interval = retry_interval
        self.budget = budget
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._failures = 0
        self._last_cause = ""
        self._outage: Outage | None = None
        self._probing = False
        self._next_probe = 0.0
        self.outages: list[float] = []
        """How long each closed outage lasted (seconds), for the bulk's summary and the benchmarks."""
        self.probes = 0
        """Probes handed out (`Action.PROBE`), confirming ones included."""

    # --- what the jobs report -------------------------------------------------------------------------

    def failure(self, cause: str, *, confirm: bool = False) -> None:
        """A call failed with a 5xx or a connection failure. `confirm`: the step already gave up on it,
        so ask for a probe at once instead of waiting for `threshold` failures."""
        with self._lock:
            self._failures = max(self._failures + 1, self.threshold if confirm else 0)
            self._last_cause = cause

    def success(self) -> None:
        """A step finished: the failures before it were not an outage."""
        with self._lock:
            if self._outage is None:
                self._failures = 0

    def probe_result(self, ok: bool, cause: str = "") -> None:
        """The probe this job was told to run (`Action.PROBE`) succeeded or failed (and how)."""
        with self._lock:
            self._probing = False
            now = self._clock()
            if ok:
                if self._outage is not None:
                    self.outages.append(now - self._outage.since)
                self._outage = None
                self._failures = 0
                return
            self._next_probe = now + self.retry_interval
            if self._outage is None:
                self._outage = Outage(cause or self._last_cause or "failed", self._wall(), now)

    # --- what the jobs ask ----------------------------------------------------------------------------

    def next_action(self) -> Action:
        """What a job should do now; `PROBE` is handed to one caller at a time."""
        with self._lock:
            now = self._clock()
            if self._outage is None and self._failures < self.threshold:
                return Action.GO
            if self._probing:
                return Action.WAIT
            if self._outage is None or now >= self._next_probe:
                self._probing = True
                self.probes += 1
                return Action.PROBE
            if now - self._outage.since >= self.budget:
                return Action.GIVE_UP
            return Action.WAIT

    def wait_hint(self) -> float:
        """Seconds until asking again is worth it (the next probe, at most a second while one runs)."""
        with self._lock:
            if self._outage is None or self._probing:
                return min(1.0, self.retry_interval)
            return max(0.0, min(self._next_probe - self._clock(), self.retry_interval))

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._outage is not None

    @property
    def outage(self) -> Outage | None:
        with self._lock:
            return self._outage

    def reason(self) -> str:
        """Why the jobs wait, for their records: "the API answered 503 since 12:04:05 UTC; ..."."""
        with self._lock:
            outage = self._outage
        if outage is None:
            return "the API is being checked after failed calls"
        since = datetime.fromtimestamp(outage.since_wall, UTC).strftime("%H:%M:%S")
        return (
            f"the API {outage.cause} since {since} UTC; retrying every {self.retry_interval:g} s "
            f"(giving up after {_duration(self.budget)})"
        )

    def give_up_reason(self) -> str:
        """The cause a job that ran out of outage budget ends `failed` with."""
        with self._lock:
            outage = self._outage
        cause = outage.cause if outage else "was unavailable"
        since = (
            " since " + datetime.fromtimestamp(outage.since_wall, UTC).strftime("%H:%M:%S") + " UTC"
            if outage
            else ""
        )
        return (
            f"the API {cause}{since}, longer than the outage budget ({_duration(self.budget)}); "
            "the job stopped before its next call: 'cortexkit onboard resume --all' carries it on"
        )


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
