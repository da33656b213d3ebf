"""Workload 3: a long-running session, 32 threads calling `GET /cloud` for 60 s, token TTL 3 s.

One shared client, as a threaded script would hold it. The emulator issues 3-second tokens, so a client
must extend about once a second without a stampede and without letting a 401 reach a caller. Goal for
cortexkit: 1 login, extends close to duration / refresh interval, zero 401s or failed calls.
"""

from __future__ import annotations

import time
from typing import Any

from bench.floors import cortexkit_refresh_interval, expected_extends
from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter
from bench.workloads.base import LINKS, WorkloadSpec


class Session(WorkloadSpec):
    name = "session"
    title = "3. Long-running session"
    goal = "1 login, extends close to duration / refresh interval, zero 401s or failures reaching the caller"
    ratio_note = "Ratio = work seconds / duration (1.00 = the threads ran for the whole window)."

    def params(self, quick: bool) -> dict[str, Any]:
        return {"threads": 32, "duration_s": 8.0 if quick else 60.0, "token_ttl": 3.0, "rate_scale": 5.0}

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        base = super().emulator_config(params, tool)
        return {**base, "token_ttl": params["token_ttl"], "rate_scale": params["rate_scale"]}

    def floor(self, params: dict[str, Any]) -> tuple[float, str]:
        return float(
            params["duration_s"]
        ), "the fixed duration; this workload is about the session, not speed"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return float(params["duration_s"]) + 90.0

    def unsupported(self, tool: str) -> tuple[str, str] | None:
        if tool == "prismacloud-cli":
            return "a CLI: one process, one login and one call per command, no threads", LINKS["cli-single"]
        return None

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        if run.extends:
            run.extra["seconds_per_extend"] = round(float(params["duration_s"]) / run.extends, 2)
        if run.tool == "pcpi":
            run.link = LINKS["pcpi-refresh"]
            run.reason = (
                run.reason or "extends only after 360 s of token age, no lock; expired tokens answered 401"
            )
        elif run.tool == "prismacloud-api":
            run.link = LINKS["api-refresh"]
            run.reason = run.reason or "extends only after 590 s; a 401 is not retried and raises SystemExit"

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        run = result.run("cortexkit")
        if run is None or run.status != "ok":
            result.checks.append(Check("completed", False, run.reason if run else "not run"))
            return
        interval = cortexkit_refresh_interval(float(params["token_ttl"]))
        want = expected_extends(float(params["duration_s"]), interval)
        got = run.extends or 0
        result.checks += [
            Check("exactly 1 login", run.logins == 1, f"{run.logins} logins"),
            Check(
                "extends close to duration / refresh interval",
                0.5 * want <= got <= 1.5 * want,
                f"{got} extends, expected about {want:.0f} (one per {interval:.2f} s)",
            ),
            Check("zero 401s", run.r401 == 0, f"{run.r401} answered 401"),
            Check("zero failed calls", run.failed_calls == 0, f"{run.failed_calls} failed of {run.items} ok"),
        ]


SPEC = Session()


GRACE_S = 3.0


def _hammer(ctx: Ctx, call_once: Any) -> dict[str, Any]:
    """Runs call_once() from N threads until the deadline; call_once returns True on success.

    Threads are daemons and are waited for only GRACE_S past the deadline: a peer asleep in a 32 s or
    63 s backoff would otherwise stretch the window. Calls still running then are counted as stuck.
    """
    import threading

    threads = int(ctx.params["threads"])
    duration = float(ctx.params["duration_s"])
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    deadline = 0.0

    def loop() -> None:
        while time.perf_counter() < deadline:
            good = call_once()
            with lock:
                counts["ok" if good else "failed"] += 1

    with Meter() as meter:
        deadline = time.perf_counter() + duration
        workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join(max(0.0, deadline + GRACE_S - time.perf_counter()))
    stuck = sum(t.is_alive() for t in workers)
    with lock:
        return meter.result(counts["ok"], counts["failed"], threads=threads, stuck_calls=stuck)


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import cortexkit_client

    with cortexkit_client(ctx) as client:

        def once() -> bool:
            try:
                client.request("GET", "/cloud")
            except Exception:
                return False
            return True

        return _hammer(ctx, once)


def run_pcpi(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, pcpi_session

    session = pcpi_session(ctx)
    return _hammer(ctx, lambda: call(session.request, "GET", "/cloud")[1])


def run_prismacloud_api(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, prismacloud_api, quiet_stdout

    pc = prismacloud_api(ctx)
    with quiet_stdout():
        pc.login()
        return _hammer(ctx, lambda: call(pc.cloud_accounts_list_read)[1])
