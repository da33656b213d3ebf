"""Workload 7: a Cortex Cloud sweep, `get_instance_details` one by one against the tenant-wide limit.

Cortex counts every endpoint against one budget of 10 requests/s per tenant and sends no rate-limit
headers, so a client can only avoid 429s by pacing itself. The floor is (N - burst) / rate with the
emulator's bucket (10/s, burst 10). cortexkit should finish within 5% of it with no 429 at all. Next to it,
the loop users write today from the "make your first API call" page: `requests.post` with hand-signed
advanced headers, a one-second sleep and a resend on 429. PANW's Go SDK (cortex-cloud-go) cannot run here
(no Go toolchain); it has no client-side limiter either and resends on 429.
"""

from __future__ import annotations

import secrets
from typing import Any

from bench.floors import bucket_floor
from bench.model import Check, RunResult, WorkloadResult
from bench.worker import Ctx, Meter, Progress
from bench.workloads.base import WorkloadSpec

RATE, BURST = 10.0, 10  # the emulator's Cortex bucket (cortex_rate, cortex_burst), restated for the floor
DETAILS = "/public_api/v1/cloud_onboarding/get_instance_details"
GO_SDK = "https://github.com/PaloAltoNetworks/cortex-cloud-go/blob/main/internal/client/client.go"


def instance_ids(url: str, key_id: int, key: str) -> list[str]:
    """The emulator's (non-pending) instance ids, read once with cortexkit before the timed runs."""
    from cortexkit.cortex.client import CortexClient

    with CortexClient(api_url=url, api_key_id=key_id, api_key=key, rate_limit=False) as client:
        return [i.instance_id for i in client.cloud_onboarding.instances()]


class CortexSweep(WorkloadSpec):
    name = "cortex_sweep"
    title = "7. Cortex tenant-limit sweep"
    goal = "cortexkit within 5% of the floor with zero 429s and zero failed calls"
    tools = ("cortexkit", "requests-loop")

    def params(self, quick: bool) -> dict[str, Any]:
        return {
            "calls": 60 if quick else 200,
            "seed": 42,
            "timeout_s": 40.0 if quick else 90.0,
            "key_id": 1 + secrets.randbelow(999),
            "key": secrets.token_hex(32),
        }

    def prepare(self, params: dict[str, Any]) -> dict[str, Any]:
        from bench.emu import emulator

        with emulator(**self._emulator(params, "off")) as emu:
            ids = instance_ids(emu.url, params["key_id"], params["key"])
        if not ids:
            raise RuntimeError("the emulator listed no Cortex instances")
        return {**params, "ids": ids}

    @staticmethod
    def _emulator(params: dict[str, Any], rate_limits: str) -> dict[str, Any]:
        return {
            "rate_limits": rate_limits,
            "seed": params["seed"],
            "cortex_api_key_id": params["key_id"],
            "cortex_api_key": params["key"],
            "cortex_rate": RATE,
            "cortex_burst": BURST,
        }

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {**super().emulator_config(params, tool), **self._emulator(params, "documented")}

    def floor(self, params: dict[str, Any]) -> tuple[float, str]:
        n = params["calls"]
        return bucket_floor(n, RATE, BURST), f"({n} - {BURST}) / {RATE:g} req/s (one bucket per tenant)"

    def timeout_s(self, params: dict[str, Any]) -> float:
        return float(params["timeout_s"])

    def public_params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in super().public_params(params).items() if k not in ("key", "key_id")}

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        # Cortex 429s are answered before the Prisma limiter sees the call: count them per route.
        run.r429 = sum(
            n
            for route, statuses in stats.get("requests", {}).items()
            if " /public_api/" in route or " /api_keys/" in route  # "METHOD /path" keys
            for status, n in statuses.items()
            if str(status) == "429"
        )
        if run.items != params["calls"]:
            run.ratio = None
        if run.tool == "requests-loop":
            run.link = GO_SDK
            run.reason = (
                run.reason or "no client-side pacing: meets the limit as 429s, sleeps 1 s and resends"
            )

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        run = result.run("cortexkit")
        if run is None or run.status != "ok":
            result.checks.append(Check("completed", False, run.reason if run else "not run"))
            return
        result.checks += [
            Check("within 5% of the floor", (run.ratio or 99) <= 1.05, f"ratio {run.ratio or 0:.3f}"),
            Check("zero 429 answers", run.r429 == 0, f"{run.r429} of {run.requests}"),
            Check("zero failed calls", run.failed_calls == 0, f"{run.failed_calls} failed, {run.items} done"),
        ]


SPEC = CortexSweep()


def _targets(ctx: Ctx) -> list[str]:
    ids: list[str] = ctx.params["ids"]
    return [ids[i % len(ids)] for i in range(int(ctx.params["calls"]))]


def run_cortexkit(ctx: Ctx) -> dict[str, Any]:
    from cortexkit.cortex.client import CortexClient

    ok = failed = 0
    progress = Progress()
    # Library defaults: the tenant limiter on (10/s), retries on 429 and 5xx.
    with CortexClient(api_url=ctx.url, api_key_id=ctx.params["key_id"], api_key=ctx.params["key"]) as client:
        onboarding = client.cloud_onboarding  # imports the resource and its models, sends nothing
        with Meter() as meter:
            for instance_id in _targets(ctx):
                try:
                    onboarding.instance(instance_id)
                    ok += 1
                except Exception:
                    failed += 1
                progress.update(ok, failed)
    return meter.result(ok, failed)


def _signed_headers(key_id: int, key: str) -> dict[str, str]:
    """The advanced-key headers as PANW's docs example builds them (nonce, ms timestamp, sha256)."""
    import hashlib
    import string
    import time

    nonce = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    timestamp = str(int(time.time() * 1000))
    digest = hashlib.sha256(f"{key}{nonce}{timestamp}".encode()).hexdigest()
    return {
        "x-xdr-timestamp": timestamp,
        "x-xdr-nonce": nonce,
        "x-xdr-auth-id": str(key_id),
        "Authorization": digest,
        "Content-Type": "application/json",
    }


def run_requests_loop(ctx: Ctx) -> dict[str, Any]:
    import time

    import requests

    ok = failed = resends = 0
    progress = Progress()
    key_id, key = int(ctx.params["key_id"]), str(ctx.params["key"])
    with requests.Session() as session, Meter() as meter:
        for instance_id in _targets(ctx):
            for _attempt in range(10):
                r = session.post(
                    ctx.url + DETAILS,
                    json={"request_data": {"instance_id": instance_id}},
                    headers=_signed_headers(key_id, key),
                    timeout=30,
                )
                if r.status_code != 429:
                    break
                resends += 1
                time.sleep(1.0)
            if r.status_code == 200:
                ok += 1
            else:
                failed += 1
            progress.update(ok, failed)
    return meter.result(ok, failed, resends=resends)
