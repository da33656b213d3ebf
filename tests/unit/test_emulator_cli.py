"""The `emulator serve` command's interface (the serving itself is covered by integration tests)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cortexkit.cli.emulator import _is_loopback, app

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
    "--status-delay",
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
        ["--status-delay", "-1"],
    ],
)
def test_bad_values_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("example.org", False)],
)
def test_loopback_detection_for_the_exposure_warning(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback
