"""What a cancelled Cortex job leaves behind: the PENDING instance it created is deleted; one that already
connected, one the job found already there, or a deletion Cortex refuses is listed with the way to remove
it. Called by the runner when a running job is cancelled, by `onboard cancel` for a job no runner holds,
and (`cancel_settled`) for a job that ended `failed` or `needs_attention`, which has no runner to stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cortexkit import errors as api_errors
from cortexkit.onboarding.fencing import FencedIO, Heartbeat
from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.states import SETTLED_CANCELLABLE_STATES, JobState
from cortexkit.onboarding.store import LEASE_SECONDS, JobStore

log = logging.getLogger(__name__)

REMOVE_HINT = "delete it under Settings > Data Sources (PENDING filter)"


class Outcome(StrEnum):
    NOTHING = "nothing"
    """The job made no instance (or only adopted one that was there before it)."""
    DELETED = "deleted"
    GONE = "gone"
    """The instance it made no longer exists (someone deleted it)."""
    KEPT = "kept"
    """Connected (or not the job's own): left alone on purpose."""
    REFUSED = "refused"
    """Cortex refused the deletion or could not be asked: the PENDING instance is left behind."""


@dataclass(frozen=True)
class Cleanup:
    """What the cleanup did, in words (`message`) and as data for the CLI's exit code and the UI."""

    outcome: Outcome
    message: str
    instance_id: str | None = None

    @property
    def left_behind(self) -> bool:
        """A PENDING instance this job made is still there: the user has to remove it."""
        return self.outcome is Outcome.REFUSED

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": str(self.outcome), "message": self.message, "instance_id": self.instance_id}


def _template_output(job: JobRecord) -> dict[str, Any]:
    step = next((s for s in job.steps if s.name == "template"), None)
    return dict(step.output) if step is not None else {}


def created_instance(job: JobRecord) -> str | None:
    """The instance this job made (recorded by the template step), if any; never one it adopted."""
    out = _template_output(job)
    found = out.get("instance_id")
    if not found:
        return None
    # Records before `owned` existed: only a plain create was marked `created`.
    owned = out.get("owned", out.get("created", False))
    return str(found) if owned else None


def adopted_instance(job: JobRecord) -> str | None:
    """The instance the job uses but did not make (a PENDING one of its name was there first)."""
    found = _template_output(job).get("instance_id") or job.account_id
    if not found or str(found) == created_instance(job):
        return None
    return str(found)


def after_cancel(job: JobRecord, client: Any, io: Any = None) -> Cleanup:
    """Delete the job's orphan PENDING instance and say what happened.

    `client` is the job's `CortexClient`; `io` (optional) records the outcome as a job event."""
    result = _clean(job, client)
    if io is not None:
        try:
            io.emit(
                job.id,
                "log",
                {"step": "cleanup", "message": result.message, "instance_id": result.instance_id},
            )
        except Exception as exc:  # the cancel stands even when its note cannot be written
            log.warning("job %s: the cleanup note was not recorded (%s)", job.id, type(exc).__name__)
    return result


def _clean(job: JobRecord, client: Any) -> Cleanup:
    instance_id = created_instance(job)
    if instance_id is None:
        other = adopted_instance(job)
        if other is not None:
            return Cleanup(
                Outcome.KEPT,
                f"nothing to clean up: Cortex instance {other} was there before this job (it adopted it), "
                f"so it was kept; {REMOVE_HINT} if it should not exist",
                other,
            )
        return Cleanup(Outcome.NOTHING, "nothing to clean up: this job created no Cortex instance")
    onboarding = client.cloud_onboarding
    try:
        row = onboarding.find_instance(instance_id)
        if row is None:
            return Cleanup(Outcome.GONE, f"Cortex instance {instance_id} no longer exists", instance_id)
        if str(row.status or "").upper() != "PENDING":
            return Cleanup(
                Outcome.KEPT,
                f"Cortex instance {instance_id} is {row.status} (Cortex connected it), so it was kept: "
                "delete it under Settings > Data Sources if it should not exist (its Azure resources stay)",
                instance_id,
            )
        try:
            onboarding.delete_instances([instance_id])
        except api_errors.OutcomeUnknownError:
            if onboarding.find_instance(instance_id) is not None:  # the delete's answer was lost: look
                raise
    except api_errors.CortexkitError as exc:
        return Cleanup(
            Outcome.REFUSED,
            f"the PENDING Cortex instance {instance_id} this job created could not be deleted ({exc}): "
            f"{REMOVE_HINT}, or run the cancel again",
            instance_id,
        )
    return Cleanup(
        Outcome.DELETED, f"deleted the PENDING Cortex instance {instance_id} this job created", instance_id
    )


def cancel_settled(
    store: JobStore, job_id: str, client: Any, *, lease_seconds: float = LEASE_SECONDS
) -> tuple[JobRecord, Cleanup]:
    """Cancel a Cortex job that ended `failed` or `needs_attention`: run the cleanup, end it `cancelled`.

    The job is claimed first (only while still in such a state, `JobStateChangedError` otherwise;
    `JobBusyError` when a runner holds it), so a resume started meanwhile and this cleanup never both act.
    When the cleanup itself crashes the job goes back to the state and cause it had."""
    job = store.require_job(job_id)
    lease = store.claim(job_id, lease_seconds=lease_seconds, force=True, states=SETTLED_CANCELLABLE_STATES)
    with Heartbeat(store, lease, lease_seconds) as heartbeat:
        try:
            result = after_cancel(job, client, FencedIO(store, heartbeat))
        except BaseException:
            store.set_state(job_id, job.state, job.error, lease=heartbeat.check())
            store.release(lease)
            raise
        store.set_state(
            job_id,
            JobState.CANCELLED,
            f"cancelled after it {_ended(job.state)}; {result.message}",
            lease=heartbeat.check(),
            cleanup=result.as_dict(),
        )
    store.release(lease)
    return store.require_job(job_id), result


def _ended(state: JobState) -> str:
    return "failed" if state is JobState.FAILED else "needed attention"
