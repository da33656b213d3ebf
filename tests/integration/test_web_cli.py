"""`cortexkit ui` and `cortexkit demo` as a user runs them: real processes, real sockets on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cortexkit.cli.ui import bind_warning


def test_a_non_loopback_address_gets_a_warning_and_loopback_does_not() -> None:
    assert bind_warning("127.0.0.1") is None
    assert bind_warning("::1") is None
    assert bind_warning("localhost") is None
    warning = bind_warning("0.0.0.0")
    assert warning is not None and "0.0.0.0" in warning and "token" in warning


@pytest.fixture
def ui_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    for name in ("PRISMA_API_URL", "PRISMA_ACCESS_KEY_ID", "PRISMA_SECRET_KEY"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cortexkit.cli.main",
            "ui",
            "--port",
            "0",
            "--store",
            f"sqlite:///{tmp_path / 'j.db'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ui_prints_a_tokened_loopback_url_that_opens_a_session(
    ui_process: tuple[subprocess.Popen[str], str],
) -> None:
    proc, url = ui_process
    assert url.startswith("http://127.0.0.1:") and "/?token=" in url, url
    base = url.split("/?", 1)[0]
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        assert http.get(base + "/jobs").status_code == 403
        first = http.get(url)
        assert first.status_code == 303 and "cortexkit_session" in first.headers["set-cookie"]
        page = http.get(base + "/jobs")
        assert page.status_code == 200 and "Onboarding jobs" in page.text
    proc.terminate()
    _out, err = proc.communicate(timeout=20)
    assert "WARNING" not in err
    token = url.rsplit("=", 1)[1]
    assert token not in err, "the token is printed once, on stdout, and never logged"


@pytest.mark.slow
def test_demo_headless_onboards_on_the_embedded_emulator_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "cortexkit.cli.main", "demo", "--headless"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "verify: done" in done.stderr and "every step done" in done.stderr
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("jobs.db")), (
        "demo leaves no store"
    )


def test_demo_serves_the_ui_against_the_emulator(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortexkit.cli.main", "demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert "/?token=" in url, url
        base = url.split("/?", 1)[0]
        with httpx.Client(timeout=10) as http:
            http.get(url)
            page = http.get(base + "/")
            assert "Emulator backend." in page.text and 'data-profile="emulator"' in page.text
            check = http.get(base + "/api/connection?profile=emulator").json()
            assert check["ok"] is True and check["region"] == "local emulator"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
