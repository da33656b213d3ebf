"""End to end in Chromium: the real engine and client onboard on the emulator through the UI.

Also writes the documentation screenshots (docs/img/wizard.png and docs/img/job.png) from these runs,
so the pictures always show the UI as it is.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.app import create_app
from cortexkit.web.security import new_session_token
from cortexkit.web.server import RunningUI, serve_in_thread
from tests.browser.conftest import DOCS_IMG

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FINISH_MS = 60_000


def _guid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def demo_ui(make_emulator: Callable[..., RunningEmulator], tmp_path: Path) -> Iterator[RunningUI]:
    from cortexkit.cli.demo import demo_settings

    emulator = make_emulator(status_delay=2.0)
    token = new_session_token()
    settings = demo_settings(emulator, f"sqlite:///{tmp_path / 'jobs.db'}", token=token)
    settings.poll_interval = 0.1
    with serve_in_thread(create_app(settings), token) as running:
        yield running


def _fill_wizard(page: Page, name: str, subscription: str, tenant: str) -> None:
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Tenant (directory) ID").fill(tenant)
    page.get_by_label("Subscription ID").fill(subscription)
    groups = page.locator('#groups input[type="checkbox"]')
    if groups.count():
        groups.first.check()
    page.get_by_label("Application (client) ID").fill(_guid())
    page.get_by_label("Enterprise application object ID").fill(_guid())
    page.get_by_label("Client secret").fill("emulator-client-secret-value")


def _expect_all_steps_done(page: Page) -> None:
    steps = page.locator("li[data-step]")
    expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
    count = steps.count()
    assert count >= 3
    for i in range(count):
        expect(steps.nth(i)).to_have_attribute("data-state", "done")


def test_onboard_one_subscription_end_to_end(demo_ui: RunningUI, new_page: Callable[..., Any]) -> None:
    page: Page = new_page()
    page.goto(demo_ui.url)
    expect(page.locator("#emulator-banner")).to_be_visible()
    page.get_by_role("link", name="Onboard", exact=True).click()
    _fill_wizard(page, "Production EU", _guid(), _guid())
    expect(page.locator("#validation-state")).to_have_text("Ready to start")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / "wizard.png"), full_page=True)
    page.get_by_role("button", name="Start onboarding").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    first = page.locator("li[data-step]").first
    expect(first).to_have_attribute("data-state", "done", timeout=FINISH_MS)
    page.reload()  # mid-job or just after: the timeline must pick up where the store is
    _expect_all_steps_done(page)
    expect(page.locator("#log")).not_to_be_empty()
    assert "emulator-client-secret-value" not in page.content()
    page.screenshot(path=str(DOCS_IMG / "job.png"), full_page=True)


def test_onboard_three_subscriptions_from_csv(demo_ui: RunningUI, new_page: Callable[..., Any]) -> None:
    page: Page = new_page()
    page.goto(demo_ui.url)
    page.goto(demo_ui.base_url + "/onboard/bulk")
    tenant = _guid()
    lines = [
        "name,account_type,subscription_id,tenant_id,environment,provisioner,client_id,service_principal_id"
    ]
    lines += [f"CSV sub {i},account,{_guid()},{tenant},azure,existing,{_guid()},{_guid()}" for i in range(3)]
    page.locator("#f-csv_file").set_input_files(
        files=[{"name": "subs.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()}]
    )
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("#preview-title")).to_have_text("Preview: 3 rows ready")
    page.get_by_label("Client secret for rows with an existing app registration (optional)").fill(
        "csv-secret"
    )
    page.get_by_role("button", name="Start 3 onboarding jobs").click()
    rows = page.locator("#jobs-table tr[data-job]")
    expect(rows).to_have_count(3)
    ids = [rows.nth(i).get_attribute("data-job") for i in range(3)]
    for job_id in ids:
        with contextlib.suppress(AssertionError):
            expect(page.locator(f'tr[data-job="{job_id}"] [data-job-state]')).to_have_text(
                "done", timeout=FINISH_MS
            )
    for job_id in ids:
        page.goto(f"{demo_ui.base_url}/jobs/{job_id}")
        _expect_all_steps_done(page)
