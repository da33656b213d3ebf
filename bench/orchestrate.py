"""Runs the workloads tool by tool: a fresh emulator, one child process, the emulator's counters."""

from __future__ import annotations

import importlib
import logging
import resource
import sys
from pathlib import Path
from typing import Any

from bench.emu import condense, emulator
from bench.floors import ratio
from bench.model import RunResult, WorkloadResult
from bench.peers import PeerEnv
from bench.runner import run_child
from bench.workloads.base import TLS_TOOLS, WorkloadSpec

log = logging.getLogger("bench")


def load_spec(name: str) -> WorkloadSpec:
    module = importlib.import_module(f"bench.workloads.{name}")
    spec: WorkloadSpec = module.SPEC
    return spec


def _python_for(tool: str, peers: dict[str, PeerEnv]) -> tuple[Path | None, str]:
    if tool in peers:
        env = peers[tool]
        return env.python, env.reason
    return Path(sys.executable), ""


def run_tool(spec: WorkloadSpec, tool: str, params: dict[str, Any], peers: dict[str, PeerEnv]) -> RunResult:
    """One tool on one workload; a failure becomes a row with its reason, never an exception."""
    scheme = "https" if tool in TLS_TOOLS else "http"
    why_not = spec.unsupported(tool)
    if why_not is not None:
        return RunResult(tool=tool, status="skipped", reason=why_not[0], link=why_not[1], scheme=scheme)
    python, reason = _python_for(tool, peers)
    if python is None:
        return RunResult(tool=tool, status="skipped", reason=f"not installed: {reason}", scheme=scheme)
    log.info("%s: %s ...", spec.name, tool)
    with emulator(**spec.emulator_config(params, tool)) as emu:
        env = emu.child_env(spec.child_params(params, tool))
        before = resource.getrusage(resource.RUSAGE_SELF)
        outcome = run_child(python, spec.name, tool, env, spec.timeout_s(params))
        after = resource.getrusage(resource.RUSAGE_SELF)
        stats = emu.stats()
        try:
            inspected = spec.inspect(emu, params, tool)
        except Exception as exc:  # an inspection failure is reported, the figures still stand
            inspected = {"inspect_error": f"{type(exc).__name__}: {exc}"[:200]}
    # The parent only polls while the child runs, so its CPU in that window is the emulator's.
    emulator_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    counts = condense(stats)
    payload = outcome.payload
    run = RunResult(
        tool=tool,
        status="ok",
        scheme=scheme,
        wall_s=outcome.wall_s,
        work_s=payload.get("work_s"),
        work_cpu_s=payload.get("work_cpu_s"),
        cpu_s=outcome.cpu_s,
        # The child's own high-water mark: ru_maxrss would include the parent's (see worker.peak_rss_mb).
        peak_rss_mb=payload.get("peak_rss_mb"),
        requests=counts["requests"],
        r429=counts["r429"],
        r401=counts["r401"],
        logins=counts["logins"],
        extends=counts["extends"],
        failed_calls=payload.get("failed_calls"),
        items=payload.get("items"),
        extra=dict(payload.get("extra", {})),
    )
    run.extra["emulator_cpu_s"] = round(emulator_cpu, 3)
    run.extra.update(inspected)
    if outcome.timed_out:
        run.status, run.reason = "timeout", f"killed after {spec.timeout_s(params):.0f} s"
        if payload.get("partial"):
            run.reason += f" with {payload.get('items')} items done"
    elif outcome.returncode != 0 or not payload or payload.get("partial"):
        lines = [ln for ln in outcome.stderr_tail.splitlines() if ln.strip()]
        last = lines[-1][:200] if lines else "no output"
        run.status, run.reason = "failed", f"exit code {outcome.returncode}: {last}"
    floor_s, _ = spec.floor(params)
    if run.status == "ok":
        run.ratio = ratio(run.work_s, floor_s)
    spec.finish_run(run, params, stats)
    log.info("%s: %s %s wall %.1fs", spec.name, tool, run.status, run.wall_s or 0.0)
    return run


def run_workload(spec: WorkloadSpec, quick: bool, peers: dict[str, PeerEnv]) -> WorkloadResult:
    params = spec.prepare(spec.params(quick))
    floor_s, floor_note = spec.floor(params)
    result = WorkloadResult(
        name=spec.name,
        title=spec.title,
        goal=spec.goal,
        params=spec.public_params(params),
        floor_s=floor_s,
        floor_note=floor_note,
        ratio_note=spec.ratio_note,
    )
    for tool in spec.tools:
        result.runs.append(run_tool(spec, tool, params, peers))
    spec.finish(result, params)
    return result
