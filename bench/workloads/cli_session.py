"""Workload 9: consecutive CLI commands on one profile (issue 18), `cortexkit api GET /cloud` N times.

Each command is a new process. Without a shared session every one logs in again; with the token cache
(the CLI's default) the first logs in and the others reuse its token for its life. Figures: logins and
the median command time, with the cache and without it (`CORTEXKIT_SESSION_CACHE=off`), and prismacloud-cli
running `pc cloud list` the same number of times.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter, note_child_rss
from bench.workloads.base import LINKS, WorkloadSpec


class CliSession(WorkloadSpec):
    name = "cli_session"
    title = "9. Consecutive CLI commands"
    goal = "1 login for all the commands of one profile within a token's life (the cache off: one each)"
    tools = ("cortexkit", "cortexkit-no-cache", "prismacloud-cli")
    ratio_note = "Ratio = median command time / the median without the token cache (below 1: faster)."

    def params(self, quick: bool) -> dict[str, Any]:
        return {"commands": 5 if quick else 20}

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {**super().emulator_config(params, tool), "rate_limits": "documented"}

    def floor(self, params: dict[str, Any]) -> tuple[None, str]:
        return None, "none: this workload counts logins"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return 30.0 + 10.0 * float(params["commands"])

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        if run.tool == "cortexkit-no-cache":
            run.reason = run.reason or "CORTEXKIT_SESSION_CACHE=off: every command logs in"
        elif run.tool == "prismacloud-cli":
            run.link = LINKS["cli-single"]
            run.reason = run.reason or "one process, one login per command"

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        run, alone = result.run("cortexkit"), result.run("cortexkit-no-cache")
        if run is None or run.status != "ok":
            result.checks.append(Check("completed", False, run.reason if run else "not run"))
            return
        if alone is not None and alone.status == "ok":
            base = alone.extra.get("median_s")
            if base:
                run.ratio = round(float(run.extra["median_s"]) / float(base), 3)
        result.checks += [
            Check("1 login", run.logins == 1, f"{run.logins} logins for {params['commands']} commands"),
            Check("zero failed commands", run.failed_calls == 0, f"{run.failed_calls} failed"),
        ]


SPEC = CliSession()


def _commands(ctx: Ctx, extra_env: dict[str, str]) -> dict[str, Any]:
    env = {
        **os.environ,
        "PRISMA_API_URL": ctx.url,
        "PRISMA_ACCESS_KEY_ID": ctx.access_key_id,
        "PRISMA_SECRET_KEY": ctx.secret_key,
        "CORTEXKIT_CONFIG_DIR": os.path.join(os.environ["HOME"], "config"),
        "CORTEXKIT_CACHE_DIR": os.path.join(os.environ["HOME"], "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # the cache key in a 0600 file
        **extra_env,
    }
    times: list[float] = []
    ok = failed = 0
    with Meter() as meter:
        for _ in range(int(ctx.params["commands"])):
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "cortexkit.cli.main", "api", "GET", "/cloud"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            times.append(time.perf_counter() - start)
            note_child_rss(usage.ru_maxrss)
            good = os.waitstatus_to_exitcode(status) == 0
            ok, failed = ok + good, failed + (not good)
    return meter.result(ok, failed, median_s=round(statistics.median(times), 3))


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    return _commands(ctx, {})


def run_cortexkit_no_cache(ctx: Ctx) -> dict[str, Any]:
    return _commands(ctx, {"CORTEXKIT_SESSION_CACHE": "off"})


def run_prismacloud_cli(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import run_cli

    times: list[float] = []
    ok = failed = 0
    with Meter() as meter:
        for _ in range(int(ctx.params["commands"])):
            start = time.perf_counter()
            code, _, _error = run_cli(ctx, "cloud", "list")
            times.append(time.perf_counter() - start)
            ok, failed = ok + (code == 0), failed + (code != 0)
    return meter.result(ok, failed, median_s=round(statistics.median(times), 3))
