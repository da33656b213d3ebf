"""Child-side entry point: `python -m bench.worker WORKLOAD TOOL`, run by cortexkit's or a peer's python.

Only the standard library is imported here, because peer venvs have neither cortexkit nor httpx. The
emulator's URL and keys arrive in the environment (never argv, never a file), and the figures go to the
JSON file named by BENCH_RESULT_FILE.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ctx:
    """What a workload function needs to reach the emulator."""

    url: str
    access_key_id: str
    secret_key: str = field(repr=False)
    ca_file: str | None
    params: dict[str, Any]

    @property
    def hostport(self) -> str:
        """`host:port` for the peers that hard-code https:// in front of the host."""
        return self.url.split("://", 1)[-1].rstrip("/")

    @property
    def verify(self) -> str | bool:
        return self.ca_file or False


_children_peak_mb: dict[str, float] = {"max": 0.0}


def note_child_rss(maxrss_kb: int) -> None:
    """Records the peak RSS of a process this worker ran (the CLI runs one process per command)."""
    _children_peak_mb["max"] = max(_children_peak_mb["max"], maxrss_kb / 1024.0)


def peak_rss_mb() -> float | None:
    """This process image's peak RSS (VmHWM), or a child's if larger.

    Not `ru_maxrss`: Linux folds the parent's high-water mark into a child at fork/exec, so every child
    of the bench (whose emulator holds a lot of memory) would report at least the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return max(int(line.split()[1]) / 1024.0, _children_peak_mb["max"])
    except (OSError, ValueError):
        pass
    return None


class Meter:
    """Times the workload loop (wall and this process's CPU), leaving imports and login outside."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self._w = 0.0
        self._c = 0.0

    def __enter__(self) -> Meter:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._w
        self.cpu = time.process_time() - self._c

    def result(self, items: int, failed: int, **extra: Any) -> dict[str, Any]:
        return {
            "peak_rss_mb": peak_rss_mb(),
            "work_s": self.wall,
            "work_cpu_s": self.cpu,
            "items": items,
            "failed_calls": failed,
            "extra": extra,
        }


class Progress:
    """Partial counts written at most twice a second, so a run killed at its timeout still tells how far
    it got (a peer stuck in a 32 s backoff sleep is the usual case)."""

    def __init__(self) -> None:
        self._path = os.environ.get("BENCH_RESULT_FILE", "") + ".progress"
        self._last = 0.0

    def update(self, items: int, failed: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        with open(self._path, "w") as fh:
            json.dump({"items": items, "failed_calls": failed, "peak_rss_mb": peak_rss_mb()}, fh)


def context_from_env() -> Ctx:
    return Ctx(
        url=os.environ["BENCH_URL"],
        access_key_id=os.environ["BENCH_ACCESS_KEY_ID"],
        secret_key=os.environ["BENCH_SECRET_KEY"],
        ca_file=os.environ.get("BENCH_CA_FILE") or None,
        params=json.loads(os.environ.get("BENCH_PARAMS", "{}")),
    )


def main(argv: list[str]) -> int:
    workload, tool = argv
    module = importlib.import_module(f"bench.workloads.{workload}")
    func = getattr(module, "run_" + tool.replace("-", "_"))
    result: dict[str, Any] = func(context_from_env())
    with open(os.environ["BENCH_RESULT_FILE"], "w") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
