"""Plain view models the templates and the JSON endpoints render.

The engine's records are turned into these small frozen dataclasses in one place, so the pages do not
depend on how the store names its columns, and so nothing secret can be rendered by accident: only the
fields listed here ever reach a template.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STEP_STATES = ("pending", "running", "done", "failed", "skipped", "cancelled")
_STATE_ALIASES = {
    "succeeded": "done",
    "success": "done",
    "completed": "done",
    "ok": "done",
    "queued": "pending",
    "waiting": "pending",
    "in_progress": "running",
    "error": "failed",
    "canceled": "cancelled",
}
_SECRETISH = ("secret", "password", "token", "jwt", "authorization", "x-redlock-auth")


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a mapping, a dataclass or a pydantic model alike."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def normal_state(raw: Any) -> str:
    text = str(getattr(raw, "value", raw) or "pending").lower()
    return _STATE_ALIASES.get(text, text)


def to_epoch(value: Any) -> float | None:
    """Accept epoch seconds, epoch milliseconds, datetimes and ISO strings."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_time(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def scrub(value: Any) -> Any:
    """Drop secret-looking keys from a payload before it is shown or streamed."""
    if isinstance(value, Mapping):
        return {
            str(k): ("••••" if any(s in str(k).lower() for s in _SECRETISH) else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def _payload(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {"message": raw if isinstance(raw, str) else raw.decode(errors="replace")}
    if isinstance(raw, Mapping):
        return dict(scrub(raw))
    return {"value": scrub(raw)}


@dataclass(frozen=True)
class EventView:
    id: int
    job_id: str
    ts: float | None
    type: str
    payload: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job_id": self.job_id,
            "ts": self.ts,
            "type": self.type,
            "payload": self.payload,
        }


def event_view(raw: Any) -> EventView:
    payload = get(raw, "payload")
    if payload is None:
        payload = get(raw, "payload_json", get(raw, "data"))
    return EventView(
        id=int(get(raw, "id", 0) or 0),
        job_id=str(get(raw, "job_id", "") or ""),
        ts=to_epoch(get(raw, "ts", get(raw, "created_at"))),
        type=str(get(raw, "type", get(raw, "kind", "message")) or "message"),
        payload=_payload(payload),
    )


@dataclass(frozen=True)
class StepView:
    name: str
    title: str
    state: str
    started: float | None
    finished: float | None
    error: str
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> str:
        if self.started is None:
            return ""
        if self.finished is None:
            return ""
        return format_duration(max(0.0, self.finished - self.started))


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    status: str
    message: str
    remediation: str


@dataclass(frozen=True)
class JobView:
    id: str
    state: str
    kind: str
    name: str
    subscription_id: str
    tenant_id: str
    account_type: str
    provisioner: str
    created: float | None
    updated: float | None
    error: str
    steps: tuple[StepView, ...]
    components: tuple[ComponentStatus, ...]
    account_id: str = ""

    @property
    def prisma_account_id(self) -> str:
        """The id Prisma Cloud lists the account under: the subscription, or the tenant for a tenant."""
        return self.account_id or (self.tenant_id if self.account_type == "tenant" else self.subscription_id)

    @property
    def finished(self) -> bool:
        return self.state in {"done", "failed", "cancelled"}

    @property
    def can_resume(self) -> bool:
        """Failed and `waiting` jobs carry on from the last finished step; a cancelled job stays cancelled."""
        return self.state in {"failed", "waiting"}

    @property
    def can_cancel(self) -> bool:
        return self.state in {"pending", "running", "waiting"}

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "name": self.name,
            "subscription_id": self.subscription_id,
            "tenant_id": self.tenant_id,
            "account_type": self.account_type,
            "provisioner": self.provisioner,
            "created": self.created,
            "updated": self.updated,
            "error": self.error,
            "can_resume": self.can_resume,
            "can_cancel": self.can_cancel,
            "steps": [
                {
                    "name": s.name,
                    "title": s.title,
                    "state": s.state,
                    "started": s.started,
                    "finished": s.finished,
                    "duration": s.duration,
                    "error": s.error,
                }
                for s in self.steps
            ],
            "components": [c.__dict__ for c in self.components],
        }


def step_title(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip().capitalize()


def _spec_field(spec: Any, name: str) -> str:
    value = get(spec, name)
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _components(raw: Any) -> tuple[ComponentStatus, ...]:
    if not raw:
        return ()
    items: Iterable[Any] = raw.values() if isinstance(raw, Mapping) and "components" not in raw else raw
    if isinstance(raw, Mapping) and "components" in raw:
        items = raw["components"] or []
    out: list[ComponentStatus] = []
    for item in items:
        out.append(
            ComponentStatus(
                name=str(get(item, "name", get(item, "component", "")) or ""),
                status=str(get(item, "status", "") or ""),
                message=str(get(item, "message", "") or ""),
                remediation=str(get(item, "remediation", "") or ""),
            )
        )
    return tuple(out)


def job_view(raw: Any, step_names: Iterable[str] = (), titles: Mapping[str, str] | None = None) -> JobView:
    """Build the page model for one job; steps the store has not reached yet show as pending."""
    spec = get(raw, "spec", raw)
    steps_raw = list(get(raw, "steps", None) or [])
    known = {str(get(s, "name", "")): s for s in steps_raw}
    order = [str(n) for n in step_names] or [str(get(s, "name", "")) for s in steps_raw]
    order += [n for n in known if n not in order]
    steps: list[StepView] = []
    for name in order:
        s = known.get(name)
        err = get(s, "error")
        steps.append(
            StepView(
                name=name,
                title=str(get(s, "title", None) or (titles or {}).get(name) or step_title(name)),
                state=normal_state(get(s, "state", "pending")),
                started=to_epoch(get(s, "started_at")),
                finished=to_epoch(get(s, "finished_at")),
                error=str(err) if err else "",
                output=_payload(get(s, "output", get(s, "output_json"))),
            )
        )
    components = _components(get(raw, "account_status", None) or get(raw, "components", None))
    err = get(raw, "error")
    return JobView(
        id=str(get(raw, "id", "")),
        state=normal_state(get(raw, "state", "pending")),
        kind=str(get(raw, "kind", "azure") or "azure"),
        name=_spec_field(spec, "name"),
        subscription_id=_spec_field(spec, "subscription_id"),
        tenant_id=_spec_field(spec, "tenant_id"),
        account_type=_spec_field(spec, "account_type"),
        provisioner=_spec_field(spec, "provisioner"),
        created=to_epoch(get(raw, "created_at")),
        updated=to_epoch(get(raw, "updated_at")),
        error=str(err) if err else "",
        steps=tuple(steps),
        components=components,
        account_id=str(get(raw, "account_id", "") or ""),
    )
