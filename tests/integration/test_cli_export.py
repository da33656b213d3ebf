"""`alerts export` of many alerts against the emulator: the file's line count equals the server's count.

`make test` exports 12,000 alerts (a full 10,000-alert page and a partial one, so the pager crosses a page
boundary and stops on a short page); `make soak` the 50,000 docs/cli.md quotes. Same assertions.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli
from tests.trials import quick_and_full


@pytest.mark.slow
@quick_and_full("alerts", 12_000, 50_000, ("12000-alerts", "50000-alerts"))
def test_export_many_alerts_jsonl_and_csv(
    alerts: int, make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    env = cli_env(tmp_path, **make_emulator(seed=7, alerts=alerts).client_env())
    counted = run_cli(["alerts", "count", "-o", "json"], env)
    assert counted.returncode == 0, counted.stderr
    total = json.loads(counted.stdout)["count"]
    assert total == alerts

    target = tmp_path / "alerts.jsonl"
    done = run_cli(["alerts", "export", "--format", "jsonl", "--output", str(target)], env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"exported {alerts:,} alerts" in done.stderr and done.stdout == ""
    ids = set()
    with target.open() as stream:
        for line in stream:
            ids.add(json.loads(line)["id"])
    assert len(ids) == total
    # no temporary file left (the config dir is this dir here: the token cache's key file is not one)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "token-cache.key") == ["alerts.jsonl"]

    table = tmp_path / "alerts.csv"
    done = run_cli(["-o", "json", "alerts", "export", "-f", "csv", "-o", str(table), "--status", "open"], env)
    assert done.returncode == 0, done.stderr
    opened = json.loads(run_cli(["alerts", "count", "--status", "open", "-o", "json"], env).stdout)["count"]
    with table.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == opened and {row["status"] for row in rows} == {"open"}


def test_export_json_format_and_bad_format(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    env = cli_env(tmp_path, **make_emulator(alerts=1_500).client_env())
    target = tmp_path / "a.json"
    done = run_cli(
        ["alerts", "export", "--format", "json", "--output", str(target), "--page-size", "400"], env
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(target.read_text())) == 1_500
    bad = run_cli(["alerts", "export", "--format", "xlsx", "--output", str(tmp_path / "x")], env)
    assert bad.returncode == 2 and "csv, jsonl, json" in bad.stderr
