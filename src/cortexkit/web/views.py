"""Presentation helpers of the pages: times, durations, end-of-job sentences, scrubbed event JSON.

The pages render the engine's own typed records (`JobRecord`, `StepRecord`, `Event`) and their one JSON
form (`as_dict`); nothing here re-derives a job's state. Records hold no secret; `scrub` is a second
guard on free-form event payloads before they are streamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cortexkit.onboarding.states import JobState

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.records import Event

_SECRETISH = ("secret", "password", "token", "jwt", "authorization", "x-redlock-auth")


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a mapping, a dataclass or a pydantic model alike."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


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


END_TEXT: dict[JobState, str] = {
    JobState.DONE: "Finished: every step is done.",
    JobState.FAILED: "Stopped: a step failed. See the cause and what to do next to the step above.",
    JobState.CANCELLED: "Cancelled: the remaining steps will not run.",
    JobState.WAITING: "Waiting: the reason is shown above. Resume carries the job on from where it stopped.",
    JobState.NEEDS_ATTENTION: "Stopped: the job needs your attention (see the message above).",
}


ORPHANED_TEXT = (
    "Stopped: the process that ran this job is gone (it exited or was killed), so nothing moves it now. "
    "Resume takes it over from the last finished step; Cancel ends it."
)


def end_text(state: JobState | str, *, orphaned: bool = False) -> str:
    """The sentence a job page shows once the job has stopped moving (or its runner is gone)."""
    if orphaned:
        return ORPHANED_TEXT
    return END_TEXT.get(JobState(state), f"Finished: {state}.")


def event_json(event: Event) -> dict[str, Any]:
    """An event's `as_dict` with its payload scrubbed, for the live stream."""
    data = event.as_dict()
    data["payload"] = scrub(event.payload)
    return data
