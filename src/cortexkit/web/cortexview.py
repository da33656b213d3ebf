"""What a Cortex job's page shows beyond the steps: the preflight's checks, the deployment's resources,
the capability table and the accounts Cortex found.

Read from the steps' recorded outputs (preflight, deploy, wait_cortex, reconcile), so a reload shows
what the live page built from the `resources` and `capabilities` events. Pure functions of the
`JobRecord`; the Prisma job page (`jobview.py`) is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cortexkit.onboarding.records import JobRecord

CAPABILITY_BADGES = {
    "connected": "done",
    "disabled": "skipped",
    "retrieving": "running",
    "warning": "warning",
    "error": "error",
}
"""Cortex's capability labels as the page's badge classes (the same colours as the step states)."""


def capability_badge(label: Any) -> str:
    """The badge class for a capability label ('unknown' for one Cortex added since)."""
    return CAPABILITY_BADGES.get(str(label or "").strip().lower(), "unknown")


@dataclass(frozen=True)
class Capability:
    name: str
    description: str
    label: str
    badge: str
    message: str


@dataclass(frozen=True)
class CortexView:
    checks: list[dict[str, Any]] = field(default_factory=list)
    """The preflight's checks: `name`, `ok` (True, False, None: could not be told), `detail`, `fix`."""
    deployment: str = ""
    resources: list[dict[str, str]] = field(default_factory=list)
    instance_id: str = ""
    instance_state: str = ""
    capabilities: list[Capability] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    reconciled: bool = False


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def capabilities_of(rows: Any) -> list[Capability]:
    """The capability rows of a `capabilities` event or the wait step's output, ready for the table."""
    found = []
    for row in _list(rows):
        if not isinstance(row, dict):
            continue
        label = str(row.get("label") or row.get("status") or "")
        found.append(
            Capability(
                name=str(row.get("name") or ""),
                description=str(row.get("description") or row.get("name") or ""),
                label=label,
                badge=capability_badge(label),
                message=str(row.get("message") or ""),
            )
        )
    return found


def cortex_view(job: JobRecord) -> CortexView | None:
    """The Cortex parts of the page, or None for a Prisma job."""
    if job.spec.kind != "cortex":
        return None
    out = {s.name: s.output or {} for s in job.steps}
    deploy = out.get("deploy", {})
    waited = out.get("wait_cortex", {})
    reconciled = out.get("reconcile", {})
    return CortexView(
        checks=[c for c in _list(out.get("preflight", {}).get("checks")) if isinstance(c, dict)],
        deployment=str(deploy.get("deployment") or ""),
        resources=[r for r in _list(deploy.get("resources")) if isinstance(r, dict)],
        instance_id=str(waited.get("instance_id") or reconciled.get("instance_id") or job.account_id or ""),
        instance_state=str(waited.get("state") or ""),
        capabilities=capabilities_of(waited.get("capabilities")),
        accounts=[a for a in _list(reconciled.get("accounts")) if isinstance(a, dict)],
        missing=[str(s) for s in _list(reconciled.get("missing"))],
        extra=[str(s) for s in _list(reconciled.get("extra"))],
        reconciled="accounts" in reconciled,
    )
