"""End to end in Chromium: the real engine and client onboard on the emulator through the UI.

Also takes the documentation screenshots (docs/img/wizard.png and docs/img/job.png) from these runs;
`CORTEXKIT_UPDATE_SCREENSHOTS=1` writes them into docs/img.
"""

from __future__ import annotations

import contextlib
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.app import create_app
from cortexkit.web.security import new_session_token
from cortexkit.web.server import RunningUI, serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FINISH_MS = 60_000


def _guid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def demo_emulator(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator(status_delay=2.0)


@pytest.fixture
def demo_ui(demo_emulator: RunningEmulator, tmp_path: Path) -> Iterator[RunningUI]:
    from cortexkit.cli.demo import demo_settings

    emulator = demo_emulator
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


def test_onboard_one_subscription_end_to_end(
    demo_ui: RunningUI, new_page: Callable[..., Any], screenshot_dir: Path
) -> None:
    page: Page = new_page()
    page.goto(demo_ui.url)
    expect(page.locator("#emulator-banner")).to_be_visible()
    page.get_by_role("link", name="Onboard", exact=True).click()
    _fill_wizard(page, "Production EU", _guid(), _guid())
    expect(page.locator("#validation-state")).to_have_text("Ready to start")
    page.screenshot(path=str(screenshot_dir / "wizard.png"), full_page=True)
    page.get_by_role("button", name="Start onboarding").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    first = page.locator("li[data-step]").first
    expect(first).to_have_attribute("data-state", "done", timeout=FINISH_MS)
    page.reload()  # mid-job or just after: the timeline must pick up where the store is
    _expect_all_steps_done(page)
    expect(page.locator("#log")).not_to_be_empty()
    assert "emulator-client-secret-value" not in page.content()
    job_id = page.locator("#job").get_attribute("data-job-id")
    page.get_by_role("link", name="Cloud accounts").click()
    page.get_by_label("Filter").fill("Production EU")
    row = page.locator("#accounts-table tbody tr:visible")
    expect(row).to_have_count(1)
    expect(row.locator(f'a[href="/jobs/{job_id}"]')).to_have_text("done")


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
    page.get_by_label("Client secret").fill("csv-secret")
    page.get_by_role("button", name="Start 3 onboarding jobs").click()
    rows = page.locator("#batch-table tr[data-job]")
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


def _start_one(page: Page, ui: RunningUI, name: str) -> None:
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard")
    _fill_wizard(page, name, _guid(), _guid())
    page.get_by_role("button", name="Start onboarding").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))


def test_a_failed_step_is_explained_and_resume_finishes_the_job(
    demo_ui: RunningUI, demo_emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    plan = {"route": "POST /cas/v1/azure_account", "statuses": [403], "count": 1}
    httpx.post(demo_emulator.url + "/_emulator/faults", json=plan, timeout=10).raise_for_status()
    page: Page = new_page()
    _start_one(page, demo_ui, "Resume after failure")
    expect(page.locator("#job-state")).to_have_text("failed", timeout=FINISH_MS)
    add = page.locator('li[data-step="add_account"]')
    expect(add).to_have_attribute("data-state", "failed")
    expect(add.locator("[data-step-error]")).to_be_visible()
    assert "Traceback" not in page.content()
    page.get_by_role("button", name="Resume").click()
    _expect_all_steps_done(page)


def test_cancel_stops_a_running_job(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    from cortexkit.cli.demo import demo_settings

    emulator = make_emulator(status_delay=3600.0)  # verify keeps polling until cancelled
    token = new_session_token()
    settings = demo_settings(emulator, f"sqlite:///{tmp_path / 'jobs.db'}", token=token)
    with serve_in_thread(create_app(settings), token) as ui:
        page: Page = new_page()
        _start_one(page, ui, "Cancel me")
        expect(page.locator('li[data-step="verify"]')).to_have_attribute(
            "data-state", "running", timeout=FINISH_MS
        )
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#job-state")).to_have_text("cancelled", timeout=FINISH_MS)
        expect(page.locator('li[data-step="verify"]')).to_have_attribute("data-state", "cancelled")
        expect(page.get_by_role("button", name="Resume")).to_be_hidden()


FAKE_TERRAFORM = (sys.executable, str(Path(__file__).resolve().parents[1] / "fixtures" / "fake_terraform.py"))


def test_terraform_output_streams_into_the_job_page(
    demo_emulator: RunningEmulator, tmp_path: Path, new_page: Callable[..., Any], screenshot_dir: Path
) -> None:
    """The terraform provisioner's lines appear live (terraform is a stand-in: no provider registry here)."""
    from cortexkit.onboarding.context import AzureEndpoints, RunnerSettings
    from cortexkit.web.backend import build_engine, fixed_client_factory
    from cortexkit.web.settings import ProfileInfo, WebSettings

    emulator = demo_emulator
    factory = fixed_client_factory(emulator.url, emulator.access_key_id, emulator.secret_key)
    runner_settings = RunnerSettings(
        poll_interval=0.3,
        verify_timeout=60.0,
        terraform_command=FAKE_TERRAFORM,
        azure_endpoints=AzureEndpoints.for_emulator(emulator.url),
    )
    profile = ProfileInfo("emulator", emulator.url, emulator.access_key_id, is_default=True)
    engine = build_engine(
        factory,
        f"sqlite:///{tmp_path / 'jobs.db'}",
        profiles=lambda: [profile],
        runner_settings=runner_settings,
    )
    token = new_session_token()
    settings = WebSettings(
        backend=engine.backend(), session_token=token, emulator_url=emulator.url, default_profile="emulator"
    )
    with serve_in_thread(create_app(settings), token) as ui:
        page: Page = new_page()
        page.goto(ui.url)
        page.goto(ui.base_url + "/onboard")
        page.get_by_label("Account name").fill("Payments (Terraform)")
        page.get_by_label("Tenant (directory) ID").fill(_guid())
        page.get_by_label("Subscription ID").fill(_guid())
        page.locator('#features input[value="Remediation"]').check()
        page.get_by_text("Create it with Terraform").click()
        expect(page.get_by_label("Application (client) ID")).to_be_hidden()
        page.get_by_role("button", name="Start onboarding").click()
        _expect_all_steps_done(page)
        expect(page.locator("#log")).to_contain_text("terraform apply:")
        page.screenshot(path=str(screenshot_dir / "job.png"), full_page=True)


def test_tenant_scope_hides_the_subscription_and_features_follow_root_sync(
    demo_ui: RunningUI, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    page.goto(demo_ui.url)
    page.goto(demo_ui.base_url + "/onboard")
    subscription_features = page.locator("#features label").count()
    page.get_by_label("Tenant", exact=True).check()
    expect(page.get_by_label("Subscription ID")).to_be_hidden()
    features = page.locator("#features label")
    expect(features).to_have_count(1)  # an Entra-only tenant: just the always-on capability
    page.get_by_label("Include management groups and subscriptions (root sync)").check()
    expect(features).to_have_count(subscription_features)
