"""The streaming export: every item written once, atomic, constant memory, progress from totalRows."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from cortexkit.cli import output
from cortexkit.cli.export import export
from cortexkit.pagination import AlertPager, Page, RequestSpec

PAGE = 500


class FakeAlerts:
    """Serves `/v2/alert` pages from nothing: each page is built on request and forgotten after."""

    def __init__(self, total: int, fail_at_page: int | None = None) -> None:
        self.total = total
        self.fail_at_page = fail_at_page
        self.requests: list[RequestSpec] = []

    def __call__(self, spec: RequestSpec) -> Page:
        self.requests.append(spec)
        body = spec.json if isinstance(spec.json, dict) else {}
        start = int(body.get("pageToken", "0"))
        if self.fail_at_page is not None and start // PAGE == self.fail_at_page:
            raise ConnectionError("network down")
        end = min(self.total, start + PAGE)
        items = [
            {"id": f"P-{i}", "status": "open", "policy": {"severity": "high", "name": "x" * 50}}
            for i in range(start, end)
        ]
        token = str(end) if end < self.total else None
        return Page({"items": items, "totalRows": self.total, "nextPageToken": token})


class Recorder:
    def __init__(self) -> None:
        self.updates: list[tuple[int, int | None]] = []

    def update(self, done: int, total: int | None) -> None:
        self.updates.append((done, total))


def _run(tmp_path: Path, fake: FakeAlerts, fmt: str = "jsonl", progress: Recorder | None = None) -> Path:
    target = tmp_path / f"alerts.{fmt}"
    export(
        fake,
        AlertPager({"filters": [{"name": "alert.status", "operator": "=", "value": "open"}], "limit": PAGE}),
        fmt=fmt,
        destination=target,
        cols=output.columns("id", "policy.severity"),
        progress=progress or Recorder(),
    )
    return target


def test_every_item_once_with_filters_kept_and_progress(tmp_path: Path) -> None:
    fake = FakeAlerts(2_100)
    progress = Recorder()
    target = _run(tmp_path, fake, progress=progress)
    ids = [json.loads(line)["id"] for line in target.read_text().splitlines()]
    assert ids == [f"P-{i}" for i in range(2_100)]
    assert all(spec.json["filters"][0]["value"] == "open" for spec in fake.requests)
    assert progress.updates == [(500, 2100), (1000, 2100), (1500, 2100), (2000, 2100), (2100, 2100)]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_other_formats_parse_back(tmp_path: Path, fmt: str) -> None:
    target = _run(tmp_path, FakeAlerts(1_234), fmt)
    text = target.read_text()
    if fmt == "json":
        assert len(json.loads(text)) == 1_234
    else:
        lines = text.splitlines()
        assert lines[0] == "id,policy.severity" and len(lines) == 1_235


def test_failure_mid_export_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(ConnectionError):
        _run(tmp_path, FakeAlerts(5_000, fail_at_page=3))
    assert list(tmp_path.iterdir()) == []


def _peak(tmp_path: Path, total: int) -> int:
    tracemalloc.start()
    try:
        _run(tmp_path, FakeAlerts(total))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_pages(tmp_path: Path) -> None:
    small = _peak(tmp_path, 5 * PAGE)
    large = _peak(tmp_path, 30 * PAGE)
    assert large < small * 1.5, (small, large)
