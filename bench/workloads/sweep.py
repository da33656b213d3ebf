"""Workload 1: alert detail sweep, `GET /alert/{id}` one by one (documented 5 req/s, burst 10).

The floor is (N - burst) / rate: no client can be faster against a bucket that starts full. cortexkit
should sit within 5% of it with under 1% of its requests answered 429; the peers have no client-side
rate limiting and meet the server's 429s with fixed backoff tables.
"""

from __future__ import annotations

from typing import Any

from bench.floors import bucket_floor
from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter, Progress
from bench.workloads.base import LINKS, WorkloadSpec

RATE, BURST = 5.0, 10  # limits.match_limit("GET", "/alert/{id}"), restated so peer pythons need no cortexkit


def fetch_alert_ids(url: str, key_id: str, secret: str, n: int, verify: str | bool) -> list[str]:
    """The first n alert ids of a seeded emulator, read through `POST /v2/alert` pages."""
    import httpx

    ids: list[str] = []
    with httpx.Client(base_url=url, verify=verify, timeout=60.0) as c:
        token = c.post("/login", json={"username": key_id, "password": secret}).json()["token"]
        body: dict[str, Any] = {"limit": min(n, 1000), "timeRange": {"type": "to_now", "value": "epoch"}}
        while len(ids) < n:
            r = c.post("/v2/alert", json=body, headers={"x-redlock-auth": token})
            r.raise_for_status()
            data = r.json()
            ids += [str(a["id"]) for a in data.get("items", [])]
            if not data.get("nextPageToken"):
                break
            body = {**body, "pageToken": data["nextPageToken"]}
    return ids[:n]


class Sweep(WorkloadSpec):
    name = "sweep"
    title = "1. Alert detail sweep"
    goal = "cortexkit within 5% of the floor, under 1% of its requests answered 429, zero failed calls"

    def params(self, quick: bool) -> dict[str, Any]:
        # A peer stuck in its sticky 429 backoff is cut off at the timeout with its progress recorded.
        if quick:
            return {"alerts": 60, "rate_scale": 4.0, "alert_pool": 1000, "timeout_s": 15.0}
        return {"alerts": 310, "rate_scale": 4.0, "alert_pool": 1000, "timeout_s": 60.0}

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

    def floor(self, params: dict[str, Any]) -> tuple[float, str]:
        rate = RATE * params["rate_scale"]
        return bucket_floor(params["alerts"], rate, BURST), f"({params['alerts']} - {BURST}) / {rate:g} req/s"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return float(params["timeout_s"])

    def unsupported(self, tool: str) -> tuple[str, str] | None:
        if tool == "prismacloud-cli":
            return "no command fetches one alert by id; `pc alert list` is the only alert read", LINKS[
                "cli-alert-cmds"
            ]
        return None

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        if run.items != params["alerts"]:
            run.ratio = None  # an incomplete sweep has no meaningful time ratio
        if run.tool == "pcpi":
            run.link = LINKS["pcpi-backoff"]
            run.reason = run.reason or "no client-side rate limit; sticky backoff on 429 without Retry-After"
        elif run.tool == "prismacloud-api":
            run.link = LINKS["api-retry"]
            run.reason = run.reason or "no client-side rate limit; fixed 1-2-4-8-16-32 s retry list on 429"

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        run = result.run("cortexkit")
        if run is None or run.status != "ok":
            result.checks.append(Check("completed", False, run.reason if run else "not run"))
            return
        share = (run.r429 or 0) / max(1, run.requests or 0)
        result.checks += [
            Check("within 5% of the floor", (run.ratio or 99) <= 1.05, f"ratio {run.ratio:.3f}"),
            Check(
                "under 1% of requests answered 429",
                share < 0.01,
                f"{run.r429} of {run.requests} ({share:.2%})",
            ),
            Check(
                "zero failed calls", run.failed_calls == 0, f"{run.failed_calls} failed, {run.items} fetched"
            ),
        ]


SPEC = Sweep()


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import cortexkit_client

    ok = failed = 0
    progress = Progress()
    # The login is lazy, so it happens inside the timed loop: a few milliseconds against a 15 s floor.
    with cortexkit_client(ctx) as client, Meter() as meter:
        for alert_id in ctx.params["ids"]:
            try:
                client.request("GET", f"/alert/{alert_id}")
                ok += 1
            except Exception:
                failed += 1
            progress.update(ok, failed)
    return meter.result(ok, failed)


def run_pcpi(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, pcpi_session

    session = pcpi_session(ctx)  # logs in
    ok = failed = 0
    progress = Progress()
    with Meter() as meter:
        for alert_id in ctx.params["ids"]:
            _, good = call(session.request, "GET", f"/alert/{alert_id}")
            ok, failed = ok + good, failed + (not good)
            progress.update(ok, failed)
    return meter.result(ok, failed)


def run_prismacloud_api(ctx: Ctx) -> dict[str, Any]:
    from bench.workloads.clients import call, prismacloud_api, quiet_stdout

    pc = prismacloud_api(ctx)
    progress = Progress()
    with quiet_stdout():
        pc.login()
        ok = failed = 0
        with Meter() as meter:
            for alert_id in ctx.params["ids"]:
                _, good = call(pc.execute, "GET", f"alert/{alert_id}")
                ok, failed = ok + good, failed + (not good)
                progress.update(ok, failed)
    return meter.result(ok, failed)
