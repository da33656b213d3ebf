"""What a cancelled Cortex job leaves behind: the PENDING instance it created is deleted; one that already
connected (or a deletion Cortex refuses) is listed with the way to remove it. Called by the runner when a
running job is cancelled, and by `onboard cancel` for a job no runner holds."""

from __future__ import annotations

import logging
from typing import Any

from cortexkit import errors as api_errors
from cortexkit.onboarding.records import JobRecord

log = logging.getLogger(__name__)


def created_instance(job: JobRecord) -> str | None:
    """The instance this job made or adopted (recorded by the template step), if any."""
    if job.account_id:
        return job.account_id
    step = next((s for s in job.steps if s.name == "template"), None)
    found = step.output.get("instance_id") if step is not None else None
    return str(found) if found else None


def after_cancel(job: JobRecord, client: Any, io: Any = None) -> str | None:
    """Delete the job's orphan PENDING instance; the sentence saying what happened (None: nothing made).

    `client` is the job's `CortexClient`; `io` (optional) records the outcome as a job event."""
    instance_id = created_instance(job)
    if instance_id is None:
        return None
    onboarding = client.cloud_onboarding
    try:
        row = onboarding.find_instance(instance_id)
        if row is None:
            message = f"cancelled; Cortex instance {instance_id} no longer exists"
        elif str(row.status or "").upper() != "PENDING":
            message = (
                f"cancelled after Cortex connected instance {instance_id} ({row.status}); it was kept: "
                "delete it under Settings > Data Sources if it should not exist (its Azure resources stay)"
            )
        else:
            onboarding.delete_instances([instance_id])
            message = f"cancelled; deleted the PENDING Cortex instance {instance_id} this job created"
    except api_errors.CortexkitError as exc:
        message = (
            f"cancelled; the PENDING Cortex instance {instance_id} could not be deleted ({exc}): delete it "
            "under Settings > Data Sources (PENDING filter)"
        )
    if io is not None:
        try:
            io.emit(job.id, "log", {"step": "cleanup", "message": message, "instance_id": instance_id})
        except Exception as exc:  # the cancel stands even when its note cannot be written
            log.warning("job %s: the cleanup note was not recorded (%s)", job.id, type(exc).__name__)
    return message
