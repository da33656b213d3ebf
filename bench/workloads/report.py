"""Workload: the alert report over every alert of the tenant (`cortexkit alerts report --since all`).

The report folds alerts into counters page by page, so its memory should not grow with the number of
alerts (issue 19 goal: peak RSS under 150 MB at 200,000) and the HTML stays small (goal: under 1 MB).
cortexkit only: the peers have no report. The floor is the page count against the bucket of `/v2/alert`.
"""

from __future__ import annotations

import os
from typing import Any

from bench.floors import bucket_floor, pages_needed
from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter
from bench.workloads.base import WorkloadSpec

RATE, BURST = 2.0, 10  # limits.match_limit("POST", "/v2/alert")
RSS_LIMIT_MB = 150.0
HTML_LIMIT_BYTES = 1_000_000


class Report(WorkloadSpec):
    name = "report"
    title = "Alert report over every alert"
    goal = "cortexkit's report: peak RSS under 150 MB however many alerts, HTML under 1 MB"
    tools = ("cortexkit",)

    def params(self, quick: bool) -> dict[str, Any]:
        if quick:
            return {"alerts": 10_000, "page_size": 500, "rate_scale": 2.0}  # 20 pages: past the burst
        return {"alerts": 200_000, "page_size": 2_500, "rate_scale": 2.0}

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {
            **super().emulator_config(params, tool),
            "rate_scale": params["rate_scale"],
            "alerts": params["alerts"],
        }

    def floor(self, params: dict[str, Any]) -> tuple[float, str]:
        pages = pages_needed(params["alerts"], params["page_size"])
        rate = RATE * params["rate_scale"]
        return bucket_floor(pages, rate, BURST), f"({pages} pages - {BURST}) / {rate:g} req/s"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return 600.0

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        if run.items != params["alerts"]:
            run.ratio = None
        if run.items and run.work_s:
            run.extra["items_per_s"] = round(run.items / run.work_s, 1)

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        run = result.run("cortexkit")
        if run is None or run.status != "ok":
            result.checks.append(Check("completed", False, run.reason if run else "not run"))
            return
        rss = run.peak_rss_mb or 0.0
        size = int(run.extra.get("html_bytes", 0))
        result.checks += [
            Check("peak RSS under 150 MB", rss < RSS_LIMIT_MB, f"{rss:.1f} MB for {run.items:,} alerts"),
            Check("HTML under 1 MB", 0 < size < HTML_LIMIT_BYTES, f"{size:,} bytes"),
            Check(
                "every alert counted", run.items == params["alerts"], f"{run.items:,} of {params['alerts']:,}"
            ),
            Check("zero failed calls", run.failed_calls == 0, f"{run.failed_calls} failed"),
        ]


SPEC = Report()


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import cortexkit_client
    from cortexkit.cli import alertquery, report

    window, sla = report.plan("all", None)
    body = alertquery.body(alertquery.AlertSelection(since="all"), limit=int(ctx.params["page_size"]))
    failed = 0
    seen = 0
    with cortexkit_client(ctx) as client, Meter() as meter:
        try:
            data = report.collect(client, body, window=window, sla=sla, since="all", top=10)
            report.write(data, "report.html", title="bench")
            seen = data.total
        except Exception:
            failed += 1
    size = os.path.getsize("report.html") if os.path.exists("report.html") else 0
    return meter.result(seen, failed, html_bytes=size)
