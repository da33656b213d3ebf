"""Workload 2: full alert export through `POST /v2/alert` pages (documented 2 req/s, burst 10), to a file.

cortexkit streams item by item, so its memory should not grow with the number of alerts (goal: peak RSS
under 150 MB at 200,000). The floor is the page count against the bucket: (pages - burst) / rate.
"""

from __future__ import annotations

import json
from typing import Any

from bench.floors import bucket_floor, pages_needed
from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter, Progress
from bench.workloads.base import LINKS, WorkloadSpec

RATE, BURST = 2.0, 10  # limits.match_limit("POST", "/v2/alert")
RSS_LIMIT_MB = 150.0
TIME_RANGE = {"type": "to_now", "value": "epoch"}  # every alert the tenant has


class Export(WorkloadSpec):
    name = "export"
    title = "2. Full alert export"
    goal = "cortexkit's peak RSS under 150 MB however many alerts; items/s next to the peers"

    def params(self, quick: bool) -> dict[str, Any]:
        # rate_scale 2 (4 pages/s) keeps the server's limit, not the emulator's alert generation, the floor.
        if quick:
            return {"alerts": 10_000, "page_size": 500, "rate_scale": 2.0}
        return {"alerts": 200_000, "page_size": 1000, "rate_scale": 2.0}

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
        return 240.0

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        if run.items != params["alerts"]:
            run.ratio = None  # an incomplete export has no meaningful time ratio
        if run.items and run.work_s:
            run.extra["items_per_s"] = round(run.items / run.work_s, 1)
        if run.tool == "pcpi":
            run.link = LINKS["pcpi-no-v2-paging"]
            run.reason = (
                run.reason or "no /v2/alert paging helper: the bench pages by hand, writing each page"
            )
        elif run.tool == "prismacloud-api":
            run.link = LINKS["api-v2-paging"]
            run.reason = (
                run.reason
                or "later pages send only pageToken (filters and limit dropped); all items held in a list"
            )
        elif run.tool == "prismacloud-cli":
            run.link = LINKS["cli-alert-v1"]
            run.reason = (
                run.reason or "`alert list` is v1 `GET /alert?limit=10000`, one page, open alerts only"
            )

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        run = result.run("cortexkit")
        if run is None or run.status != "ok":
            result.checks.append(Check("completed", False, run.reason if run else "not run"))
            return
        rss = run.peak_rss_mb or 0.0
        result.checks += [
            Check("peak RSS under 150 MB", rss < RSS_LIMIT_MB, f"{rss:.1f} MB for {run.items:,} alerts"),
            Check(
                "every alert exported",
                run.items == params["alerts"],
                f"{run.items:,} of {params['alerts']:,}",
            ),
            Check("zero failed calls", run.failed_calls == 0, f"{run.failed_calls} failed"),
        ]


SPEC = Export()


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import cortexkit_client

    items = failed = 0
    progress = Progress()
    with cortexkit_client(ctx) as client, open("alerts.jsonl", "w") as out, Meter() as meter:
        try:
            for alert in client.alerts.iterate(time_range=TIME_RANGE, page_size=int(ctx.params["page_size"])):
                out.write(alert.model_dump_json(by_alias=True) + "\n")
                items += 1
                progress.update(items, failed)
        except Exception:
            failed += 1
    return meter.result(items, failed)


def run_pcpi(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, pcpi_session

    session = pcpi_session(ctx)
    base = {"timeRange": TIME_RANGE, "limit": int(ctx.params["page_size"])}
    body: dict[str, Any] = dict(base)
    items = failed = 0
    progress = Progress()
    with open("alerts.jsonl", "w") as out, Meter() as meter:
        while True:
            resp, good = call(session.request, "POST", "/v2/alert", json=body)
            if not good:
                failed += 1
                break
            data = resp.json()
            for alert in data.get("items", []):
                out.write(json.dumps(alert) + "\n")
                items += 1
            progress.update(items, failed)
            if not data.get("nextPageToken"):
                break
            body = {**base, "pageToken": data["nextPageToken"]}
    return meter.result(items, failed)


def run_prismacloud_api(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, prismacloud_api, quiet_stdout

    pc = prismacloud_api(ctx)
    body = {"timeRange": TIME_RANGE, "limit": int(ctx.params["page_size"])}
    with quiet_stdout():
        pc.login()
        with open("alerts.jsonl", "w") as out, Meter() as meter:
            alerts, good = call(pc.alert_v2_list_read, body_params=body)
            for alert in alerts or []:
                out.write(json.dumps(alert) + "\n")
    return meter.result(len(alerts or []), int(not good))


def run_prismacloud_cli(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import run_cli

    with Meter() as meter:
        code, stdout, error = run_cli(ctx, "alert", "list", "--amount", "100", "--unit", "year")
        with open("alerts.json", "wb") as out:
            out.write(stdout)
    try:
        items = len(json.loads(stdout)) if code == 0 else 0
    except ValueError:
        items = 0
    return meter.result(items, int(code != 0), **({"error": error} if code else {}))
