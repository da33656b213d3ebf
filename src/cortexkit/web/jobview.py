"""What the job page says beyond the record itself: the failure's cause and fix, an account a stopped job
left in Prisma Cloud, a waiting job's reason, an orphaned job, and the console link.

Pure functions of the `JobRecord` (and, for the account left behind, of what the API answered), so the
page, its JSON and the tests read one answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.web.failure import Cause, cause_of, job_cause

STOPPED_WITH_ACCOUNT = frozenset({JobState.CANCELLED, JobState.FAILED, JobState.NEEDS_ATTENTION})


@dataclass(frozen=True)
class LeftAccount:
    """An account that exists in Prisma Cloud although its job did not finish."""

    account_id: str
    name: str
    status: str
    """`enabled`, `disabled`, `not listed` or `unknown (<why>)`: what the API said when the page was read."""
    todo: str


@dataclass(frozen=True)
class JobView:
    cause: Cause | None
    left: LeftAccount | None
    waiting_reason: str
    console_url: str

    @property
    def step_cause(self) -> str:
        """The step the cause is shown next to ('' when the failure came between steps)."""
        return self.cause.step if self.cause else ""


def failure_cause(job: JobRecord) -> Cause | None:
    """The cause a failed (or needs-attention) job shows once: its failed step's error, else the job's."""
    if job.state not in (JobState.FAILED, JobState.NEEDS_ATTENTION):
        return None
    failed = [(s.name, s.error) for s in job.steps if s.state is StepState.FAILED and s.error]
    if job.state is JobState.NEEDS_ATTENTION and job.error:
        step = next((s.name for s in job.steps if s.state is not StepState.DONE), "")
        return cause_of(step, job.error)
    return job_cause(failed, job.error)


def console_url(api_url: str) -> str:
    """The Prisma Cloud console's cloud-accounts page for an API URL (`api*.` host -> `app*.`), or ''
    for a host that is not a Prisma Cloud API host (the emulator has no console)."""
    parts = urlsplit(api_url.strip())
    host = parts.hostname or ""
    if not host.startswith("api") or not host.endswith((".prismacloud.io", ".prismacloud.cn")):
        return ""
    return f"https://app{host[3:]}/settings/cloud-accounts"


def account_todo(job: JobRecord, status: str) -> str:
    short = job.id[:8]
    delete = f"cortexkit api DELETE /cloud/azure/{job.account_id}"
    if status == "not listed":
        return "The account is no longer listed, so nothing is left to clean up."
    if job.state is JobState.FAILED:
        return (
            "Resume to finish onboarding it (the job carries on from the failed step), or delete it: "
            f"{delete}"
        )
    return (
        f"Finish onboarding it with `cortexkit onboard resume --force {short}` (the job checks it again and "
        f"carries on), or delete it if it should not exist: {delete}"
    )


def left_account(job: JobRecord, read: Any) -> LeftAccount | None:
    """The account a cancelled or failed job left behind, with its status as `read(account_id)` gives
    it (an object with `name` and `enabled`, None when not listed; an exception says it is unknown).
    A Cortex job's `account_id` is its instance, which its own card shows: no Prisma account is left."""
    if not job.account_id or job.state not in STOPPED_WITH_ACCOUNT or job.spec.kind == "cortex":
        return None
    name = ""
    try:
        found = read(job.account_id)
    except Exception as exc:  # the page still says the account exists; the status is what is unknown
        status = f"unknown ({type(exc).__name__})"
    else:
        if found is None:
            status = "not listed"
        else:
            name = str(getattr(found, "name", "") or "")
            enabled = getattr(found, "enabled", None)
            status = "enabled" if enabled else "disabled" if enabled is not None else "listed"
    return LeftAccount(job.account_id, name, status, account_todo(job, status))


def waiting_reason(job: JobRecord) -> str:
    """Why a waiting job waits: whatever reason the engine recorded (its `error` field today)."""
    if job.state is not JobState.WAITING:
        return ""
    reason = getattr(job, "waiting_reason", None) or job.error or ""
    return str(reason)


def job_view(job: JobRecord, read_account: Any, api_url: str) -> JobView:
    return JobView(
        cause=failure_cause(job),
        left=left_account(job, read_account),
        waiting_reason=waiting_reason(job),
        console_url=console_url(api_url) if job.account_id else "",
    )
