"""The root command: fast startup, global options, help, usage errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cortexkit import __version__
from cortexkit.cli.main import app

HEAVY = (
    "httpx",
    "pydantic",
    "rich.table",
    "fastapi",
    "sqlalchemy",
    "plotly",
    "uvicorn",
    "starlette",
    "jinja2",
)


def _imported(args: list[str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Module names `python -X importtime` reports for one run of the real entry point."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cortexkit.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    names = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return names, done


def _heavy(names: set[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in heavy))


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_startup_imports_no_heavy_module(args: list[str]) -> None:
    names, done = _imported(args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "typer" in names  # the measurement works
    assert _heavy(names, HEAVY) == []


def test_group_help_imports_no_client_or_web_module() -> None:
    # typer itself imports pydantic to convert a subcommand's parameters, so only our own heavy parts
    # (the HTTP client, web, database and charting stacks) are checked here.
    names, done = _imported(["alerts", "--help"])
    assert done.returncode == 0 and "dismiss" in done.stdout
    assert (
        _heavy(names, ("httpx", "rich.table", "fastapi", "sqlalchemy", "plotly", "uvicorn", "jinja2")) == []
    )


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"cortexkit {__version__}"


def test_help_lists_the_groups_without_importing_them() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in (
        "alerts",
        "accounts",
        "account-groups",
        "rql",
        "api",
        "policies",
        "compliance",
        "audit-logs",
    ):
        assert group in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-o", "xml", "alerts", "list"], "table, json, jsonl, csv, yaml"),
        (["alerts", "list", "--output", "xml"], "table, json, jsonl, csv, yaml"),
        (["no-such-command"], "No such command"),
        (["alerts", "list", "--status"], "requires an argument"),
    ],
)
def test_usage_errors_exit_2(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("words", "cword", "expected"), [("cortexkit al", "1", "alerts"), ("cortexkit alerts ex", "2", "export")]
)
def test_shell_completion_knows_the_lazy_groups(words: str, cword: str, expected: str) -> None:
    env = {**os.environ, "_CORTEXKIT_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    done = subprocess.run(
        [sys.executable, "-m", "cortexkit.cli.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and expected in done.stdout.split()
