"""Server-Sent Events that tail the job store's events table.

The event's row id is the SSE `id:`, so a browser that reloads or loses its connection sends
`Last-Event-ID` and picks up exactly where it stopped; nothing is kept in server memory per client.
The store is synchronous (SQLAlchemy), so each poll runs in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import anyio
import anyio.to_thread

from cortexkit.onboarding.records import Event, JobRecord
from cortexkit.onboarding.states import JobState


class EventSource(Protocol):
    """The slice of `JobStore` the tail reads."""

    def events_after(self, job_id: str | None, after_id: int, limit: int = 500) -> list[Event]: ...


def parse_last_event_id(header: str | None, query: str | None = None) -> int:
    """The id to resume after: the header wins (browser reconnects), else `?after=`; junk means 0."""
    for raw in (header, query):
        if raw is None:
            continue
        try:
            value = int(raw.strip())
        except ValueError:
            continue
        if value >= 0:
            return value
    return 0


def _read(source: EventSource, job_id: str | None, cursor: int, batch: int) -> list[Event]:
    return list(source.events_after(job_id, cursor, batch))


@dataclass(frozen=True)
class Frame:
    """One item for the stream: an event, or the end marker when the job has settled."""

    event: Event | None
    end_state: JobState | None = None
    orphaned: bool = False
    """The stream ended because the job's runner is gone (the job stays `running` until resumed)."""


async def tail(
    source: EventSource,
    job_id: str,
    after_id: int,
    *,
    job: Callable[[], JobRecord | None],
    held: Callable[[], bool] = lambda: False,
    poll_interval: float = 0.25,
    batch: int = 500,
) -> AsyncIterator[Frame]:
    """Yield events newer than `after_id` until the job comes to rest (`JobRecord.at_rest`: finished, or
    waiting for a person; a job its live runner paused for an outage is not) or its runner is found gone
    (`JobRecord.orphaned`), and is drained. A job that is no longer in the store ends the stream as failed.

    The job is read *before* the final read of events so no event written just before the state change
    is lost. `job` is called in a worker thread as well. While `held()` (this process's runner has the
    job queued or running) the stream does not end: a job resumed a moment ago still reads as failed or
    orphaned until a worker claims it. `held` is asked before the job is read, so a run that ends in
    between is seen at rest on the next round, its events drained.
    """
    cursor = after_id
    while True:
        in_hand = await anyio.to_thread.run_sync(held)
        record = await anyio.to_thread.run_sync(job)
        rows = await anyio.to_thread.run_sync(_read, source, job_id, cursor, batch)
        for event in rows:
            cursor = max(cursor, event.id)
            yield Frame(event)
        if len(rows) >= batch:
            continue
        if record is None:
            yield Frame(None, end_state=JobState.FAILED)
            return
        if in_hand:
            await anyio.sleep(poll_interval)
            continue
        if record.at_rest:
            yield Frame(None, end_state=record.state)
            return
        if record.orphaned:
            yield Frame(None, end_state=record.state, orphaned=True)
            return
        await anyio.sleep(poll_interval)
