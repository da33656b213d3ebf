"""The Connection, bulk CSV and Cloud accounts pages on a Cortex connection in a real Chromium, with the
real engine and store on the emulator's Cortex API and Azure side: the connection shows the Cortex URL,
key id, key type and role (never the key) and tests again on a click; a 2-row Cortex CSV is previewed,
given the operator secret, runs two Cortex jobs to done, and Cloud accounts lists both instances with
their jobs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.server import RunningUI
from tests.integration.cortex_onboarding_support import emulator_fixture
from tests.integration.cortex_web_support import PROFILE
from tests.integration.web_support import WebStack

pytestmark = pytest.mark.browser


emulator = emulator_fixture(37, deployment_delay=0.3, whatif_delay=0.1)


def test_the_connection_page_shows_the_cortex_key_id_type_and_role_and_tests_again(
    cortex_ui: RunningUI, emulator: RunningEmulator, new_page: Callable[..., Any], screenshot_dir: Path
) -> None:
    env = emulator.cortex_env()
    page = new_page()
    page.goto(cortex_ui.url)
    row = page.locator(f'tr.profile-row[data-profile="{PROFILE}"]')
    expect(row.locator('[data-cell="status"] .badge')).to_have_text("key works")
    expect(row.locator('[data-cell="key"]')).to_have_text(
        f"key id {env['CORTEXCLOUD_API_KEY_ID']} (advanced)"
    )
    expect(row.locator('[data-cell="tenant"]')).not_to_have_text("…")
    expect(row.locator('[data-cell="refresh"]')).to_have_text("admin")
    with page.expect_response(re.compile(r"/api/connection\?profile=")) as answer:
        row.get_by_role("button", name="Test connection").click()
    assert answer.value.json()["ok"] is True
    expect(row.locator('[data-cell="status"] .badge')).to_have_text("key works")
    assert env["CORTEXCLOUD_API_KEY"] not in page.content()
    page.screenshot(path=str(screenshot_dir / "cortex-connection.png"))


def test_a_cortex_csv_runs_cortex_jobs_and_cloud_accounts_lists_their_instances(
    cortex_ui: RunningUI,
    cortex_stack: WebStack,
    emulator: RunningEmulator,
    new_page: Callable[..., Any],
    screenshot_dir: Path,
) -> None:
    names = [f"csv-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    rows = [f"{n},{uuid.uuid4()},{uuid.uuid4()},arm,{emulator.access_key_id}" for n in names]
    text = "name,tenant_id,subscription_id,deploy,client_id\n" + "\n".join(rows) + "\n"
    page = new_page(1280, 1000)
    page.goto(cortex_ui.url)
    page.get_by_role("link", name="Onboard", exact=True).click()
    page.goto(cortex_ui.base_url + "/onboard/bulk")
    expect(page.locator("h1")).to_have_text("Bulk onboarding from CSV to Cortex Cloud")
    page.locator("#f-csv_file").set_input_files(
        files=[{"name": "cortex.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("#preview-title")).to_have_text("Preview: 2 rows ready")
    page.get_by_label("Client secret").fill(emulator.secret_key)
    page.get_by_role("button", name="Start 2 Cortex onboarding jobs").click()
    expect(page).to_have_url(re.compile(r"/batches/[A-Za-z0-9-]+$"))
    expect(page.locator("#batch-progress")).to_have_text("2 of 2 done", timeout=90_000)
    jobs = cortex_stack.store.list_jobs()
    assert sorted(j.spec.name for j in jobs) == sorted(names) and all(j.spec.kind == "cortex" for j in jobs)

    page.get_by_role("link", name="Cloud accounts").click()
    for job in jobs:
        instance = page.locator(f'#instances-table tr[data-instance="{job.account_id}"]')
        expect(instance).to_contain_text(job.spec.name)
        expect(instance.locator(f'a[href="/jobs/{job.id}"]')).to_have_text("done")
        assert job.spec.subscription_id is not None
        account = page.locator(f'#accounts-table tr[data-instance="{job.account_id}"]')
        expect(account).to_contain_text(job.spec.subscription_id)
    assert emulator.secret_key not in page.content()
    page.screenshot(path=str(screenshot_dir / "cortex-accounts.png"))
