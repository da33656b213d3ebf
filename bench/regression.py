"""Fails the bench when cortexkit drifts away from its own floor ratio.

The figure per workload is cortexkit's ratio to that workload's floor (1.0 is the physical limit, lower
is better). A run regresses when a ratio grows more than `tolerance` past the committed baseline of the
same mode (quick and full runs have different sizes, so different ratios). Pure, unit-tested.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from bench.model import BenchResult

TOOL = "cortexkit"
DEFAULT_TOLERANCE = 0.10


@dataclass(frozen=True)
class Verdict:
    """The comparison of one workload's figure to its baseline."""

    workload: str
    current: float | None
    baseline: float | None
    limit: float | None
    passed: bool
    detail: str


def key_figures(result: BenchResult) -> dict[str, float | None]:
    """cortexkit's ratio per workload; None when cortexkit did not finish a workload it should have."""
    figures: dict[str, float | None] = {}
    for w in result.workloads:
        run = w.run(TOOL)
        if run is None or run.status == "skipped":
            continue
        figures[w.name] = run.ratio if run.status == "ok" else None
    return figures


def compare(
    current: dict[str, float | None],
    baseline: dict[str, float],
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[Verdict]:
    """One verdict per workload in either map: a missing current figure fails, a missing baseline passes."""
    verdicts = []
    for name in sorted(set(current) | set(baseline)):
        cur = current.get(name)
        base = baseline.get(name)
        if name not in current:
            verdicts.append(Verdict(name, None, base, None, True, "not run this time"))
            continue
        if cur is None:
            verdicts.append(Verdict(name, None, base, None, False, "cortexkit did not complete the workload"))
            continue
        if base is None:
            verdicts.append(Verdict(name, cur, None, None, True, "no baseline yet"))
            continue
        limit = base * (1 + tolerance)
        ok = cur <= limit
        detail = f"ratio {cur:.3f} vs baseline {base:.3f} (limit {limit:.3f})"
        verdicts.append(Verdict(name, cur, base, limit, ok, detail))
    return verdicts


def evaluate(
    result: BenchResult, baselines: dict[str, Any], tolerance: float = DEFAULT_TOLERANCE
) -> dict[str, Any]:
    """The regression section of results JSON: verdicts against the baseline of this run's mode."""
    baseline = {k: float(v) for k, v in baselines.get(result.mode, {}).items()}
    verdicts = compare(key_figures(result), baseline, tolerance)
    return {
        "tolerance": tolerance,
        "mode": result.mode,
        "passed": all(v.passed for v in verdicts),
        "verdicts": [asdict(v) for v in verdicts],
    }


def updated_baselines(
    result: BenchResult, baselines: dict[str, Any], only: Collection[str] | None = None
) -> dict[str, Any]:
    """The baseline file with this run's figures as the new reference for its mode.

    With `only`, just those workloads' figures change (a `--workloads` run carries the other workloads'
    older figures merged in from the results file; they must not overwrite their reference). The mode's
    other baselines stay as they were.
    """
    figures = {
        k: round(v, 4)
        for k, v in key_figures(result).items()
        if v is not None and (only is None or k in only)
    }
    kept = {} if only is None else dict(baselines.get(result.mode, {}))
    return {**baselines, result.mode: {**kept, **figures}}
