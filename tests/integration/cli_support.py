"""The `cortexkit` command as a child process, in an environment that cannot reach the user's setup."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SCRUB = ("PRISMA_", "PC_", "CORTEXKIT_", "CORTEXCLOUD_")
"""Credentials and settings the developer's shell may hold; a test sets the ones it means."""


def cli_env(config_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without the SCRUB variables, a private config dir, no colour, plus `extra` (for
    example an emulator's `client_env()` or `cortex_env()`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env.update({"CORTEXKIT_CONFIG_DIR": str(config_dir), "NO_COLOR": "1"})
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    """The argv that runs `cortexkit ARGS` with this interpreter (for a test that needs a `Popen`)."""
    return [sys.executable, "-m", "cortexkit.cli.main", *args]


def run_cli(
    args: Sequence[str],
    env: dict[str, str],
    *,
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m cortexkit.cli.main ARGS` with `stdin` as its input, else no terminal on stdin (as under
    cron or CI)."""
    return subprocess.run(
        cli_command(*args),
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
