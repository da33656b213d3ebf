"""A Cortex job's page in a real Chromium, run by the real engine against the emulator's Cortex API and
Azure side: the deployment's resources and the capability table fill in live from the job's events, and
a capability in Error shows Cortex's own message."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.server import RunningUI
from tests.integration.cortex_onboarding_support import emulator_fixture
from tests.integration.cortex_web_support import cortex_spec
from tests.integration.web_support import WebStack

pytestmark = pytest.mark.browser

RECORDER = """
window.__seen = [];
document.addEventListener("DOMContentLoaded", function () {
  new MutationObserver(function () {
    var head = document.getElementById("job");
    var state = head ? head.getAttribute("data-state") : "";
    document.querySelectorAll("#cortex-capabilities [data-label]").forEach(function (b) {
      window.__seen.push(["capability", b.textContent, state]);
    });
    document.querySelectorAll("#cortex-resources tbody tr").forEach(function () {
      window.__seen.push(["resource", "", state]);
    });
  }).observe(document.body, { childList: true, subtree: true });
});
"""
"""Records every capability label and resource row the page ever shows, with the job's state then, so
the test can tell rows drawn live from events from the server's final render."""


emulator = emulator_fixture(17, status_delay=1.0, deployment_delay=0.6, whatif_delay=0.1)


def open_job(cortex_ui: RunningUI, page: Any, cortex_stack: WebStack, job_id: str) -> None:
    """Open the job's page while it is still pending, then start it: the page sees every event live."""
    page.add_init_script(RECORDER)
    page.goto(cortex_ui.url)
    page.goto(f"{cortex_ui.base_url}/jobs/{job_id}")
    expect(page.locator("#cortex-card")).to_be_visible()
    cortex_stack.engine.runner.start(job_id)


def test_a_cortex_job_shows_resources_then_capabilities_live_and_the_accounts_found(
    cortex_ui: RunningUI,
    cortex_stack: WebStack,
    emulator: RunningEmulator,
    new_page: Callable[..., Any],
    screenshot_dir: Path,
) -> None:
    spec = cortex_spec(emulator, f"web-{uuid.uuid4().hex[:8]}")
    job_id = cortex_stack.store.create_job(spec, secret=emulator.secret_key)
    page = new_page(1280, 1100)
    open_job(cortex_ui, page, cortex_stack, job_id)

    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=60_000)
    job = cortex_stack.store.get_job(job_id)
    assert job is not None
    for name in ("validate", "preflight", "template", "download", "deploy", "wait_cortex", "reconcile"):
        expect(page.locator(f'li[data-step="{name}"]')).to_have_attribute("data-state", "done")
    checks = page.locator("#cortex-preflight tbody tr")
    expect(checks.first).to_be_visible()
    assert set(checks.evaluate_all("rows => rows.map(r => r.dataset.ok)")) <= {"pass", "unknown"}
    resources = page.locator("#cortex-resources tbody tr")
    assert resources.count() == len(job.step("deploy").output["resources"]) >= 1
    expect(resources.first).to_contain_text("Succeeded")
    labels = page.locator("#cortex-capabilities [data-label]")
    assert (
        set(labels.all_text_contents()) <= {"Connected", "Disabled"}
        and "Connected" in labels.all_text_contents()
    )
    expect(page.locator("#cortex-instance")).to_have_text(str(job.account_id))
    expect(page.locator(".job-head")).to_contain_text("Cortex, deploy arm")
    expect(page.locator(f'#cortex-accounts tr[data-account="{spec.subscription_id}"]')).to_be_visible()
    expect(page.locator("#cortex-accounts-summary")).to_contain_text("matching the subscriptions")

    seen = page.evaluate("window.__seen")
    live = {(kind, label) for kind, label, state in seen if state != "done"}
    assert ("resource", "") in live, "the resources table filled while the job ran"
    assert ("capability", "Retrieving") in live, (
        "the capability table showed Retrieving while Cortex connected"
    )
    assert emulator.secret_key not in page.content()
    page.screenshot(path=str(screenshot_dir / "cortex-job.png"), full_page=True)


def test_a_capability_in_error_shows_cortex_message(
    cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    name = f"web-error-{uuid.uuid4().hex[:8]}"
    message = "the managed identity lacks Reader on the subscription"
    outcome = {"status": "Error", "message": message, "instance_name": name}
    httpx.post(
        f"{emulator.url}/_emulator/cortex", json={"capability_outcome": outcome}, timeout=10
    ).raise_for_status()
    job_id = cortex_stack.store.create_job(cortex_spec(emulator, name), secret=emulator.secret_key)
    page = new_page()
    open_job(cortex_ui, page, cortex_stack, job_id)

    expect(page.locator("#job")).to_have_attribute("data-state", "needs_attention", timeout=60_000)
    errored = page.locator("#cortex-capabilities tr", has=page.locator('[data-label]:text-is("Error")'))
    expect(errored).to_have_count(1)
    expect(errored.locator("[data-message]")).to_have_text(message)
    expect(errored.locator(".badge")).to_have_class("badge error")
    expect(page.locator("#cortex-state")).to_have_text("needs attention")
    expect(page.locator("#account-left")).to_have_count(0)
    page.reload()
    expect(page.locator("#cortex-capabilities [data-message]", has_text=message)).to_have_count(1)


def test_the_wizard_checks_the_form_then_starts_a_cortex_job_that_reaches_done(
    cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    page = new_page()
    page.goto(cortex_ui.url)
    page.get_by_role("link", name="Onboard", exact=True).click()
    expect(page.locator("h1")).to_have_text("Onboard Azure to Cortex Cloud")
    tenant, subscription = str(uuid.uuid4()), str(uuid.uuid4())
    page.get_by_label("Tenant (directory) ID").fill("not-a-tenant")
    page.get_by_label("Subscription ID").fill(subscription)
    page.get_by_label("Instance name").fill(f"wizard-{uuid.uuid4().hex[:8]}")
    page.get_by_label("Azure app (client) ID").fill(emulator.access_key_id)
    page.get_by_role("button", name="Start onboarding").click()
    expect(page.locator("#form-summary")).to_be_visible()
    expect(page.locator('[data-error-for="tenant_id"]')).to_contain_text("tenant (directory) id")
    expect(page.locator('[data-error-for="client_secret"]')).to_contain_text("client secret")
    assert cortex_stack.store.list_jobs() == [], "nothing is created before the form is right"

    page.get_by_label("Tenant (directory) ID").fill(tenant)
    page.get_by_label("Azure app client secret").fill(emulator.secret_key)
    page.get_by_role("button", name="Start onboarding").click()
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=60_000)
    (job,) = cortex_stack.store.list_jobs()
    assert job.spec.kind == "cortex" and (job.spec.tenant_id, job.spec.subscription_id) == (
        tenant,
        subscription,
    )
    assert job.spec.cortex is not None and job.spec.cortex.deploy == "arm" and job.spec.cortex.audit_logs
    expect(page.locator('#cortex-preflight tr[data-check="ARM permissions"]')).to_have_attribute(
        "data-ok", "pass"
    )
    labels = page.locator("#cortex-capabilities [data-label]")
    assert "Connected" in labels.all_text_contents()
    assert emulator.secret_key not in page.content()
