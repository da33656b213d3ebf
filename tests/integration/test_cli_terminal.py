"""What a person at a terminal sees: the export progress bar and the confirmation question.

The CLI runs under `script`, which gives it a pseudo-terminal, so `isatty()` is true as in a real shell.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_command, cli_env
from tests.integration.routes_support import logged_in

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


def test_export_shows_a_progress_bar(make_emulator: Callable[..., RunningEmulator], tmp_path: Path) -> None:
    env = _env(make_emulator(alerts=3_000), tmp_path)
    target = tmp_path / "a.jsonl"
    done = on_terminal(env, ["alerts", "export", "--output", str(target), "--page-size", "500"])
    assert done.returncode == 0, done.stdout
    screen = done.stdout  # the pty merges stdout and stderr
    assert "exporting alerts" in screen and "3000/3000" in screen and "items/s" in screen and "ETA" in screen
    assert sum(1 for _ in target.open()) == 3_000


def alert_status(api: httpx.Client, alert_id: str) -> str:
    """The alert's status as the server holds it (the API, not another CLI process: the terminal runs are
    what this test is about)."""
    answer = api.get(f"/alert/{alert_id}")
    answer.raise_for_status()
    return str(answer.json()["status"])


def test_confirmation_question_on_a_terminal(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    running = make_emulator(alerts=300)
    env = _env(running, tmp_path)
    api = logged_in(running)
    with contextlib.closing(api):
        listing = api.post(
            "/v2/alert",
            json={"limit": 1, "filters": [{"name": "alert.status", "operator": "=", "value": "open"}]},
        )
        listing.raise_for_status()
        alert_id = str(listing.json()["items"][0]["id"])
        args = ["alerts", "dismiss", alert_id, "--note", "checked"]

        refused = on_terminal(env, args, answer="n\n")
        assert (
            refused.returncode == 1
            and "Proceed?" in refused.stdout
            and "nothing was changed" in refused.stdout
        )
        assert alert_status(api, alert_id) == "open"

        accepted = on_terminal(env, args, answer="y\n")
        assert accepted.returncode == 0, accepted.stdout
        assert "dismissed 1 alert." in accepted.stdout
        assert alert_status(api, alert_id) == "dismissed"
