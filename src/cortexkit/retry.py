"""Retry policy: which outcomes are retried, how long to wait, when to give up.

Pure: no I/O, no sleeping, the clock and the random source are injected, so the policy is tested with a
fake clock and a fixed RNG. `Client` and `AsyncClient` run the same object.

Idempotency decides what a failure means:

* Reads (GET, HEAD, OPTIONS), DELETE, PUT (a full replacement by id, e.g. `PUT /cas/v1/azure_account/{id}`:
  sending the same body twice leaves the same state) and the read-only POSTs listed in `READ_ONLY_POSTS`
  are retried on 429, 500, 502, 503, 504 and every transport error.
* Creating or changing POSTs (`/cas/v1/azure_account`, `/cloud/azure`, `/alert/dismiss`, ...) are
  retried only when the request surely had no effect: a 429 (rejected before processing) or a connection
  that failed before anything was sent. Any other failure (5xx, a timeout after sending, a dropped
  connection) means the outcome is unknown: the client raises `OutcomeUnknownError`; the caller reconciles
  (e.g. looks the account up) instead of risking a duplicate.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

READ_ONLY_POSTS: tuple[str, ...] = (
    r"/login",
    r"/alert",
    r"/v2/alert",
    r"/alert/count(/[^/]+)?",
    r"/filter/alert/suggest",
    # RQL searches only read; three /search routes create or save something and are NOT here:
    # /search/config/jobs (a CSV job), /search/api/v1/config/async (an async search), /search/history/{id}.
    r"/search",
    r"/search/suggest",
    r"/search/config(/page)?",
    r"/search/event(/page|/aggregate|/filtered|/filtered/download)?",
    r"/search/api/v\d+/config(/(?!async/?$)[^/]+)?",
    r"/audit/api/v1/log",
    r"/audit/api/v1/filter/suggest",
    r"/cas/v1/features(/.*)?",
    r"/cas/v1/azure_template",
    r"/cas/v1/cloud_account/status(/.*)?",
    r"/cloud/status/[^/]+",
    r"/api/v\d+(\.\d+)*/authenticate",
)
"""POST routes that only read (or, for /login, only mint a token): safe to send again."""

_READ_ONLY_RE = re.compile("^(?:" + "|".join(READ_ONLY_POSTS) + ")/?$")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})


def is_idempotent(method: str, path: str) -> bool:
    """Whether sending this request twice is harmless (see the module docstring)."""
    method = method.upper()
    if method in _SAFE_METHODS:
        return True
    if method == "POST":
        return _READ_ONLY_RE.match(path.split("?", 1)[0]) is not None
    return False  # PATCH and anything unknown


class Failure(Enum):
    """Transport failures, by what they say about the request."""

    NOT_SENT = "not_sent"  # connect refused/timeout, pool timeout: nothing reached the server
    MAYBE_SENT = "maybe_sent"  # read timeout, reset, protocol error: the server may have acted
    FATAL = "fatal"  # cannot succeed by waiting (untrusted certificate, bad URL): never retried


MAX_RETRY_AFTER = 120.0
"""A Retry-After above this is treated as this (a server asking for an hour is not a transient fault)."""


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None if unusable.

    Negative, non-finite and garbage values are ignored; a date in the past means "now" (0).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        delta = when.timestamp() - now
    except (OverflowError, OSError, ValueError):
        return None
    return max(0.0, delta)


@dataclass(frozen=True)
class RetryConfig:
    """Tunables; the defaults follow the API guidance (exponential backoff on 429 and 5xx)."""

    max_attempts: int = 6
    deadline: float | None = 180.0  # seconds for all attempts of one call, None for no limit
    base: float = 1.0
    cap: float = 32.0
    max_retry_after: float = MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("need 0 < base <= cap")


class Verdict(Enum):
    RETRY = "retry"
    RAISE = "raise"  # give up and raise the error the outcome maps to
    UNKNOWN = "unknown"  # give up and raise OutcomeUnknownError (a changing call that may have acted)


@dataclass(frozen=True)
class RetryDecision:
    verdict: Verdict
    delay: float = 0.0
    reason: str = ""


class RetryPolicy:
    """Decides, after each attempt, whether and when to try again."""

    def __init__(
        self,
        config: RetryConfig | None = None,
        *,
        rng: Callable[[], float] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or RetryConfig()
        self._rng = rng or random.random
        self._wall = wall  # epoch seconds: a Retry-After HTTP date is wall-clock time, not monotonic

    def backoff(self, attempt: int) -> float:
        """Full jitter over 1, 2, 4, ... capped: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        ceiling = min(self.config.cap, math.ldexp(self.config.base, min(max(attempt - 1, 0), 62)))
        return self._rng() * ceiling

    def decide(
        self,
        *,
        attempt: int,
        started: float,
        now: float,
        idempotent: bool,
        status: int | None = None,
        failure: Failure | None = None,
        retry_after: str | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
    ) -> RetryDecision:
        """After attempt number `attempt` (1-based) ended with `status` or `failure`.

        `started` and `now` are monotonic; `max_attempts` and `deadline` narrow the configured ones for
        one call (a proactive extend's short budget, a caller's `max_retries=`).
        """
        if status is not None and status not in RETRY_STATUSES:
            return RetryDecision(Verdict.RAISE, reason=f"status {status} is final")
        if failure is Failure.FATAL:
            return RetryDecision(Verdict.RAISE, reason="failure is not transient")
        surely_no_effect = status == 429 or failure is Failure.NOT_SENT
        if not idempotent and not surely_no_effect:
            return RetryDecision(Verdict.UNKNOWN, reason="changing call may have taken effect")
        limit = (
            self.config.max_attempts if max_attempts is None else min(max_attempts, self.config.max_attempts)
        )
        if attempt >= limit:
            return RetryDecision(Verdict.RAISE, reason=f"gave up after {attempt} attempts")
        delay = self.backoff(attempt)
        hinted = parse_retry_after(retry_after, self._wall()) if status is not None else None
        if hinted is not None:
            delay = min(hinted, self.config.max_retry_after)
        deadline = self.effective_deadline(deadline)
        if deadline is not None and now + delay - started > deadline:
            return RetryDecision(Verdict.RAISE, reason="deadline exceeded")
        return RetryDecision(Verdict.RETRY, delay=delay, reason=f"status {status}" if status else "transport")

    def effective_deadline(self, deadline: float | None = None) -> float | None:
        """The tighter of the configured deadline and a per-call one (None: no limit)."""
        if deadline is None:
            return self.config.deadline
        return deadline if self.config.deadline is None else min(deadline, self.config.deadline)


def http_date(ts: float) -> str:
    """Format an epoch time as an HTTP date (for tests and the emulator-facing helpers)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
