"""Issue 14's page items in Chromium against a real UI (engine, SQLite store, emulator): a favicon, no
engine bookkeeping words on the job page, and badges that meet WCAG AA contrast (4.5:1)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.app import create_app
from cortexkit.web.server import RunningUI, serve_in_thread

pytestmark = pytest.mark.browser
BADGE_CLASSES = (
    *("done", "ok", "enabled", "running", "failed", "error", "warning", "waiting"),
    *("needs_attention", "cancelled", "skipped", "pending", "unknown", "disabled"),
)


@pytest.fixture
def ui(make_emulator: Callable[..., RunningEmulator], tmp_path: Path) -> Iterator[RunningUI]:
    from cortexkit.cli.demo import demo_settings

    settings = demo_settings(make_emulator(status_delay=1.0), f"sqlite:///{tmp_path / 'jobs.db'}")
    settings.poll_interval = 0.1
    with serve_in_thread(create_app(settings), settings.session_token) as running:
        yield running


def test_every_page_has_a_favicon_even_before_the_session(
    ui: RunningUI, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    refused = page.goto(ui.base_url + "/jobs")
    assert refused is not None and refused.status == 403
    for _ in range(2):
        href = page.locator("link[rel=icon]").get_attribute("href")
        assert href
        icon = page.request.get(ui.base_url + href)
        assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
        page.goto(ui.url)


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_badge_state_meets_wcag_aa_contrast(ui: RunningUI, new_page: Callable[..., Any]) -> None:
    page: Page = new_page()
    page.goto(ui.url)
    page.goto(ui.base_url + "/jobs")
    colours = page.evaluate(
        """(classes) => classes.map((c) => {
            const el = document.createElement("span");
            el.className = "badge " + c; el.textContent = c;
            document.querySelector("main").appendChild(el);
            const style = getComputedStyle(el);
            return [c, style.color, style.backgroundColor];
        })""",
        BADGE_CLASSES,
    )
    ratios = {}
    for name, fg, bg in colours:
        light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
        ratios[name] = round((light + 0.05) / (dark + 0.05), 2)
    assert all(r >= 4.5 for r in ratios.values()), ratios


@pytest.mark.slow
def test_the_job_page_shows_no_engine_bookkeeping(ui: RunningUI, new_page: Callable[..., Any]) -> None:
    page: Page = new_page()
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard")
    page.get_by_label("Account name").fill(f"Words {uuid.uuid4().hex[:6]}")
    page.get_by_label("Tenant (directory) ID").fill(str(uuid.uuid4()))
    page.get_by_label("Subscription ID").fill(str(uuid.uuid4()))
    page.get_by_label("Application (client) ID").fill(str(uuid.uuid4()))
    page.get_by_label("Enterprise application object ID").fill(str(uuid.uuid4()))
    page.get_by_label("Client secret").fill("words-secret")
    page.get_by_role("button", name="Start onboarding").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    expect(page.locator("#job-state")).to_have_text("done", timeout=90_000)
    expect(page.locator("#log")).not_to_be_empty()
    text = page.locator("main").inner_text()
    assert "checkpoint" not in text.lower(), text
