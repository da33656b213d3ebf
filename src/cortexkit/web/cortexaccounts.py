"""The Cloud accounts page on a Cortex connection: Cortex's integration instances, each with the local
job that created it, and their cloud accounts.

Read the way `cortexkit cloud-instances list` reads them (`cloud_onboarding.instances`, and
`find_instance` for a job's instance the listing hides while PENDING) and through the dialect backend's
`CortexBackend.cloud_accounts` for the accounts, so the page and the CLI show the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cortexkit.cortex.backend import AccountRow, CortexBackend
from cortexkit.web.views import to_epoch

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.cortex.models import Instance
    from cortexkit.onboarding.records import JobRecord

MAX_HIDDEN_LOOKUPS = 20
"""Jobs' instances looked up one by one when the listing lacks them (PENDING); a page, not a crawl."""


@dataclass
class CortexAccounts:
    instances: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)


def jobs_by_instance(jobs: Iterable[JobRecord]) -> dict[str, JobRecord]:
    """Instance id -> the latest Cortex onboarding job that created it (a Cortex job's `account_id`)."""
    found: dict[str, JobRecord] = {}
    for job in sorted(jobs, key=lambda j: j.created_at):
        if job.spec.cortex is not None and job.account_id:
            found[job.account_id] = job
    return found


def _job_cells(job: JobRecord | None) -> dict[str, str]:
    return {"job_id": job.id if job else "", "job_state": str(job.state) if job else ""}


def instance_row(instance: Instance, job: JobRecord | None) -> dict[str, Any]:
    return {
        "instance_id": instance.instance_id,
        "name": instance.instance_name,
        "cloud_type": instance.cloud_provider or "",
        "status": instance.status or "",
        "scope": instance.scope or "",
        "accounts": instance.accounts,
        "created": to_epoch(instance.creation_time),
        **_job_cells(job),
    }


def account_row(row: AccountRow, job: JobRecord | None) -> dict[str, Any]:
    """The columns of the accounts table (the Prisma page's keys, so its filters work), plus the instance."""
    return {
        "name": row.name or "",
        "account_id": row.account_id,
        "cloud_type": row.cloud or "",
        "account_type": row.status or "",
        "status": "enabled" if row.enabled else "disabled" if row.enabled is not None else "unknown",
        "instance_id": row.parent_id or "",
        "instance_name": row.parent_name or "",
        **_job_cells(job),
    }


def read_cortex_accounts(client: Any, jobs: Iterable[JobRecord]) -> CortexAccounts:
    """Every listed instance, plus the local jobs' instances the listing hides (PENDING), and the
    accounts of the listed ones. `client` is the page's shared `CortexClient` (not closed here)."""
    by_instance = jobs_by_instance(jobs)
    onboarding = client.cloud_onboarding
    listed = list(onboarding.instances())
    seen = {i.instance_id for i in listed}
    hidden = [i for i in by_instance if i not in seen][:MAX_HIDDEN_LOOKUPS]
    for instance_id in hidden:
        found = onboarding.find_instance(instance_id)
        if found is not None:
            listed.append(found)
    result = CortexAccounts()
    result.instances = [instance_row(i, by_instance.get(i.instance_id)) for i in listed]
    for row in CortexBackend(client).cloud_accounts():
        result.accounts.append(account_row(row, by_instance.get(row.parent_id or "")))
    return result
