"""Workload 4: client overhead, authenticated `GET /cloud` on loopback with rate limits off.

What a client costs on top of the HTTP it sends: CPU per request of the loop, against a bare pooled
`httpx.Client` doing the same calls. The peers open a new connection per call (TLS for the two that
require https), so they get fewer calls; the figure compared is per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter
from bench.workloads.base import LINKS, WorkloadSpec

BASELINE_TOOL = "httpx"


def cpu_per_request_us(run: RunResult) -> float | None:
    """Microseconds of CPU per call: the best slice of the loop for libraries, whole processes for the CLI."""
    if run.status != "ok" or not run.items:
        return None
    if "best_chunk_cpu_us" in run.extra:
        return float(run.extra["best_chunk_cpu_us"])
    cpu = run.cpu_s if run.tool == "prismacloud-cli" else run.work_cpu_s
    return None if cpu is None else cpu / run.items * 1e6


class Overhead(WorkloadSpec):
    name = "overhead"
    title = "4. Client overhead"
    goal = "cortexkit's CPU per request within 1.2 times raw httpx with a pooled client"
    tools = (BASELINE_TOOL, "cortexkit", "cortexkit-https", "pcpi", "prismacloud-api", "prismacloud-cli")
    ratio_note = (
        "Ratio = CPU per request / raw pooled httpx's CPU per request (not a time floor); CPU per request"
        " is the best of 5 equal slices of each loop, the CLI's is whole processes."
    )

    def params(self, quick: bool) -> dict[str, Any]:
        if quick:
            return {"calls": 2000, "pcpi_calls": 500, "prismacloud_api_calls": 100, "cli_processes": 3}
        return {"calls": 10000, "pcpi_calls": 2000, "prismacloud_api_calls": 300, "cli_processes": 10}

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {**super().emulator_config(params, tool), "rate_limits": "off"}

    def child_params(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        key = {
            "pcpi": "pcpi_calls",
            "prismacloud-api": "prismacloud_api_calls",
            "cortexkit-https": "prismacloud_api_calls",
            "prismacloud-cli": "cli_processes",
        }
        return {"calls": params[key.get(tool, "calls")]}

    def floor(self, params: dict[str, Any]) -> tuple[None, str]:
        return None, "none: rate limits are off; raw pooled httpx is the reference"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return 300.0

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        run.ratio = None
        per = cpu_per_request_us(run)
        if per is not None:
            run.extra["cpu_us_per_request"] = round(per, 1)
        if run.items and run.work_s:
            run.extra["requests_per_s"] = round(run.items / run.work_s, 1)
        if run.tool == "cortexkit-https":
            run.reason = run.reason or "the same calls as prismacloud-api, over one pooled TLS connection"
        elif run.tool == "pcpi":
            run.link, run.reason = LINKS["pcpi-no-pool"], run.reason or "new TCP connection per call"
        elif run.tool == "prismacloud-api":
            run.link = LINKS["api-exit"]
            run.reason = run.reason or "https only, new TLS connection per call"
        elif run.tool == "prismacloud-cli":
            run.link = LINKS["cli-single"]
            run.reason = (
                run.reason or "one process (import, login, call) per command; CPU is the whole process"
            )

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        base = result.run(BASELINE_TOOL)
        base_per = cpu_per_request_us(base) if base else None
        for run in result.runs:
            per = cpu_per_request_us(run)
            if per is not None and base_per:
                run.ratio = per / base_per
        ck = result.run("cortexkit")
        if ck is None or ck.ratio is None:
            result.checks.append(Check("CPU per request within 1.2x raw httpx", False, "no figure"))
            return
        detail = f"{ck.extra.get('cpu_us_per_request')} us vs {round(base_per or 0, 1)} us: {ck.ratio:.2f}x"
        result.checks += [
            Check("CPU per request within 1.2x raw httpx", ck.ratio <= 1.2, detail),
            Check("zero failed calls", ck.failed_calls == 0, f"{ck.failed_calls} failed of {ck.items}"),
        ]


SPEC = Overhead()


CHUNKS = 5


def _loop(n: int, once: Callable[[], bool]) -> dict[str, Any]:
    """Calls once() n times in CHUNKS equal slices; CPU per call is the best slice (timeit's rule:
    other processes on the machine only ever add time, so the minimum is the least disturbed figure)."""
    ok = failed = 0
    size = max(1, n // CHUNKS)
    best: float | None = None
    with Meter() as meter:
        done = 0
        while done < n:
            batch = min(size, n - done)
            start = time.process_time()
            for _ in range(batch):
                if once():
                    ok += 1
                else:
                    failed += 1
            per_call = (time.process_time() - start) / batch
            best = per_call if best is None else min(best, per_call)
            done += batch
    return meter.result(ok, failed, best_chunk_cpu_us=round((best or 0.0) * 1e6, 1))


def run_httpx(ctx: Ctx) -> dict[str, Any]:
    import httpx

    with httpx.Client(base_url=ctx.url, verify=ctx.verify, timeout=30.0) as client:
        login = client.post("/login", json={"username": ctx.access_key_id, "password": ctx.secret_key})
        headers = {"x-redlock-auth": login.json()["token"], "Accept": "application/json"}

        def once() -> bool:
            resp = client.get("/cloud", headers=headers)
            if resp.status_code != 200:
                return False
            resp.json()
            return True

        return _loop(int(ctx.params["calls"]), once)


def run_cortexkit_https(ctx: Ctx) -> dict[str, Any]:
    return run_cortexkit(ctx)


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import cortexkit_client

    # Client-side rate limiting off, as the server's is: this measures the pipeline, not the pacing.
    with cortexkit_client(ctx, rate_limit=False) as client:
        client.request("GET", "/cloud")  # log in outside the loop, like the httpx baseline

        def once() -> bool:
            try:
                client.request("GET", "/cloud")
            except Exception:
                return False
            return True

        return _loop(int(ctx.params["calls"]), once)


def run_pcpi(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, pcpi_session

    session = pcpi_session(ctx)

    def once() -> bool:
        resp, good = call(session.request, "GET", "/cloud")
        if good:
            resp.json()
        return bool(good)

    return _loop(int(ctx.params["calls"]), once)


def run_prismacloud_api(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, prismacloud_api, quiet_stdout

    pc = prismacloud_api(ctx)
    with quiet_stdout():
        pc.login()
        return _loop(int(ctx.params["calls"]), lambda: bool(call(pc.cloud_accounts_list_read)[1]))


def run_prismacloud_cli(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import run_cli

    ok = failed = 0
    last_error = ""
    with Meter() as meter:
        for _ in range(int(ctx.params["calls"])):
            code, _, error = run_cli(ctx, "cloud", "list")
            ok, failed = ok + (code == 0), failed + (code != 0)
            last_error = error if code else last_error
    return meter.result(ok, failed, **({"error": last_error} if last_error else {}))
