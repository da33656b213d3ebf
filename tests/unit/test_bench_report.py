"""docs/BENCHMARKS.md rendering and the results JSON round trip."""

from __future__ import annotations

import json

from bench.model import BenchResult, Check, RunResult, WorkloadResult
from bench.report import render, render_workload


def _sweep() -> WorkloadResult:
    w = WorkloadResult(
        name="sweep",
        title="1. Alert detail sweep",
        goal="within 5% of the floor",
        params={"alerts": 310, "rate_scale": 4.0},
        floor_s=15.0,
        floor_note="(310 - 10) / 20 req/s",
        ratio_note="Ratio = work seconds / floor.",
    )
    w.runs = [
        RunResult(
            "cortexkit", "ok", wall_s=16.2, work_s=15.3, ratio=1.02, requests=311, r429=0, logins=1, items=310
        ),
        RunResult(
            "pcpi",
            "timeout",
            reason="killed after 60 s",
            link="https://example.invalid/pcpi#L1",
            requests=900,
        ),
        RunResult(
            "prismacloud-cli", "skipped", reason="no alert-by-id command", link="https://example.invalid/cli"
        ),
    ]
    w.checks = [Check("within 5% of the floor", True, "ratio 1.020")]
    return w


def test_workload_section_has_floor_table_skip_reason_with_link_and_checks() -> None:
    text = render_workload(_sweep())
    assert "Floor: 15.00 s ((310 - 10) / 20 req/s)" in text
    assert "| **cortexkit** | http | 16.20 | 15.30 | 1.020 | 311 | 0 | – | 1 |" in text
    assert "| cannot run: no alert-by-id command ([code](https://example.invalid/cli)) |" in text
    assert "- PASS within 5% of the floor: ratio 1.020" in text
    assert "- pcpi: timeout: killed after 60 s; [code](https://example.invalid/pcpi#L1)" in text


def test_table_rows_have_as_many_cells_as_the_header() -> None:
    lines = [ln for ln in render_workload(_sweep()).splitlines() if ln.startswith("|")]
    widths = {ln.count("|") for ln in lines}
    assert len(widths) == 1, lines


def test_page_has_machine_versions_commands_and_regression() -> None:
    result = BenchResult(
        generated_at="2026-01-01 00:00",
        mode="full",
        machine={"cores": 2},
        versions={"pcpi": "1.0.1"},
        commands=["make bench"],
        workloads=[_sweep()],
        regression={
            "passed": False,
            "mode": "full",
            "tolerance": 0.1,
            "verdicts": [{"workload": "sweep", "passed": False, "detail": "ratio 1.2 vs baseline 1.0"}],
        },
    )
    page = render(result)
    assert page.startswith("# Benchmarks\n")
    assert "- cores: 2" in page and "- pcpi 1.0.1" in page and "- `make bench`" in page
    assert "**FAILED**" in page and "- sweep: REGRESSED (ratio 1.2 vs baseline 1.0)" in page


def test_results_round_trip_through_json() -> None:
    result = BenchResult("2026-01-01 00:00", "quick", {"cores": 2}, {}, ["make bench QUICK=1"], [_sweep()])
    again = BenchResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result
    assert again.workloads[0].run("pcpi") is not None
    assert again.workloads[0].run("nobody") is None


def test_summary_lists_workloads_in_issue_order_with_goals_met() -> None:
    capacity = WorkloadResult("capacity", "6. Emulator capacity", "g", {}, None, "", "")
    capacity.runs = [RunResult("raw-loadgen", "ok", extra={"requests_per_s": 2500.0})]
    capacity.checks = [Check("at least 2,000 requests/s", True, "2,500")]
    result = BenchResult("2026-01-01 00:00", "full", {}, {}, [], [capacity, _sweep()])
    page = render(result)
    assert "| 1. Alert detail sweep | ratio 1.020, 0 x 429 | 1 of 1 |" in page
    assert "| 6. Emulator capacity | 2,500 requests/s | 1 of 1 |" in page
    assert page.index("## 1. Alert detail sweep") < page.index("## 6. Emulator capacity")


def test_notes_format_extras_by_size() -> None:
    w = _sweep()
    w.runs[0].extra = {"items_per_s": 3840.8, "seconds_per_extend": 1.02, "threads": 32, "error": "boom"}
    text = render_workload(w)
    expected = "- cortexkit: error = boom; items_per_s = 3,840.8; seconds_per_extend = 1.020; threads = 32"
    assert expected in text
