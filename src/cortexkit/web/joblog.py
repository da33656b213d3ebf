"""A job's log as text, grouped by step: the download of the job page, redacted like all output.

Lines are the CLI's own renderings (`onboarding.events.format_event`), so the download reads like
`cortexkit onboard` on a terminal; each line then goes through `redact_text` with the job's own secrets,
a second guard on top of payloads that never carry one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from cortexkit._redact import redact_text
from cortexkit.onboarding.events import format_event
from cortexkit.onboarding.records import Event, JobRecord
from cortexkit.web.views import format_duration

JOB_GROUP = ""
"""Events that belong to no step (the job's own state changes)."""


def group_of(event: Event) -> str:
    step = event.payload.get("step")
    return str(step) if isinstance(step, str) and step else JOB_GROUP


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


def log_text(job: JobRecord, events: Iterable[Event], secrets: tuple[str, ...] = ()) -> str:
    """The whole log: a header, then one section per step in run order, then the job's own lines."""
    groups: dict[str, list[str]] = {s.name: [] for s in job.steps}
    groups[JOB_GROUP] = []
    for event in events:
        line = format_event(job.id, event.type, event.payload)
        if line is None:
            continue
        groups.setdefault(group_of(event), []).append(f"{_stamp(event.ts)}  {redact_text(line, secrets)}")
    out = [
        f"cortexkit onboarding job {job.id}",
        f"name: {job.name}",
        f"state: {job.state}",
        f"created: {datetime.fromtimestamp(job.created_at, UTC).isoformat()}",
        "",
    ]
    for step in job.steps:
        took = format_duration(step.elapsed)
        out.append(f"== {step.title} ({step.state}{', ' + took if took else ''}) ==")
        out.extend(groups.get(step.name) or ["(no output)"])
        out.append("")
    extra = [name for name in groups if name not in {s.name for s in job.steps} and name != JOB_GROUP]
    for name in extra:
        out.append(f"== {name} ==")
        out.extend(groups[name])
        out.append("")
    out.append("== job ==")
    out.extend(groups[JOB_GROUP] or ["(no output)"])
    return "\n".join(out) + "\n"
