"""`cortexkit emulator serve` speaks the Cortex dialect on its port, with the key it prints or is given."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from cortexkit.cli.emulator import app
from cortexkit.cortex.client import CortexClient


def _serve(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cortexkit.emulator", "serve", "--port", "0", "--rate-limits", "off", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _lines(proc: subprocess.Popen[str], count: int) -> dict[str, str]:
    assert proc.stdout is not None
    return dict(proc.stdout.readline().strip().split("=", 1) for _ in range(count))


def test_serve_prints_cortexcloud_lines_a_client_can_use() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORTEXKIT_EMULATOR_", "CORTEXCLOUD_"))}
    proc = _serve(env=env)
    try:
        lines = _lines(proc, 7)
        assert lines["CORTEXCLOUD_API_URL"] == lines["PRISMA_API_URL"]
        assert lines["CORTEXCLOUD_API_KEY_TYPE"] == "advanced"
        assert len(lines["CORTEXCLOUD_API_KEY"]) == 128
        with CortexClient(
            api_url=lines["CORTEXCLOUD_API_URL"],
            api_key_id=lines["CORTEXCLOUD_API_KEY_ID"],
            api_key=lines["CORTEXCLOUD_API_KEY"],
            rate_limit=False,
        ) as client:
            assert client.system.validate_key() is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_takes_a_standard_key_from_the_environment_and_never_prints_it() -> None:
    env = {
        **os.environ,
        "CORTEXKIT_EMULATOR_CORTEX_API_KEY_ID": "42",
        "CORTEXKIT_EMULATOR_CORTEX_API_KEY": "env-cortex-key-value",
    }
    proc = _serve("--cortex-api-key-type", "standard", env=env)
    try:
        lines = _lines(proc, 6)
        assert lines["CORTEXCLOUD_API_KEY_ID"] == "42"
        assert lines["CORTEXCLOUD_API_KEY_TYPE"] == "standard"
        assert "CORTEXCLOUD_API_KEY" not in lines
        with CortexClient(
            api_url=lines["CORTEXCLOUD_API_URL"],
            api_key_id=42,
            api_key="env-cortex-key-value",
            api_key_type="standard",
            rate_limit=False,
        ) as client:
            assert client.system.validate_key() is True
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "env-cortex-key-value" not in out + err


def test_bad_cortex_flags_are_usage_errors() -> None:
    for args in (["--cortex-api-key-type", "signed"], ["--cortex-api-key-id", "0"], ["--cortex-skew", "0"]):
        assert CliRunner().invoke(app, ["serve", *args]).exit_code == 2, args
