"""`alerts export` of 50,000 alerts against the emulator: the file's line count equals the server's count."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator

_SCRUB = ("PRISMA_", "PC_", "CORTEXKIT_")


@pytest.fixture(scope="module")
def big(request: pytest.FixtureRequest) -> RunningEmulator:
    from cortexkit.emulator.server import run_emulator

    context = run_emulator(seed=7, rate_limits="off", fault_rate=0.0, alerts=50_000)
    running = context.__enter__()
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    return running


def _env(running: RunningEmulator, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    env.update({**running.client_env(), "CORTEXKIT_CONFIG_DIR": str(config), "NO_COLOR": "1"})
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cortexkit.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_export_50000_alerts_jsonl_and_csv(big: RunningEmulator, tmp_path: Path) -> None:
    env = _env(big, tmp_path)
    counted = _run(env, "alerts", "count", "-o", "json")
    assert counted.returncode == 0, counted.stderr
    total = json.loads(counted.stdout)["count"]
    assert total == 50_000

    target = tmp_path / "alerts.jsonl"
    done = _run(env, "alerts", "export", "--format", "jsonl", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert "exported 50,000 alerts" in done.stderr and done.stdout == ""
    ids = set()
    with target.open() as stream:
        for line in stream:
            ids.add(json.loads(line)["id"])
    assert len(ids) == total
    # no temporary file left (the config dir is this dir here: the token cache's key file is not one)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "token-cache.key") == ["alerts.jsonl"]

    table = tmp_path / "alerts.csv"
    done = _run(env, "-o", "json", "alerts", "export", "-f", "csv", "-o", str(table), "--status", "open")
    assert done.returncode == 0, done.stderr
    opened = json.loads(_run(env, "alerts", "count", "--status", "open", "-o", "json").stdout)["count"]
    with table.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == opened and {row["status"] for row in rows} == {"open"}


def test_export_json_format_and_bad_format(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    env = _env(make_emulator(alerts=1_500), tmp_path)
    target = tmp_path / "a.json"
    done = _run(env, "alerts", "export", "--format", "json", "--output", str(target), "--page-size", "400")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(target.read_text())) == 1_500
    bad = _run(env, "alerts", "export", "--format", "xlsx", "--output", str(tmp_path / "x"))
    assert bad.returncode == 2 and "csv, jsonl, json" in bad.stderr
