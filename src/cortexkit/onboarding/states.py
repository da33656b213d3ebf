"""The one definition of job and step states; the store, runner, CLI and web UI all use these enums.

They are `StrEnum`s, so the strings written to the database, the JSON of `onboard list -o json` and
`/api/jobs`, and the CSS classes of the pages are the same words they always were.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    """The job needs the user (Terraform outputs to supply, verify to run again); `resume` carries it on.
    Also a job its runner paused for an API outage (the bulk's breaker is open): that runner still holds
    the lease and carries it on by itself when the API answers (`error` says why it waits)."""
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NEEDS_ATTENTION = "needs_attention"
    """Finished but not ok: the engine found something a person must look at (e.g. an existing account
    that differs from the job's spec). Resumed only with `--force`."""

    @property
    def finished(self) -> bool:
        """No runner will move the job on by itself."""
        return self in TERMINAL_STATES

    @property
    def at_rest(self) -> bool:
        """Nothing moves the job until a person acts: finished, or waiting for the user to resume it."""
        return self in TERMINAL_STATES or self is JobState.WAITING

    @property
    def ok(self) -> bool:
        return self is JobState.DONE

    @property
    def resumable(self) -> bool:
        """States `resume` carries on without `--force`."""
        return self in RESUMABLE_STATES

    @property
    def resumable_with_force(self) -> bool:
        return self in RESUMABLE_STATES or self in FORCE_RESUMABLE_STATES

    @property
    def cancellable(self) -> bool:
        return self in CANCELLABLE_STATES


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.NEEDS_ATTENTION})
RESUMABLE_STATES = frozenset({JobState.FAILED, JobState.WAITING})
FORCE_RESUMABLE_STATES = frozenset({JobState.CANCELLED, JobState.NEEDS_ATTENTION})
CANCELLABLE_STATES = frozenset({JobState.PENDING, JobState.RUNNING, JobState.WAITING})
SETTLED_CANCELLABLE_STATES = frozenset({JobState.FAILED, JobState.NEEDS_ATTENTION})
"""Finished states a Cortex job can still be cancelled from: its cancel cleans up what it made."""
