"""The regression check that fails `make bench` when cortexkit falls behind its own floor ratio."""

from __future__ import annotations

from pathlib import Path

from bench.model import BenchResult, RunResult, WorkloadResult
from bench.regression import compare, evaluate, key_figures, updated_baselines


def _result(mode: str = "full", **ratios: float | None) -> BenchResult:
    result = BenchResult(generated_at="2026-01-01 00:00", mode=mode, machine={}, versions={}, commands=[])
    for name, value in ratios.items():
        w = WorkloadResult(name, name, "goal", {}, 1.0, "note", "ratio note")
        status = "ok" if value is not None else "timeout"
        w.runs = [RunResult("cortexkit", status, ratio=value), RunResult("pcpi", "ok", ratio=9.0)]
        result.workloads.append(w)
    return result


def test_within_tolerance_passes_and_beyond_fails() -> None:
    verdicts = {v.workload: v for v in compare({"sweep": 1.10, "export": 1.2}, {"sweep": 1.0, "export": 1.0})}
    assert verdicts["sweep"].passed  # exactly 10% behind is still allowed
    assert not verdicts["export"].passed
    assert verdicts["export"].limit is not None and abs(verdicts["export"].limit - 1.1) < 1e-9


def test_an_improvement_passes() -> None:
    (verdict,) = compare({"sweep": 0.9}, {"sweep": 1.05})
    assert verdict.passed


def test_missing_baseline_passes_and_missing_run_is_not_a_failure() -> None:
    verdicts = {v.workload: v for v in compare({"new": 1.3}, {"gone": 1.0})}
    assert verdicts["new"].passed and verdicts["new"].detail == "no baseline yet"
    assert verdicts["gone"].passed and verdicts["gone"].detail == "not run this time"


def test_cortexkit_not_completing_fails() -> None:
    (verdict,) = compare({"sweep": None}, {"sweep": 1.0})
    assert not verdict.passed


def test_key_figures_read_only_cortexkit_and_skip_skipped_runs() -> None:
    result = _result(sweep=1.02, session=None)
    skipped = WorkloadResult("onboarding", "o", "g", {}, None, "", "")
    skipped.runs = [RunResult("cortexkit", "skipped", reason="engine missing")]
    result.workloads.append(skipped)
    assert key_figures(result) == {"sweep": 1.02, "session": None}


def test_evaluate_uses_the_baseline_of_the_same_mode() -> None:
    baselines = {"full": {"sweep": 1.0}, "quick": {"sweep": 2.0}}
    assert not evaluate(_result("full", sweep=1.5), baselines)["passed"]
    assert evaluate(_result("quick", sweep=1.5), baselines)["passed"]


def test_updated_baselines_replace_only_this_mode() -> None:
    out = updated_baselines(_result("full", sweep=1.03456, session=None), {"quick": {"sweep": 2.0}})
    assert out == {"quick": {"sweep": 2.0}, "full": {"sweep": 1.0346}}


def test_updated_baselines_only_touch_the_named_workloads() -> None:
    baselines = {"quick": {"sweep": 1.1, "onboarding": 3.98}, "full": {"sweep": 1.0}}
    out = updated_baselines(
        _result("quick", sweep=1.5, cortex_onboarding=1.31), baselines, ["cortex_onboarding"]
    )
    assert out == {
        "quick": {"sweep": 1.1, "onboarding": 3.98, "cortex_onboarding": 1.31},
        "full": {"sweep": 1.0},
    }


def test_a_workloads_run_updates_only_its_baseline_not_the_merged_older_figures(tmp_path: Path) -> None:
    """`--workloads cortex_onboarding --update-baseline` after an older quick run of every workload: the
    results file keeps the older figures (merged in), the baseline changes only for what ran."""
    import json

    from bench.__main__ import _merge, _new_baselines

    previous = tmp_path / "quick.json.tmp"
    previous.write_text(json.dumps(_result("quick", sweep=1.9, onboarding=4.5).to_json()))
    result = _result("quick", cortex_onboarding=1.31)
    _merge(previous, result)
    assert key_figures(result) == {"sweep": 1.9, "onboarding": 4.5, "cortex_onboarding": 1.31}
    baselines = {"quick": {"sweep": 1.1, "onboarding": 3.98}}
    out = _new_baselines(result, baselines, ["cortex_onboarding"])
    assert out == {"quick": {"sweep": 1.1, "onboarding": 3.98, "cortex_onboarding": 1.31}}


def test_the_cortex_bulk_splits_its_429s_into_injected_and_rate_limited() -> None:
    """Issue 17's bench question: are the bulk's 429s the emulator's fault mix or our pacing?"""
    from bench.workloads.cortex_onboarding import throttle_breakdown

    stats = {
        "throttled": 3,
        "faults": {"429": 2, "503": 4},
        "requests": {
            "POST <unmatched>": {"429": 2, "200": 1},
            "POST /public_api/v1/cloud_onboarding/get_instances": {"429": 1, "200": 40},
            "POST /_azure/login/{tenant}/oauth2/v2.0/token": {"200": 2},
        },
    }
    assert throttle_breakdown(stats) == {
        "r429_injected": 2,
        "r429_rate_limited": 1,
        "r429_routes": {"POST <unmatched>": 2, "POST /public_api/v1/cloud_onboarding/get_instances": 1},
        "azure_sign_ins": 2,
    }
