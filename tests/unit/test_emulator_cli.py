"""The `emulator serve` command's interface (the serving itself is covered by integration tests)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cortexkit.cli.emulator import app

FLAGS = (
    "--host",
    "--port",
    "--tls",
    "--token-ttl",
    "--rate-limits",
    "--rate-scale",
    "--default-rate",
    "--fault-rate",
    "--seed",
    "--alerts",
    "--accounts",
    "--access-key-id",
    "--secret-key",
)


def test_serve_help_lists_every_documented_flag() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for flag in FLAGS:
        assert flag in result.output, flag
    assert "CORTEXKIT_EMULATOR_SECRET_KEY" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--fault-rate", "2"],
        ["--rate-limits", "sometimes"],
        ["--port", "70000"],
        ["--token-ttl", "0"],
    ],
)
def test_bad_values_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2
