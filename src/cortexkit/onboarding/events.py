"""Event types and their one-line rendering, for the CLI's live output on stderr.

Events are stored as (id, job_id, ts, type, payload); the types in use:
- `job`: a job state change (`state`, optional `error`, `cancel_requested`);
- `step`: a step state change (`step`, `state`, optional `message`, `attempt`);
- `checkpoint`: a running step persisted partial output (`step`, `keys`: names only);
- `log`: a human message from a step (`step`, `message`, extra fields);
- `status`: the account's component statuses while verifying (`components`);
- `terraform`: one machine-readable line of terraform output (`command`, `level`, `message`, `type`);
- `secret`: a secret was stored, encrypted (`name`): never its value.
Payloads never carry secrets; renderers still show only the fields listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cortexkit.onboarding.model import STEP_TITLES

EVENT_TYPES = ("job", "step", "checkpoint", "log", "status", "terraform", "secret")


def _short(job_id: str) -> str:
    return job_id[:8]


def format_event(job_id: str, type_: str, payload: Mapping[str, Any]) -> str | None:
    """A line for a person following a job, or None for events not worth a line (checkpoints)."""
    prefix = f"[{_short(job_id)}]"
    step = str(payload.get("step", ""))
    title = STEP_TITLES.get(step, step)
    if type_ == "job":
        if payload.get("cancel_requested"):
            return f"{prefix} cancel requested; stopping after the current step"
        error = payload.get("error")
        return f"{prefix} job {payload.get('state')}" + (f": {error}" if error else "")
    if type_ == "step":
        message = payload.get("message")
        return f"{prefix} {title}: {payload.get('state')}" + (f" ({message})" if message else "")
    if type_ == "log":
        remedy = payload.get("remediation")
        return f"{prefix} {title}: {payload.get('message')}" + (f" (remediation: {remedy})" if remedy else "")
    if type_ == "status":
        parts = [f"{c.get('name')}={c.get('status')}" for c in payload.get("components") or []]
        return f"{prefix} status: " + (", ".join(parts) or "no component reported")
    if type_ == "terraform":
        message = str(payload.get("message") or "").strip()
        return f"{prefix} terraform {payload.get('command')}: {message}" if message else None
    if type_ == "secret":
        return f"{prefix} stored secret '{payload.get('name')}' (encrypted)"
    return None
