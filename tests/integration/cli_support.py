"""The `cortexkit` command as a child process (or through typer's runner in this process), in an
environment that cannot reach the user's setup."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

SCRUB = ("PRISMA_", "PC_", "CORTEXKIT_", "CORTEXCLOUD_", "AZURE_")
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


def run_in_process(
    args: Sequence[str], env: dict[str, str], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The same command through typer's runner in this process (faster, same argv handling), shaped like
    a finished subprocess. The runner lays `env` over this process's environment, so the SCRUB variables
    `env` leaves out are unset for the call."""
    from typer.testing import CliRunner

    from cortexkit.cli.main import app

    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith(SCRUB) and k not in env}
    result = CliRunner().invoke(app, list(args), input=stdin, env={**env, **unset})
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@contextmanager
def keyring_off(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """`env` with no OS keyring (as on a server), and this process's keyring set to the `fail` backend
    while it is in use: an in-process run shares it, and a test must never write into the keyring of the
    machine it runs on."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield {**env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    finally:
        keyring.set_keyring(previous)
