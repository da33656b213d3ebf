"""Cancel on a failed Cortex job's page, in a real Chromium with the real engine and store on the
emulator: the job failed after its template step made a PENDING instance (Azure failed the deployment);
"Cancel and clean up" deletes that instance through the engine's `cleanup.cancel_settled` and the page
says so; a deletion Cortex refuses still ends the job cancelled and names the instance left behind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.server import RunningUI
from tests.integration.cortex_onboarding_support import control, emulator_fixture, instances_named
from tests.integration.cortex_web_support import cortex_spec
from tests.integration.web_support import WebStack

pytestmark = pytest.mark.browser
POLICY_FAILURE = {"deployment_failure": {"code": "PolicyViolation", "message": "denied by policy"}}


emulator = emulator_fixture(41, status_delay=0.2, deployment_delay=0.2, whatif_delay=0.05)


def failed_job(
    page: Any, cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator
) -> tuple[str, str]:
    """A Cortex job whose deployment Azure fails, watched to `failed` on its page: (job id, name)."""
    name = f"cancel-{uuid.uuid4().hex[:8]}"
    control(emulator, "azure", POLICY_FAILURE)
    job_id = cortex_stack.store.create_job(cortex_spec(emulator, name), secret=emulator.secret_key)
    page.goto(cortex_ui.url)
    page.goto(f"{cortex_ui.base_url}/jobs/{job_id}")
    cortex_stack.engine.runner.start(job_id)
    expect(page.locator("#job")).to_have_attribute("data-state", "failed", timeout=60_000)
    return job_id, name


def test_cancel_and_clean_up_deletes_the_pending_instance_the_failed_job_made(
    cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    page = new_page()
    job_id, name = failed_job(page, cortex_ui, cortex_stack, emulator)
    (pending,) = instances_named(emulator, name, "PENDING")
    button = page.get_by_role("button", name="Cancel and clean up")
    expect(button).to_be_visible()
    button.click()

    expect(page.locator("#job")).to_have_attribute("data-state", "cancelled")
    deleted = f"deleted the PENDING Cortex instance {pending.instance_id} this job created"
    expect(page.locator("#cleanup-result")).to_contain_text(f"Cancelled after it failed; {deleted}")
    expect(page.locator("#cancel-form")).to_be_hidden()
    assert instances_named(emulator, name) == []
    job = cortex_stack.store.get_job(job_id)
    assert job is not None and job.state == "cancelled" and not job.can_cancel


def test_a_refused_deletion_ends_the_job_cancelled_and_names_the_instance_left(
    cortex_ui: RunningUI, cortex_stack: WebStack, emulator: RunningEmulator, new_page: Callable[..., Any]
) -> None:
    page = new_page()
    _job_id, name = failed_job(page, cortex_ui, cortex_stack, emulator)
    control(emulator, "cortex", {"role": "read_only"})  # the key may read but not delete
    try:
        page.get_by_role("button", name="Cancel and clean up").click()
        expect(page.locator("#job")).to_have_attribute("data-state", "cancelled")
    finally:
        control(emulator, "cortex", {"role": "admin"})
    (left,) = instances_named(emulator, name, "PENDING")
    result = page.locator("#cleanup-result")
    expect(result).to_contain_text(
        f"the PENDING Cortex instance {left.instance_id} this job created could not"
    )
    expect(result).to_contain_text("Settings > Data Sources")
    assert "Traceback" not in page.content()
