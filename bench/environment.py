"""The machine and the versions a run measured, for the report's header."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

from bench.peers import PeerEnv, installed_version


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(ln.split()[1] for ln in fh if ln.startswith("MemTotal")))
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": sys.version.split()[0],
        # Other work on the machine shows here; the figures are only as quiet as the machine was.
        "load average at start (1/5/15 min)": load_average(),
    }


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _dist(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions(peers: dict[str, PeerEnv]) -> dict[str, str]:
    out = {name: _dist(name) for name in ("cortexkit", "httpx", "uvicorn", "fastapi")}
    for name, env in peers.items():
        out[name] = installed_version(env, name) if env.available else f"not installed ({env.reason})"
    cli = peers.get("prismacloud-cli")
    if cli is not None and cli.available:
        out["prismacloud-api (pinned by prismacloud-cli)"] = installed_version(cli, "prismacloud-api")
    return out
