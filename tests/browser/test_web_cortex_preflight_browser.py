"""The Cortex wizard's live preflight in a real Chromium: Check (and a change once the tenant and name are
filled in) runs the job's read-only checks on the emulator's Cortex API and Azure side and shows each with
its fix; an unapproved tenant fails with a clickable admin-consent link, a wrong operator secret fails the
sign-in, and neither starts a job nor shows the secret."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.cortexflow.preflight import CONSENT_APP_ENV
from cortexkit.web.server import RunningUI
from tests.integration.cortex_onboarding_support import emulator_fixture
from tests.integration.web_support import WebStack

pytestmark = pytest.mark.browser


emulator = emulator_fixture(29)


def fill(page: Any, emulator: RunningEmulator, tenant: str, secret: str) -> None:
    page.get_by_label("Tenant (directory) ID").fill(tenant)
    page.get_by_label("Subscription ID").fill(str(uuid.uuid4()))
    page.get_by_label("Instance name").fill(f"live-{uuid.uuid4().hex[:8]}")
    page.get_by_label("Azure app (client) ID").fill(emulator.access_key_id)
    page.get_by_label("Azure app client secret").fill(secret)


def row(page: Any, name: str) -> Any:
    return page.locator(f'#preflight-checks tr[data-check="{name}"]')


def test_check_shows_each_preflight_check_and_starts_nothing(
    cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    page = new_page(1280, 1300)
    page.goto(cortex_ui.url)
    page.goto(f"{cortex_ui.base_url}/onboard/cortex")
    fill(page, emulator, str(uuid.uuid4()), emulator.secret_key)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#preflight-status")).to_have_text(
        "No check failed (1 could not be told; see their notes)."
    )
    for name in (
        "Azure sign-in",
        "ARM permissions",
        "deny assignments",
        "resource providers",
        "conditional access",
    ):
        expect(row(page, name)).to_have_attribute("data-ok", "pass")
    expect(row(page, "approved tenant")).to_have_attribute("data-ok", "unknown")
    assert cortex_stack.store.list_jobs() == [], "a check starts no job"
    assert emulator.secret_key not in page.content()


def test_an_unapproved_tenant_fails_with_the_consent_link_and_a_change_checks_again(
    cortex_ui: RunningUI,
    cortex_stack: WebStack,
    emulator: RunningEmulator,
    new_page: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    screenshot_dir: Path,
) -> None:
    tenant, cortex_app = str(uuid.uuid4()), str(uuid.uuid4())
    monkeypatch.setenv(CONSENT_APP_ENV, cortex_app)  # Cortex's app id, as the console shows it
    httpx.post(
        f"{emulator.url}/_emulator/cortex", json={"approved_tenants": {tenant: False}}, timeout=10
    ).raise_for_status()
    page = new_page(1280, 1300)
    page.goto(cortex_ui.url)
    page.goto(f"{cortex_ui.base_url}/onboard/cortex")
    fill(page, emulator, tenant, emulator.secret_key)
    page.get_by_role("button", name="Check").click()
    expect(row(page, "approved tenant")).to_have_attribute("data-ok", "fail")
    link = row(page, "approved tenant").locator("[data-fix] a")
    expect(link).to_have_attribute(
        "href", f"https://login.microsoftonline.com/{tenant}/adminconsent?client_id={cortex_app}"
    )
    expect(page.locator("#preflight-status")).to_contain_text("1 check failed")
    page.locator("#live-preflight").screenshot(path=str(screenshot_dir / "cortex-wizard-preflight.png"))

    # The admin consents; changing a field checks again by itself (no click).
    httpx.post(
        f"{emulator.url}/_emulator/cortex", json={"approved_tenants": {tenant: True}}, timeout=10
    ).raise_for_status()
    page.get_by_label("Azure region for the deployment").fill("westeurope")
    page.get_by_label("Azure region for the deployment").blur()
    expect(row(page, "approved tenant")).to_have_attribute("data-ok", "pass")
    expect(page.locator("#preflight-status")).to_have_text("No check failed.")
    assert cortex_stack.store.list_jobs() == []


def test_a_wrong_operator_secret_fails_the_sign_in_and_is_not_shown(
    cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    wrong = "wrong-secret-" + uuid.uuid4().hex
    page = new_page(1280, 1300)
    page.goto(cortex_ui.url)
    page.goto(f"{cortex_ui.base_url}/onboard/cortex")
    fill(page, emulator, str(uuid.uuid4()), wrong)
    page.get_by_role("button", name="Check").click()
    expect(row(page, "Azure sign-in")).to_have_attribute("data-ok", "fail")
    expect(row(page, "Azure sign-in").locator("[data-fix]")).to_contain_text("secret")
    expect(row(page, "ARM permissions")).to_have_count(0)
    assert wrong not in page.content()

    page.get_by_label("Tenant (directory) ID").fill("not-a-tenant")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#preflight-status")).to_have_text(
        "Fix the marked fields first; nothing was checked."
    )
    expect(page.locator('[data-error-for="tenant_id"]')).not_to_be_empty()
    expect(page.locator("#preflight-checks")).to_be_hidden()
    assert cortex_stack.store.list_jobs() == []
