"""The shapes a benchmark run produces, as plain dataclasses that round-trip through JSON.

Kept free of I/O so the report renderer and the regression check can be unit-tested on hand-made results.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunResult:
    """One tool on one workload: what the child process cost and what the emulator saw."""

    tool: str
    status: str  # "ok" | "skipped" | "failed" | "timeout"
    reason: str = ""
    link: str = ""
    scheme: str = "http"
    wall_s: float | None = None  # the whole child process, interpreter start included
    work_s: float | None = None  # the workload loop only, as the child timed it
    cpu_s: float | None = None  # user+system of the child (getrusage)
    work_cpu_s: float | None = None  # CPU the child spent inside the workload loop
    peak_rss_mb: float | None = None
    requests: int | None = None
    r429: int | None = None
    r401: int | None = None
    logins: int | None = None
    extends: int | None = None
    failed_calls: int | None = None
    items: int | None = None
    ratio: float | None = None  # to the workload's floor; 1.0 is the physical limit
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    """A goal from issue 7, evaluated for cortexkit on this run."""

    name: str
    passed: bool
    detail: str


@dataclass
class WorkloadResult:
    """Every tool's run of one workload, with the floor that makes the figures comparable."""

    name: str
    title: str
    goal: str
    params: dict[str, Any]
    floor_s: float | None
    floor_note: str
    ratio_note: str
    runs: list[RunResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    note: str = ""

    def run(self, tool: str) -> RunResult | None:
        return next((r for r in self.runs if r.tool == tool), None)


@dataclass
class BenchResult:
    """A whole `make bench` run: the environment it ran in and each workload."""

    generated_at: str
    mode: str  # "quick" | "full"
    machine: dict[str, Any]
    versions: dict[str, str]
    commands: list[str]
    workloads: list[WorkloadResult] = field(default_factory=list)
    regression: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchResult:
        workloads = []
        for w in data.get("workloads", []):
            runs = [RunResult(**r) for r in w.get("runs", [])]
            checks = [Check(**c) for c in w.get("checks", [])]
            rest = {k: v for k, v in w.items() if k not in ("runs", "checks")}
            workloads.append(WorkloadResult(**rest, runs=runs, checks=checks))
        rest = {k: v for k, v in data.items() if k != "workloads"}
        return cls(**rest, workloads=workloads)
