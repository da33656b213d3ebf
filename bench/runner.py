"""Runs one tool's workload in a child process and measures what that child alone cost.

`os.wait4` returns the rusage of exactly that child (not of every child the parent ever reaped), so wall
time and user+system CPU belong to the tool being measured, imports included. Peak RSS comes from the
child itself (see worker.peak_rss_mb: `ru_maxrss` would carry the parent's high-water mark). The child writes
its own figures (the loop's time, items, failed calls) to a JSON file, never to stdout, because peers
print freely.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


@dataclass
class ChildOutcome:
    """What the parent learned about one child run."""

    returncode: int | None
    timed_out: bool
    wall_s: float
    cpu_s: float
    payload: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_child(
    python: str | Path,
    workload: str,
    tool: str,
    env: dict[str, str],
    timeout_s: float,
) -> ChildOutcome:
    """Starts `python -m bench.worker workload tool` in a scratch dir and waits for it, up to timeout_s."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{workload}-") as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        result_file = Path(scratch) / "result.json"
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),  # peers write config, logs and error.log under HOME or the CWD
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            "NO_COLOR": "1",
            "BENCH_RESULT_FILE": str(result_file),
            **env,
        }
        stderr_path = Path(scratch) / "stderr.txt"
        with open(stderr_path, "wb") as err, open(os.devnull, "wb") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [str(python), "-m", "bench.worker", workload, tool],
                cwd=scratch,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            deadline = start + timeout_s
            timed_out = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    timed_out = True
                    _kill_group(proc.pid)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            _kill_group(proc.pid)  # helpers a tool left behind in its session
        payload: dict[str, Any] = {}
        progress = result_file.with_name(result_file.name + ".progress")
        for source in (result_file, progress):  # the final figures, else the last progress note
            if source.exists():
                try:
                    payload = json.loads(source.read_text())
                except json.JSONDecodeError:
                    continue
                payload["partial"] = source is progress
                break
        tail = stderr_path.read_text(errors="replace")[-2000:]
    return ChildOutcome(
        returncode=None if timed_out else proc.returncode,
        timed_out=timed_out,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        payload=payload,
        stderr_tail=tail,
    )
