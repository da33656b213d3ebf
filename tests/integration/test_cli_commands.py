"""Every read command run as a user runs it, against the emulator, with every output format parsed back.

Two ways in: the installed entry point in a subprocess (what a shell does) and typer's CliRunner in-process
(fast, same argv handling). Credentials come only from PRISMA_* variables; the config dir is isolated.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli

FORMATS = ("json", "jsonl", "csv", "yaml", "table")


def parse(fmt: str, text: str) -> Any:
    """Parse a command's stdout back into data; a table is parsed into its cell rows."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if fmt == "yaml":
        return yaml.safe_load(text)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    rows = [line for line in text.splitlines() if line.startswith("│")]
    return [[c.strip() for c in line.strip("│").split("│")] for line in rows]


@pytest.fixture
def env(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, **emulator.client_env(), COLUMNS="200")


@pytest.fixture
def invoke(env: dict[str, str]) -> Callable[..., Any]:
    runner = CliRunner()

    def call(*args: str) -> Any:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        return result

    return call


def _first_alert(invoke: Callable[..., Any]) -> dict[str, Any]:
    result = invoke("alerts", "list", "--limit", "1", "-o", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


# (command, a key every json row has) -- each runs in every format through CliRunner.
READ_COMMANDS: list[tuple[list[str], str]] = [
    (["accounts", "list"], "accountId"),
    (["account-groups", "list"], "id"),
    (["policies", "list"], "policyId"),
    (["compliance", "posture"], "name"),
    (["audit-logs", "list", "--since", "7d", "--limit", "20"], "action"),
    (["rql", "config from cloud.resource where cloud.type = 'azure'", "--limit", "30"], "id"),
    (["alerts", "list", "--limit", "25", "--status", "open"], "id"),
    (["api", "GET", "/cloud"], "accountId"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("command", "key"), READ_COMMANDS, ids=lambda v: v if isinstance(v, str) else " ".join(v[:2])
)
def test_read_commands_in_every_format(
    invoke: Callable[..., Any], command: list[str], key: str, fmt: str
) -> None:
    result = invoke(*command, "-o", fmt)
    assert result.exit_code == 0, result.output
    rows = parse(fmt, result.stdout)
    assert isinstance(rows, list) and rows, result.stdout[:500]
    if fmt == "table":
        assert all(len(row) == len(rows[0]) for row in rows)
    elif fmt == "csv":
        assert all(row for row in rows)
    else:
        assert all(key in row for row in rows), rows[0]


def test_global_options_before_and_after_give_the_same_answer(invoke: Callable[..., Any]) -> None:
    before = invoke("-o", "json", "--query", "[].name", "accounts", "list")
    after = invoke("accounts", "list", "--query", "[].name", "-o", "json")
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert all(isinstance(name, str) for name in json.loads(after.stdout))


def test_alert_get_and_count(invoke: Callable[..., Any]) -> None:
    alert = _first_alert(invoke)
    got = invoke("alerts", "get", alert["id"], "-o", "json")
    assert got.exit_code == 0 and json.loads(got.stdout)["id"] == alert["id"]
    total = json.loads(invoke("alerts", "count", "-o", "json").stdout)["count"]
    opened = json.loads(invoke("alerts", "count", "--status", "open", "-o", "json").stdout)["count"]
    assert 0 < opened <= total
    day = json.loads(invoke("alerts", "count", "--since", "24h", "-o", "json").stdout)["count"]
    month = json.loads(invoke("alerts", "count", "--since", "30d", "-o", "json").stdout)["count"]
    assert 0 < day < month <= total


def test_alerts_list_filters_are_applied(invoke: Callable[..., Any]) -> None:
    result = invoke("alerts", "list", "--severity", "high", "--status", "open", "--limit", "40", "-o", "json")
    rows = json.loads(result.stdout)
    assert rows and all(r["status"] == "open" and r["policy"]["severity"] == "high" for r in rows)


def test_accounts_get_and_status(invoke: Callable[..., Any]) -> None:
    accounts = json.loads(invoke("accounts", "list", "-o", "json").stdout)
    account = accounts[0]
    got = invoke("accounts", "get", account["accountId"], "-o", "json")
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["accountId"] == account["accountId"]
    status = invoke("accounts", "status", account["accountId"], "-o", "json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)


def test_api_paginates_alerts_with_a_body_from_stdin(env: dict[str, str]) -> None:
    body = json.dumps(
        {"limit": 1000, "filters": [{"name": "alert.status", "operator": "=", "value": "open"}]}
    )
    done = run_cli(["api", "POST", "/v2/alert", "--data", "@-", "--paginate", "-o", "jsonl"], env, stdin=body)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    count = run_cli(["alerts", "count", "--status", "open", "-o", "json"], env)
    assert len(rows) == json.loads(count.stdout)["count"]
    assert len({r["id"] for r in rows}) == len(rows)


def test_api_param_and_query(env: dict[str, str]) -> None:
    done = run_cli(
        ["api", "GET", "/v2/policy", "--param", "policy.severity=high", "--query", "[].severity"], env
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"high"}


def test_subprocess_default_output_is_json_and_messages_go_to_stderr(env: dict[str, str]) -> None:
    done = run_cli(["accounts", "list"], env)
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)
    assert done.stderr == ""


def test_rql_pages_past_one_page(invoke: Callable[..., Any]) -> None:
    result = invoke(
        "rql",
        "config from cloud.resource where cloud.type = 'azure'",
        "--page-size",
        "10",
        "--limit",
        "35",
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 35 and len({r["id"] for r in rows}) == 35


def test_api_prints_a_text_answer_as_is(env: dict[str, str]) -> None:
    body = json.dumps({"query": "config from cloud.resource where cloud.type = 'azure'", "limit": 3})
    done = run_cli(["api", "POST", "/search/config", "-H", "Accept: text/csv", "--data", body], env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and {row["cloudType"] for row in rows} == {"azure"}
