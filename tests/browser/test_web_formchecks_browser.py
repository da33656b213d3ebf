"""Issue 14 in Chromium against a real UI (engine, SQLite store, emulator): jobs that cannot succeed are
refused at the form, and the "Create it with the Azure API" option reaches done from the wizard."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.server import RunningUI
from tests.integration.web_support import demo_ui, job_count

pytestmark = pytest.mark.browser
FINISH_MS = 90_000


@pytest.fixture
def emulator(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator(status_delay=1.0)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.db"


@pytest.fixture
def ui(emulator: RunningEmulator, store_path: Path) -> Iterator[RunningUI]:
    with demo_ui(emulator, store_path, poll_interval=0.1) as running:
        yield running


@pytest.fixture
def existing_name(emulator: RunningEmulator) -> str:
    with Client(
        api_url=emulator.url, access_key_id=emulator.access_key_id, secret_key=emulator.secret_key
    ) as client:
        return next(str(a.name) for a in client.cloud_accounts.list() if (a.cloudType or "") == "azure")


def _wizard(page: Page, ui: RunningUI) -> None:
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard")


def _identity(page: Page, name: str) -> None:
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Tenant (directory) ID").fill(str(uuid.uuid4()))
    page.get_by_label("Subscription ID").fill(str(uuid.uuid4()))


def test_a_missing_secret_is_refused_before_a_job_exists(
    ui: RunningUI, store_path: Path, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    _wizard(page, ui)
    _identity(page, "No secret")
    page.get_by_label("Application (client) ID").fill(str(uuid.uuid4()))
    page.get_by_label("Enterprise application object ID").fill(str(uuid.uuid4()))
    expect(page.locator("#validation-state")).to_have_text("1 field to fix")
    page.get_by_role("button", name="Start onboarding").click()
    expect(page.locator("#form-summary")).to_be_visible()
    expect(page.locator('[data-error-for="client_secret"]')).to_contain_text("Required")
    assert "/onboard" in page.url and job_count(store_path) == 0
    page.get_by_label("Client secret").fill("now-given")
    expect(page.locator("#validation-state")).to_have_text("Ready to start")


def test_a_name_already_onboarded_is_flagged_as_it_is_typed(
    ui: RunningUI, existing_name: str, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    _wizard(page, ui)
    _identity(page, existing_name)
    expect(page.locator('[data-error-for="name"]')).to_contain_text("already exists in Prisma Cloud")
    page.get_by_label("Account name").fill(existing_name + " (new)")
    expect(page.locator('[data-error-for="name"]')).to_have_text("")


def test_the_csv_preview_flags_an_onboarded_name_and_a_repeated_subscription(
    ui: RunningUI, existing_name: str, store_path: Path, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard/bulk")
    g, sub = str(uuid.uuid4()), str(uuid.uuid4())
    text = (
        "name,tenant_id,subscription_id,client_id,service_principal_id\n"
        f"{existing_name},{g},{uuid.uuid4()},{g},{g}\n"
        f"First,{g},{sub},{g},{g}\n"
        f"Second,{g},{sub},{g},{g}\n"
    )
    page.locator("#f-csv_text").fill(text)
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("#preview-title")).to_have_text("Preview: 1 row ready, 2 with problems")
    expect(page.locator('tr[data-line="2"] .problems')).to_contain_text("already exists in Prisma Cloud")
    expect(page.locator('tr[data-line="4"] .problems')).to_contain_text("Duplicate of line 3")
    expect(page.locator("#start-bulk")).to_have_count(0)
    assert job_count(store_path) == 0


@pytest.mark.slow
def test_create_it_with_the_azure_api_from_the_wizard_reaches_done(
    ui: RunningUI, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    _wizard(page, ui)
    page.get_by_text("Create it with the Azure API").click()
    expect(page.get_by_label("Enterprise application object ID")).to_be_hidden()
    _identity(page, "Made by the Azure API")
    # The emulator's Azure accepts its own key pair as the operator app's credential.
    page.get_by_label("Operator application (client) ID").fill(emulator.access_key_id)
    page.get_by_label("Operator client secret").fill(emulator.secret_key)
    expect(page.locator("#validation-state")).to_have_text("Ready to start")
    page.get_by_role("button", name="Start onboarding").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
    assert emulator.secret_key not in page.content()
