"""dismiss / snooze / reopen: preview, confirmation rules, and the change itself, on a fresh emulator."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli


@pytest.fixture
def env(make_emulator: Callable[..., RunningEmulator], tmp_path: Path) -> dict[str, str]:
    running = make_emulator(alerts=400)
    return cli_env(tmp_path, **running.client_env())


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same command through typer's runner, in-process (no terminal either); shaped like a subprocess."""
    result = CliRunner().invoke(app, list(args), env=env)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def data(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _open_policy(env: dict[str, str]) -> tuple[str, int]:
    alerts = data(cli(env, "alerts", "list", "--status", "open", "--limit", "1", "-o", "json"))
    policy = alerts[0]["policy"]["name"]
    count = data(cli(env, "alerts", "count", "--status", "open", "--policy", policy, "-o", "json"))["count"]
    return policy, count


def test_dry_run_changes_nothing(env: dict[str, str]) -> None:
    policy, count = _open_policy(env)
    done = cli(env, "alerts", "dismiss", "--policy", policy, "--note", "n", "--dry-run", "-o", "json")
    plan = data(done)
    assert plan["dryRun"] is True and plan["count"] == count == len(plan["ids"])
    assert f"would dismiss {count:,} alert" in done.stderr and "nothing was changed" in done.stderr
    assert (
        data(cli(env, "alerts", "count", "--status", "open", "--policy", policy, "-o", "json"))["count"]
        == count
    )


def test_without_terminal_and_without_yes_it_refuses(env: dict[str, str]) -> None:
    policy, count = _open_policy(env)
    done = run_cli(["alerts", "dismiss", "--policy", policy, "--note", "n"], env)
    assert done.returncode == 2
    assert "pass --yes" in done.stderr and "Traceback" not in done.stderr
    assert f"about to dismiss {count:,}" in done.stderr
    assert (
        data(cli(env, "alerts", "count", "--status", "open", "--policy", policy, "-o", "json"))["count"]
        == count
    )


def test_dismiss_then_reopen_by_filter(env: dict[str, str]) -> None:
    policy, count = _open_policy(env)
    dismissed = data(
        run_cli(
            ["alerts", "dismiss", "--policy", policy, "--note", "accepted risk", "--yes", "-o", "json"], env
        )
    )
    assert dismissed["count"] == count
    assert (
        data(cli(env, "alerts", "count", "--status", "open", "--policy", policy, "-o", "json"))["count"] == 0
    )
    one = data(cli(env, "alerts", "get", dismissed["ids"][0], "-o", "json"))
    assert one["status"] == "dismissed" and one.get("dismissalNote") == "accepted risk"
    reopened = data(cli(env, "alerts", "reopen", "--policy", policy, "--yes", "-o", "json"))
    # Reopen takes every dismissed/snoozed alert of the policy: ours, and any the seed data had already.
    assert set(dismissed["ids"]) <= set(reopened["ids"])
    after = data(cli(env, "alerts", "count", "--status", "open", "--policy", policy, "-o", "json"))["count"]
    assert after == count + len(set(reopened["ids"]) - set(dismissed["ids"]))


def test_snooze_by_ids(env: dict[str, str]) -> None:
    alerts = data(cli(env, "alerts", "list", "--status", "open", "--limit", "2", "-o", "json"))
    ids = [a["id"] for a in alerts]
    done = data(
        cli(env, "alerts", "snooze", *ids, "--for", "24h", "--note", "change window", "--yes", "-o", "json")
    )
    assert done["count"] == 2
    for alert_id in ids:
        assert data(cli(env, "alerts", "get", alert_id, "-o", "json"))["status"] == "snoozed"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["alerts", "dismiss", "--note", "x", "--yes"], "at least one filter"),
        (["alerts", "dismiss", "P-1", "--yes"], "--note"),
        (["alerts", "snooze", "P-1", "--note", "x", "--yes"], "--for 24h"),
        (["alerts", "snooze", "P-1", "--for", "soon", "--note", "x", "--yes"], "24h or 7d"),
        (["alerts", "reopen", "P-1", "--severity", "high", "--yes"], "not both"),
    ],
)
def test_changing_commands_reject_unclear_requests(
    env: dict[str, str], args: list[str], fragment: str
) -> None:
    done = cli(env, *args)
    assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr
