"""What a person at a terminal sees: the export progress bar and the confirmation question.

The CLI runs under `script`, which gives it a pseudo-terminal, so `isatty()` is true as in a real shell.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_command, cli_env, run_cli

pytestmark = pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux `script` for a pty")


def _env(running: RunningEmulator, config: Path) -> dict[str, str]:
    return cli_env(config, **running.client_env(), COLUMNS="120")


def on_terminal(env: dict[str, str], args: list[str], answer: str = "") -> subprocess.CompletedProcess[str]:
    command = shlex.join(cli_command(*args))
    return subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        env=env,
        input=answer,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def piped(env: dict[str, str], args: list[str]) -> object:
    done = run_cli(args, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_export_shows_a_progress_bar(make_emulator: Callable[..., RunningEmulator], tmp_path: Path) -> None:
    env = _env(make_emulator(alerts=3_000), tmp_path)
    target = tmp_path / "a.jsonl"
    done = on_terminal(env, ["alerts", "export", "--output", str(target), "--page-size", "500"])
    assert done.returncode == 0, done.stdout
    screen = done.stdout  # the pty merges stdout and stderr
    assert "exporting alerts" in screen and "3000/3000" in screen and "items/s" in screen and "ETA" in screen
    assert sum(1 for _ in target.open()) == 3_000


def test_confirmation_question_on_a_terminal(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    env = _env(make_emulator(alerts=300), tmp_path)
    alert = piped(env, ["alerts", "list", "--status", "open", "--limit", "1", "-o", "json"])[0]  # type: ignore[index]
    args = ["alerts", "dismiss", alert["id"], "--note", "checked"]

    refused = on_terminal(env, args, answer="n\n")
    assert (
        refused.returncode == 1 and "Proceed?" in refused.stdout and "nothing was changed" in refused.stdout
    )
    assert piped(env, ["alerts", "get", alert["id"], "-o", "json"])["status"] == "open"  # type: ignore[index]

    accepted = on_terminal(env, args, answer="y\n")
    assert accepted.returncode == 0, accepted.stdout
    assert "dismissed 1 alert." in accepted.stdout
    assert piped(env, ["alerts", "get", alert["id"], "-o", "json"])["status"] == "dismissed"  # type: ignore[index]
