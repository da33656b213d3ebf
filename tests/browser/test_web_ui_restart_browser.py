"""Issue 14: a UI killed (SIGKILL) in the middle of a job, then started again on the same store, shows the
job as orphaned and its Resume takes the job to done. Two real `cortexkit ui` processes, the real engine,
a real SQLite store and the emulator; Chromium drives both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cortexkit.emulator.server import RunningEmulator

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FINISH_MS = 120_000


@contextmanager
def cortexkit_ui(env: dict[str, str], store: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = [sys.executable, "-m", "cortexkit.cli.main", "ui", "--port", "0", "--store", store]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        yield proc, proc.stdout.readline().strip()
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(30)


def _guid() -> str:
    return str(uuid.uuid4())


def test_a_ui_killed_mid_job_and_restarted_offers_resume_and_the_job_reaches_done(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    emulator = make_emulator(status_delay=15.0)  # verify is still polling when the first UI is killed
    env = {
        **os.environ,
        **emulator.client_env(),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    store = f"sqlite:///{tmp_path / 'jobs.db'}"
    with cortexkit_ui(env, store) as (first, url):
        page: Page = new_page()
        page.goto(url)
        page.goto(url.split("/?", 1)[0] + "/onboard")
        page.get_by_label("Account name").fill(f"Killed UI {uuid.uuid4().hex[:6]}")
        page.get_by_label("Tenant (directory) ID").fill(_guid())
        page.get_by_label("Subscription ID").fill(_guid())
        page.get_by_label("Application (client) ID").fill(_guid())
        page.get_by_label("Enterprise application object ID").fill(_guid())
        page.get_by_label("Client secret").fill("killed-ui-client-secret")
        page.get_by_role("button", name="Start onboarding").click()
        expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
        job_path = page.url.split("://", 1)[1].split("/", 1)[1]
        expect(page.locator('li[data-step="verify"]')).to_have_attribute(
            "data-state", "running", timeout=FINISH_MS
        )
        first.kill()
        first.wait(30)
    with cortexkit_ui(env, store) as (_second, url):
        page = new_page()
        page.goto(url)
        page.goto(url.split("/?", 1)[0] + "/" + job_path)
        expect(page.locator("#job-state")).to_have_text("running")
        expect(page.locator("#orphaned")).to_be_visible()
        expect(page.locator("#live-status")).to_contain_text("process that ran this job is gone")
        page.get_by_role("button", name="Resume").click()
        expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
        expect(page.locator('li[data-step="verify"]')).to_have_attribute("data-state", "done")
        expect(page.locator("#orphaned")).to_have_count(0)
