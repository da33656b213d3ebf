"""The typed records the engine hands to the CLI and the web UI, and their one JSON form.

Read back from the store, never written by callers: a `JobRecord` holds the spec, the states and the
steps' outputs, never a secret. `as_dict` is the only serialisation: `onboard list|show -o json`, the
web's `/api/jobs` and the pages all read these fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cortexkit.onboarding.model import STEP_TITLES, JobSpec
from cortexkit.onboarding.states import SETTLED_CANCELLABLE_STATES, JobState, StepState


@dataclass(frozen=True)
class StepRecord:
    name: str
    state: StepState = StepState.PENDING
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return STEP_TITLES.get(self.name, self.name)

    @property
    def elapsed(self) -> float | None:
        """Seconds the last attempt took; None while it runs or before it started."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "state": str(self.state),
            "attempts": self.attempts,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "elapsed": self.elapsed,
            "error": self.error,
            "output": self.output,
        }


@dataclass(frozen=True)
class ComponentStatus:
    """One component of the account status the verify step last read."""

    name: str
    status: str
    message: str = ""
    remediation: str = ""


@dataclass(frozen=True)
class JobRecord:
    """A job as read back from the store; holds no secret."""

    id: str
    spec: JobSpec
    state: JobState
    error: str | None
    account_id: str | None
    cancel_requested: bool
    created_at: float
    updated_at: float
    steps: tuple[StepRecord, ...]
    lease_owner: str | None = None
    """The runner (`host:pid#id`) that last claimed the job."""
    lease_expires_at: float | None = None
    runner_alive: bool = True
    """Whether that runner still held its lease when the record was read (false: a `running` job's
    runner died or stalled past its lease, so nothing moves the job until someone resumes or cancels)."""
    paused: bool = False
    """`waiting` while its runner, still holding the lease, waits out an API outage: the job carries on by
    itself when the API answers, so it is not at rest and a resume would be refused as busy."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ok(self) -> bool:
        return self.state.ok

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def at_rest(self) -> bool:
        return self.state.at_rest and not self.paused

    @property
    def orphaned(self) -> bool:
        """`running`, but its runner is gone: a resume takes the job over, a cancel ends it at once."""
        return self.state is JobState.RUNNING and not self.runner_alive

    @property
    def can_resume(self) -> bool:
        """Failed and waiting jobs carry on from the last finished step (others need `--force`), and so
        does an orphaned one (its runner is gone, so the claim takes it over)."""
        return (self.state.resumable and not self.paused) or self.orphaned

    @property
    def can_cancel(self) -> bool:
        """Unfinished jobs stop; a failed or needs-attention Cortex job is cancelled to clean up."""
        return self.state.cancellable or self.cancel_cleans_up

    @property
    def cancel_cleans_up(self) -> bool:
        """A Cortex job that failed or needs attention: its cancel deletes the PENDING instance it made
        (`cortexflow.cleanup.cancel_settled`) and ends it `cancelled`, though the job is finished."""
        return self.spec.cortex is not None and self.state in SETTLED_CANCELLABLE_STATES

    @property
    def prisma_account_id(self) -> str:
        """The id Prisma Cloud lists the account under (the one the add step recorded, else the spec's)."""
        return self.account_id or self.spec.prisma_account_id

    def step(self, name: str) -> StepRecord:
        return next(s for s in self.steps if s.name == name)

    def brief(self) -> JobRecord:
        """This record without its steps: what a bulk keeps of a finished job until its summary (state,
        error, account id and `summary()` all hold; the step outputs stay in the store)."""
        return replace(self, steps=())

    @property
    def account_status(self) -> tuple[ComponentStatus, ...]:
        """The verify step's last component list (none for a Cortex job, which has no verify step)."""
        verify = next((s for s in self.steps if s.name == "verify"), None)
        raw = verify.output.get("components", []) if verify is not None else []
        if not isinstance(raw, list):
            return ()
        return tuple(
            ComponentStatus(
                name=str(c.get("name", "")),
                status=str(c.get("status", "")),
                message=str(c.get("message") or ""),
                remediation=str(c.get("remediation") or ""),
            )
            for c in raw
            if isinstance(c, dict)
        )

    def summary(self) -> dict[str, Any]:
        """The flat fields a listing shows (a prefix of `as_dict`)."""
        return {
            "id": self.id,
            "name": self.spec.name,
            "state": str(self.state),
            "account_type": self.spec.account_type,
            "subscription_id": self.spec.subscription_id,
            "tenant_id": self.spec.tenant_id,
            "provisioner": self.spec.provisioner
            if self.spec.cortex is None
            else f"cortex-{self.spec.cortex.deploy}",
            "account_id": self.account_id,
            "kind": self.spec.kind,
            "error": self.error,
            "cancel_requested": self.cancel_requested,
            "orphaned": self.orphaned,
            "ok": self.ok,
            "finished": self.finished,
            "at_rest": self.at_rest,
            "paused": self.paused,
            "can_resume": self.can_resume,
            "can_cancel": self.can_cancel,
            "cancel_cleans_up": self.cancel_cleans_up,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "spec": self.spec.model_dump(mode="json"),
            "steps": [s.as_dict() for s in self.steps],
            "account_status": [c.__dict__ for c in self.account_status],
        }


@dataclass(frozen=True)
class Event:
    """One row of a job's event log; `id` orders the events of the whole store."""

    id: int
    job_id: str
    ts: float
    type: str
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job_id": self.job_id,
            "ts": self.ts,
            "type": self.type,
            "payload": self.payload,
        }
