"""Streaming alert export: page by page to an atomic file, with progress from `totalRows`.

Only one page is held at a time (constant memory whatever the alert count); the output file appears only
when the last page is written. The page loop takes a `send_page` function so tests can drive it without
HTTP, and progress goes through a small sink protocol so the rich bar stays out of the logic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cortexkit.cli import output
from cortexkit.cli.files import atomic_text_file
from cortexkit.pagination import Page, Pager, RequestSpec


class ProgressSink(Protocol):
    """Told the expected total once known and each page's item count."""

    def update(self, done: int, total: int | None) -> None: ...


class NoProgress:
    """A sink that shows nothing (no terminal, or --quiet)."""

    def update(self, done: int, total: int | None) -> None:
        return None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int
    total: int | None
    seconds: float


def total_rows(body: Any) -> int | None:
    """`totalRows` of a page, when the server gave one."""
    value = body.get("totalRows") if isinstance(body, dict) else None
    return value if isinstance(value, int) and value >= 0 else None


def export(
    send_page: Callable[[RequestSpec], Page],
    pager: Pager,
    *,
    fmt: str,
    destination: str | Path,
    cols: list[output.Column],
    progress: ProgressSink,
    clock: Callable[[], float] = time.monotonic,
) -> ExportResult:
    """Write every item the pager yields to `destination` in `fmt` (csv, jsonl or json)."""
    started = clock()
    count = 0
    total: int | None = None
    with atomic_text_file(destination) as stream:
        writer = output.open_writer(fmt, stream, cols)
        spec: RequestSpec | None = pager.first()
        while spec is not None:
            page = send_page(spec)
            total = total_rows(page.body) if total is None else total
            items, spec = pager.parse(page)
            for item in items:
                writer.write(item)
            count += len(items)
            progress.update(count, total)
        writer.close()
    return ExportResult(Path(destination), count, total, clock() - started)


class RichProgress:
    """A rich progress bar on stderr: items done of total, items per second and the time remaining."""

    def __init__(self, description: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class _Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f} items/s" if speed else "- items/s")

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task(description, total=None)

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, done: int, total: int | None) -> None:
        self._progress.update(self._task, completed=done, total=total)
