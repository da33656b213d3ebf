"""`alerts report` against the emulator over loopback HTTP: its open counts agree with `alerts count`,
the HTML stays small and self-contained, and bad options are bad usage."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli, run_in_process


@pytest.fixture(scope="module")
def tenant() -> Iterator[RunningEmulator]:
    from cortexkit.emulator.server import run_emulator

    with run_emulator(seed=42, rate_limits="off", fault_rate=0.0) as running:
        yield running


def _run(
    running: RunningEmulator, tmp_path: Path, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = cli_env(tmp_path / "cfg", **running.client_env(), **({} if path is None else {"PATH": path}))
    return run_cli(args, env, cwd=tmp_path, timeout=300)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def test_open_counts_agree_with_alerts_count(tenant: RunningEmulator, tmp_path: Path) -> None:
    done = _run(tenant, tmp_path, "alerts", "report", "--format", "json", "--output", "-", "--since", "30d")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    period = report["period"]
    fetched = f"{_iso(period['previous_start'])}..{_iso(period['end'])}"
    older = 0
    env = cli_env(tmp_path / "cfg", **tenant.client_env())
    for severity in ("high", "medium", "low"):
        # Open now means open now: alerts first seen before both periods and still open count too.
        # The six counts run the same `alerts count` command through typer's runner in this process:
        # the report's own process is the one under test, and six more interpreter starts cost ~10 s.
        count = ("alerts", "count", "--status", "open", "--severity", severity, "-o", "json", "--since")
        everything, recent = (run_in_process([*count, when], env) for when in ("all", fetched))
        assert everything.returncode == 0 and recent.returncode == 0, everything.stderr + recent.stderr
        assert report["open"][severity]["now"] == json.loads(everything.stdout)["count"]
        older += json.loads(everything.stdout)["count"] - json.loads(recent.stdout)["count"]
    assert older > 0  # the seeded tenant has open alerts older than both periods
    assert sum(row["now"] for row in report["open"].values()) > 0
    assert report["compliance"] and report["trend"][-1]["partial"]
    worst = report["compliance"][0]
    assert worst["rate"] == min(row["rate"] for row in report["compliance"])
    failed = [req["failed"] for req in worst["failing"]]
    assert failed and failed == sorted(failed, reverse=True)


def test_default_html_report_is_under_a_megabyte_and_requests_nothing(
    tenant: RunningEmulator, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    done = _run(tenant, tmp_path, "alerts", "report", "--output", str(target))
    assert done.returncode == 0, done.stderr
    html = target.read_text(encoding="utf-8")
    assert len(html.encode()) < 1_000_000
    assert "<script" not in html and 'src="http' not in html and "url(http" not in html
    assert html.count("<svg") == 3


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--sla", "critical=soon"], "--sla"),
        (["--format", "docx"], "unknown report format"),
        (["--since", "last tuesday"], "time range"),
    ],
)
def test_bad_report_options_are_bad_usage(
    tenant: RunningEmulator, tmp_path: Path, args: list[str], words: str
) -> None:
    done = _run(tenant, tmp_path, "alerts", "report", "-o", str(tmp_path / "r.html"), *args)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r.html").exists()


def test_pdf_is_printed_by_headless_chromium(tenant: RunningEmulator, tmp_path: Path) -> None:
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed (make chromium installs it)")
    done = _run(tenant, tmp_path, "alerts", "report", "--format", "pdf")
    assert done.returncode == 0, done.stderr
    document = (tmp_path / "report.pdf").read_bytes()
    assert document.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", document)) >= 2  # the whole report, not one screen
    assert [p.name for p in tmp_path.iterdir() if p.name != "cfg"] == ["report.pdf"]  # no leftovers


def test_pdf_without_chromium_says_so_before_reading_alerts(tenant: RunningEmulator, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = _run(tenant, tmp_path, "alerts", "report", "--format", "pdf", path=str(empty))
    assert done.returncode == 2, done.stderr
    assert "headless Chromium, which is not installed" in done.stderr and "--format html" in done.stderr
    assert not (tmp_path / "report.pdf").exists()
