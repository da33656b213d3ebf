"""Processes released together: each prints `ready`, then waits for a `go` file, so they start their real
work at the same instant (the governor tests race real processes against one rate budget)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def release_together(
    commands: Sequence[tuple[Sequence[str], dict[str, str]]],
    go: Path,
    cwd: Path | None = None,
    timeout: float = 120,
) -> list[str]:
    """Start every `(argv, env)`, wait until each has printed `ready`, write `go`; each process's last
    stdout line, in order. A process that fails or never gets ready fails the test with its stderr; none
    is left running."""
    procs = [
        subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for argv, env in commands
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        go.write_text("go")
        last_lines = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            last_lines.append(out.strip().splitlines()[-1])
        return last_lines
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
