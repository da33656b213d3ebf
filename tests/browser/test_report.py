"""The alert report opened in headless Chromium: its SVG charts render offline, it fits a 400 px page, and a
screenshot is saved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def test_report_renders_its_charts_in_chromium(
    emulator: RunningEmulator, tmp_path: Path, screenshot_dir: Path
) -> None:
    # docs/img/report.png only with CORTEXKIT_UPDATE_SCREENSHOTS=1: tests rewrite no tracked file.
    screenshot = screenshot_dir / "report.png"
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make chromium installs it)")
    from playwright.sync_api import sync_playwright

    report = tmp_path / "report.html"
    env = cli_env(tmp_path, **emulator.client_env())
    done = run_cli(["alerts", "report", "--output", str(report), "--since", "30d"], env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "wrote the report" in done.stderr

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            # The report must be self-contained: any request beyond the file itself is a failure.
            page.on("request", lambda req: None if req.url.startswith("file://") else outside.append(req.url))
            page.goto(report.as_uri())
            page.wait_for_selector("svg.chart", timeout=30_000)
            charts = page.locator("svg.chart").count()
            bars = page.locator("svg.chart rect.bar").count()
            posture_rows = page.locator("#posture tr").count()
            open_cards = page.locator("#open .kpi").count()
            page.screenshot(path=str(screenshot), full_page=True)
            # Readable at 400 px: the charts fit the narrow page without a horizontal scroll bar.
            page.set_viewport_size({"width": 400, "height": 800})
            narrow_scroll = page.evaluate("document.documentElement.scrollWidth")
            chart_width = page.evaluate("document.querySelector('svg.chart').getBoundingClientRect().width")
        finally:
            browser.close()
    assert charts == 3
    assert bars > 5  # the bars were drawn, not only the empty axes
    assert posture_rows > 1 and open_cards == 6
    assert outside == []
    assert narrow_scroll <= 400 and chart_width >= 300
    assert screenshot.stat().st_size > 20_000
