"""Changing alert commands (dismiss, snooze, reopen): show what will be touched, confirm, then act.

A filter is resolved to explicit alert ids before anything changes, so the ids the user confirmed are
exactly the ids sent: a filter re-evaluated later could match alerts opened in between. The confirmation
rule is pure and tested on its own: `--dry-run` never changes anything, `--yes` skips the question, a
terminal is asked, and without a terminal and without `--yes` the command refuses (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

SAMPLE_SIZE = 5
CHUNK = 1000


class Decision(Enum):
    PREVIEW = "preview"  # --dry-run: show the plan, change nothing
    PROCEED = "proceed"  # --yes
    ASK = "ask"  # on a terminal
    REFUSE = "refuse"  # no terminal and no --yes


def decide(*, yes: bool, dry_run: bool, interactive: bool) -> Decision:
    if dry_run:
        return Decision.PREVIEW
    if yes:
        return Decision.PROCEED
    return Decision.ASK if interactive else Decision.REFUSE


@dataclass(frozen=True)
class Plan:
    action: str  # dismiss | snooze | reopen
    ids: tuple[str, ...]

    def summary(self) -> str:
        count = len(self.ids)
        noun = "alert" if count == 1 else "alerts"
        sample = ", ".join(self.ids[:SAMPLE_SIZE])
        more = f" and {count - SAMPLE_SIZE:,} more" if count > SAMPLE_SIZE else ""
        return f"{self.action} {count:,} {noun}: {sample}{more}"


def collect_ids(items: Iterable[Any], limit: int) -> tuple[str, ...]:
    """Alert ids from listed items (models or dicts), at most `limit + 1` (one more shows the cap was hit)."""
    ids: list[str] = []
    for item in items:
        alert_id = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
        if isinstance(alert_id, str) and alert_id:
            ids.append(alert_id)
        if len(ids) > limit:
            break
    return tuple(ids)


def chunks(plan: Plan) -> list[tuple[str, ...]]:
    """The plan's ids, `CHUNK` per request (the resource builds each `AlertStatusChangeRequestModel`)."""
    return [plan.ids[start : start + CHUNK] for start in range(0, len(plan.ids), CHUNK)]


def apply(send: Callable[[tuple[str, ...]], Any], id_chunks: Sequence[tuple[str, ...]]) -> int:
    """Send each chunk; returns how many alert ids were submitted."""
    done = 0
    for chunk in id_chunks:
        send(chunk)
        done += len(chunk)
    return done
