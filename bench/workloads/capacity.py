"""Workload 6: the emulator on its own, so a reader can see it is never the bottleneck.

An async httpx load generator in its own process keeps several keep-alive connections busy with an
authenticated `GET /cloud` (rate limits off). Issue 2 asks for at least 2,000 requests/s on this machine.
"""

from __future__ import annotations

import time
from typing import Any

from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter
from bench.workloads.base import WorkloadSpec

TARGET_RPS = 2000.0


class Capacity(WorkloadSpec):
    name = "capacity"
    title = "6. Emulator capacity"
    goal = (
        "the emulator is never the bottleneck: at least 2,000 authenticated GETs/s on this machine (issue 2)"
    )
    # httpx costs about 1 ms of CPU per request here, so on 2 cores it saturates before the emulator does;
    # the raw asyncio generator (keep-alive HTTP/1.1 over plain streams) costs a fraction of that, and
    # Debian's wrk (C, installed by `make bench`) a fraction again: the best of the three is the figure.
    tools = ("httpx-loadgen", "raw-loadgen", "wrk")
    ratio_note = (
        "No floor: this measures the server. The emulator shares the 2 cores with the load generator."
    )

    def params(self, quick: bool) -> dict[str, Any]:
        return {"duration_s": 3.0 if quick else 10.0, "connections": 16, "route": "GET /cloud"}

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {"rate_limits": "off"}

    def timeout_s(self, params: dict[str, Any]) -> float:
        return float(params["duration_s"]) + 60.0

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        run.ratio = None
        if run.items and run.work_s:
            run.extra["requests_per_s"] = round(run.items / run.work_s, 1)
        emu_cpu = run.extra.get("emulator_cpu_s")
        if run.items and emu_cpu:
            # What one fully busy core of emulator would serve: the bound when the load generator saturates.
            run.extra["requests_per_emulator_cpu_s"] = round(run.items / float(emu_cpu), 1)

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        ok_runs = [r for r in result.runs if r.status == "ok"]
        best = max(ok_runs, key=lambda r: float(r.extra.get("requests_per_s", 0.0)), default=None)
        if best is None:
            result.checks.append(Check("at least 2,000 requests/s", False, "no load generator completed"))
            return
        rps = float(best.extra.get("requests_per_s", 0.0))
        per_cpu = best.extra.get("requests_per_emulator_cpu_s")
        detail = (
            f"{rps:,.0f} requests/s with {best.tool} ({per_cpu} per second of emulator CPU), "
            f"failed calls {best.failed_calls}"
        )
        result.checks.append(Check("at least 2,000 requests/s", rps >= TARGET_RPS, detail))


SPEC = Capacity()


def run_httpx_loadgen(ctx: Ctx) -> dict[str, Any]:
    import asyncio

    import httpx

    duration = float(ctx.params["duration_s"])
    conns = int(ctx.params["connections"])

    async def main() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
        async with httpx.AsyncClient(
            base_url=ctx.url, verify=ctx.verify, limits=limits, timeout=30.0
        ) as client:
            resp = await client.post(
                "/login", json={"username": ctx.access_key_id, "password": ctx.secret_key}
            )
            resp.raise_for_status()
            headers = {"x-redlock-auth": resp.json()["token"]}
            ok = failed = 0
            stop = 0.0

            async def one_connection() -> None:
                nonlocal ok, failed
                while time.perf_counter() < stop:
                    try:
                        r = await client.get("/cloud", headers=headers)
                    except httpx.HTTPError:
                        failed += 1
                        continue
                    if r.status_code == 200:
                        ok += 1
                    else:
                        failed += 1

            with Meter() as meter:
                stop = time.perf_counter() + duration
                await asyncio.gather(*(one_connection() for _ in range(conns)))
            return meter.result(ok, failed, connections=conns)

    return asyncio.run(main())


def _login_token(ctx: Ctx) -> str:
    import json
    import urllib.request

    body = json.dumps({"username": ctx.access_key_id, "password": ctx.secret_key}).encode()
    req = urllib.request.Request(ctx.url + "/login", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # the emulator on loopback, from the parent
        token: str = json.loads(resp.read())["token"]
    return token


def run_raw_loadgen(ctx: Ctx) -> dict[str, Any]:
    """Keep-alive HTTP/1.1 over asyncio streams: just enough client to keep the emulator busy."""
    import asyncio
    from urllib.parse import urlsplit

    duration = float(ctx.params["duration_s"])
    conns = int(ctx.params["connections"])
    parts = urlsplit(ctx.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    token = _login_token(ctx)
    request = (
        f"GET /cloud HTTP/1.1\r\nHost: {host}:{port}\r\nx-redlock-auth: {token}\r\nAccept: */*\r\n\r\n"
    ).encode()

    async def main() -> dict[str, Any]:
        ok = failed = 0
        stop = 0.0

        async def one_connection() -> None:
            nonlocal ok, failed
            reader, writer = await asyncio.open_connection(host, port)
            try:
                while time.perf_counter() < stop:
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    if length:
                        await reader.readexactly(length)
                    if head[9:12] == b"200":
                        ok += 1
                    else:
                        failed += 1
            finally:
                writer.close()

        with Meter() as meter:
            stop = time.perf_counter() + duration
            await asyncio.gather(*(one_connection() for _ in range(conns)))
        return meter.result(ok, failed, connections=conns)

    return asyncio.run(main())


def run_wrk(ctx: Ctx) -> dict[str, Any]:
    """Debian's wrk: the load generator that costs least, so the emulator is what saturates."""
    import re
    import shutil
    import subprocess

    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (make bench installs Debian's wrk package)")
    duration = float(ctx.params["duration_s"])
    conns = int(ctx.params["connections"])
    token = _login_token(ctx)
    with Meter() as meter:
        proc = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{conns}",
                f"-d{max(1, round(duration))}s",
                "-H",
                f"x-redlock-auth: {token}",
                ctx.url + "/cloud",
            ],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=True,
        )
    out = proc.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)s", out)
    if total is None:
        raise RuntimeError(f"could not read wrk's summary: {out[-300:]!r}")
    requests = int(total.group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    failed += sum(int(g) for g in errors.groups()) if errors else 0
    result = meter.result(requests - (int(bad.group(1)) if bad else 0), failed, connections=conns)
    result["work_s"] = float(total.group(2))
    return result
