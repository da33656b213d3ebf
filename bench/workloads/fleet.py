"""Workload 7: a fleet of processes on one key (issue 18), `GET /alert/{id}` (documented 5 req/s, burst 10).

Eight processes start together (each logs in first, then waits for a start file), each fetching the same
alerts one by one. The server counts them against one budget, so the floor is that of all their calls
against one bucket. With the shared governor cortexkit should meet 0 x 429 and finish within 10 % of the
floor; the rows beside it are the same processes with the governor off, the same through Redis from four
"hosts" (separate HOMEs and cache dirs), and the peers, eight processes each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.floors import bucket_floor
from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, context_from_env, note_child_rss
from bench.workloads.base import LINKS, WorkloadSpec
from bench.workloads.sweep import BURST, RATE, fetch_alert_ids

SHARED_TOOLS = ("cortexkit", "cortexkit-redis")
HOSTS = 4


class Fleet(WorkloadSpec):
    name = "fleet"
    title = "7. A fleet of processes on one key"
    goal = (
        "cortexkit (shared governor, file or Redis): 0 x 429 and within 10% of the floor, zero failed calls"
    )
    tools = ("cortexkit", "cortexkit-no-governor", "cortexkit-redis", "pcpi", "prismacloud-api")
    ratio_note = "Ratio = seconds from the start signal to the last process done / floor."

    def params(self, quick: bool) -> dict[str, Any]:
        if quick:
            return {"processes": 8, "alerts": 15, "rate_scale": 4.0, "alert_pool": 200}
        return {"processes": 8, "alerts": 100, "rate_scale": 4.0, "alert_pool": 200}

    def prepare(self, params: dict[str, Any]) -> dict[str, Any]:
        from bench.emu import emulator

        with emulator(rate_limits="off", alerts=params["alert_pool"]) as emu:
            ids = fetch_alert_ids(emu.url, emu.access_key_id, emu.secret_key, params["alerts"], False)
        if len(ids) < params["alerts"]:
            raise RuntimeError(f"the emulator listed {len(ids)} alerts, {params['alerts']} needed")
        return {**params, "ids": ids}

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {
            **super().emulator_config(params, tool),
            "rate_scale": params["rate_scale"],
            "alerts": params["alert_pool"],
        }

    def calls(self, params: dict[str, Any]) -> int:
        return int(params["processes"]) * int(params["alerts"])

    def floor(self, params: dict[str, Any]) -> tuple[float, str]:
        rate = RATE * params["rate_scale"]
        n = self.calls(params)
        return bucket_floor(n, rate, BURST), f"({n} - {BURST}) / {rate:g} req/s, one budget for the key"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return 60.0 + 3.0 * self.floor(params)[0]

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        if run.items != self.calls(params):
            run.ratio = None  # an incomplete fleet has no meaningful time ratio
        if run.tool == "cortexkit-no-governor":
            run.reason = run.reason or "CORTEXKIT_GOVERNOR=off: each process paces itself alone"
        elif run.tool == "cortexkit-redis":
            run.reason = run.reason or f"{HOSTS} hosts (own HOME and cache dir) sharing one redis-server"
        elif run.tool == "pcpi":
            run.link = LINKS["pcpi-backoff"]
            run.reason = run.reason or "no client-side rate limit; sticky backoff on 429 without Retry-After"
        elif run.tool == "prismacloud-api":
            run.link = LINKS["api-retry"]
            run.reason = run.reason or "no client-side rate limit; fixed 1-2-4-8-16-32 s retry list on 429"

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        for tool in SHARED_TOOLS:
            run = result.run(tool)
            if run is None or run.status != "ok":
                result.checks.append(Check(f"{tool} completed", False, run.reason if run else "not run"))
                continue
            result.checks += [
                Check(f"{tool}: 0 x 429", run.r429 == 0, f"{run.r429} of {run.requests}"),
                Check(f"{tool}: within 10% of the floor", (run.ratio or 99) <= 1.10, f"ratio {run.ratio}"),
                Check(f"{tool}: zero failed calls", run.failed_calls == 0, f"{run.failed_calls} failed"),
            ]


SPEC = Fleet()


# -- child side: the parent of the fleet -------------------------------------------------------------


def _fleet(ctx: Ctx, tool: str, env_of: Any = None) -> dict[str, Any]:
    """Start the members, wait until each has logged in, start them together, add up their figures."""
    n = int(ctx.params["processes"])
    with tempfile.TemporaryDirectory(prefix="fleet-") as scratch:
        root = Path(scratch)
        go = root / "go"
        members = []
        for i in range(n):
            env = {**os.environ, **(env_of(i, root) if env_of else {})}
            cmd = [sys.executable, "-m", "bench.workloads.fleet", tool, str(go), str(root / f"out{i}.json")]
            members.append(subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE))
        for proc in members:
            assert proc.stdout is not None
            proc.stdout.readline()  # "ready" once logged in (or EOF if it died: counted as failed below)
        started = time.perf_counter()
        go.write_text("go")
        for proc in members:
            _, _status, usage = os.wait4(proc.pid, 0)
            note_child_rss(usage.ru_maxrss)
        work = time.perf_counter() - started
        outs = []
        for i in range(n):
            path = root / f"out{i}.json"
            outs.append(
                json.loads(path.read_text()) if path.exists() else {"ok": 0, "failed": len(ctx.params["ids"])}
            )
    ok = sum(int(o["ok"]) for o in outs)
    failed = sum(int(o["failed"]) for o in outs)
    return {
        "work_s": work,
        "work_cpu_s": None,
        "items": ok,
        "failed_calls": failed,
        "extra": {"processes": n},
    }


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    return _fleet(ctx, "cortexkit", lambda i, root: {"CORTEXKIT_CACHE_DIR": str(root / "cache")})


def run_cortexkit_no_governor(ctx: Ctx) -> dict[str, Any]:
    return _fleet(ctx, "cortexkit", lambda i, root: {"CORTEXKIT_GOVERNOR": "off"})


def run_cortexkit_redis(ctx: Ctx) -> dict[str, Any]:
    from bench.redis_server import redis_server

    with tempfile.TemporaryDirectory(prefix="fleet-redis-") as where, redis_server(Path(where)) as url:

        def host(i: int, root: Path) -> dict[str, str]:
            home = root / f"host{i % HOSTS}"
            return {
                "HOME": str(home),
                "CORTEXKIT_CACHE_DIR": str(home / "cache"),
                "CORTEXKIT_GOVERNOR_URL": url,
            }

        return _fleet(ctx, "cortexkit", host)


def run_pcpi(ctx: Ctx) -> dict[str, Any]:
    return _fleet(ctx, "pcpi")


def run_prismacloud_api(ctx: Ctx) -> dict[str, Any]:
    return _fleet(ctx, "prismacloud-api")


# -- child side: one member of the fleet -------------------------------------------------------------


def _wait(go: Path) -> None:
    print("ready", flush=True)
    deadline = time.monotonic() + 300
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)


def _member(tool: str, go: Path) -> tuple[int, int]:
    from bench.workloads.clients import call, cortexkit_client, pcpi_session, prismacloud_api, quiet_stdout

    ctx = context_from_env()
    ids = ctx.params["ids"]
    ok = failed = 0
    if tool == "cortexkit":
        with cortexkit_client(ctx) as client:
            client.request("GET", "/cloud")  # the login, before the start signal
            _wait(go)
            for alert_id in ids:
                try:
                    client.request("GET", f"/alert/{alert_id}")
                    ok += 1
                except Exception:
                    failed += 1
    elif tool == "pcpi":
        session = pcpi_session(ctx)
        _wait(go)
        for alert_id in ids:
            _, good = call(session.request, "GET", f"/alert/{alert_id}")
            ok, failed = ok + good, failed + (not good)
    else:
        pc = prismacloud_api(ctx)
        with quiet_stdout():
            pc.login()
            sys.__stdout__.write("ready\n")  # quiet_stdout swallowed print's stdout
            sys.__stdout__.flush()
            deadline = time.monotonic() + 300
            while not go.exists() and time.monotonic() < deadline:
                time.sleep(0.005)
            for alert_id in ids:
                _, good = call(pc.execute, "GET", f"alert/{alert_id}")
                ok, failed = ok + good, failed + (not good)
    return ok, failed


if __name__ == "__main__":
    tool_name, go_file, out_file = sys.argv[1:4]
    good, bad = _member(tool_name, Path(go_file))
    Path(out_file).write_text(json.dumps({"ok": good, "failed": bad}))
