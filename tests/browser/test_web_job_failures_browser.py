"""Issue 14, the job page's failure paths, in Chromium against the real engine, store and emulator.

Also takes the screenshots docs/img/job-live.png, job-failed.png, job-cancelled.png and job-waiting.png
(`CORTEXKIT_UPDATE_SCREENSHOTS=1` writes them into docs/img).

Each job here is run by the UI's own runner on the emulator; faults come from the emulator's fault plans
(a 503 burst, a taken name) or from what a CLI user can do (a job created without a secret), and the
orphaned job's runner is a real process killed with SIGKILL.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.web.app import create_app
from cortexkit.web.security import new_session_token
from cortexkit.web.server import RunningUI, serve_in_thread
from tests.integration.web_support import SP_SECRET, WebStack, spec_data, web_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FINISH_MS = 60_000


def _guid() -> str:
    return str(uuid.uuid4())


@contextmanager
def ui_on(
    emulator: RunningEmulator, tmp_path: Path, max_workers: int | None = None
) -> Iterator[tuple[WebStack, RunningUI]]:
    stack = web_stack(emulator, tmp_path, new_session_token(), poll_interval=0.05, max_workers=max_workers)
    try:
        with serve_in_thread(create_app(stack.settings), stack.settings.session_token) as ui:
            yield stack, ui
    finally:
        stack.close()


def _start(stack: WebStack, name: str, secret: str | None = SP_SECRET, **over: Any) -> str:
    """A job as `cortexkit onboard` creates it (no up-front checks of the UI), run by the UI's runner."""
    spec = JobSpec.model_validate(spec_data(name, subscription_id=_guid(), tenant_id=_guid(), **over))
    job_id = stack.store.create_job(spec, secret=secret)
    stack.engine.runner.start(job_id)
    return job_id


def _open(page: Page, ui: RunningUI, job_id: str) -> None:
    page.goto(ui.url)
    page.goto(f"{ui.base_url}/jobs/{job_id}")


def test_a_503_burst_on_add_shows_status_and_request_id_once_next_to_the_step(
    make_emulator: Callable[..., RunningEmulator],
    tmp_path: Path,
    new_page: Callable[..., Any],
    screenshot_dir: Path,
) -> None:
    emulator = make_emulator(status_delay=0.0)
    plan = {"route": "POST /cas/v1/azure_account", "statuses": [503], "count": 5}
    httpx.post(emulator.url + "/_emulator/faults", json=plan, timeout=10).raise_for_status()
    with ui_on(emulator, tmp_path) as (stack, ui):
        job_id = _start(stack, "Burst")
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#job-state")).to_have_text("failed", timeout=FINISH_MS)
        add = page.locator('li[data-step="add_account"]')
        cause = add.locator("[data-step-error]")
        expect(cause).to_be_visible()
        expect(cause.locator("[data-cause-status]")).to_have_text("503")
        request_id = cause.locator("[data-cause-request-id]").inner_text().strip()
        assert request_id, "the request id to quote to support is shown"
        expect(cause.locator("[data-cause-fix]")).to_contain_text("Resume")
        above_the_log = page.locator("#job-notices").inner_text() + page.locator("#timeline").inner_text()
        assert above_the_log.count(request_id) == 1, "the cause is shown once, not again as the job error"
        expect(page.locator("#job-error")).to_have_count(0)
        expect(page.locator("#edit-again")).to_have_count(0), "resume can help: no 'start again' offer"
        expect(page.get_by_role("button", name="Resume")).to_be_visible()
        assert "Traceback" not in page.content() and "ServerError:" not in page.content()
        page.screenshot(path=str(screenshot_dir / "job-failed.png"), full_page=True)


def test_a_taken_name_offers_edit_and_start_again_with_the_name_marked(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    emulator = make_emulator(status_delay=0.0)
    with ui_on(emulator, tmp_path) as (stack, ui):
        first = _start(stack, "Taken name")
        stack.engine.runner.join(first, 60)
        assert stack.store.require_job(first).state is JobState.DONE
        job_id = _start(stack, "Taken name")
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#job-state")).to_have_text("failed", timeout=FINISH_MS)
        cause = page.locator("#timeline [data-step-error]")  # the pre-flight check meets it first
        expect(cause.locator("[data-cause-keys]")).to_have_text("duplicate_cloud_account_name")
        expect(cause.locator("[data-cause-fix]")).to_contain_text("another name")
        expect(page.get_by_role("button", name="Resume")).to_be_hidden()  # it would fail the same way
        subscription = stack.store.require_job(job_id).spec.subscription_id
        page.get_by_role("link", name="Edit and start again").click()
        expect(page).to_have_url(re.compile(r"/onboard\?from="))
        expect(page.locator("#from-job")).to_be_visible()
        expect(page.get_by_label("Subscription ID")).to_have_value(str(subscription))
        expect(page.get_by_label("Account name")).to_have_value("Taken name")
        expect(page.get_by_label("Account name")).to_have_attribute("aria-invalid", "true")
        expect(page.locator('[data-error-for="name"]')).not_to_be_empty()
        page.get_by_label("Account name").fill("A fresh name")
        page.get_by_label("Client secret").fill("emulator-client-secret-value")
        expect(page.locator("#validation-state")).to_have_text("Ready to start")
        page.get_by_role("button", name="Start onboarding").click()
        expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)


def test_a_job_without_a_secret_is_given_one_from_its_page_and_finishes(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    emulator = make_emulator(status_delay=0.0)
    secret = "typed-on-the-job-page-" + uuid.uuid4().hex
    with ui_on(emulator, tmp_path) as (stack, ui):
        job_id = _start(stack, "No secret", secret=None)
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#job-state")).to_have_text("failed", timeout=FINISH_MS)
        cause = page.locator('li[data-step="identity"] [data-step-error]')
        expect(cause.locator("[data-cause-fix]")).to_contain_text("Give it below")
        expect(page.locator("#edit-again")).to_be_visible()
        expect(page.locator("#resume-form")).to_be_hidden()  # the secret form resumes
        field = page.get_by_label("Azure client secret for this job")
        expect(field).to_have_attribute("type", "password")
        field.fill(secret)
        page.get_by_role("button", name="Save secret and resume").click()
        expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
        assert secret not in page.content()
        log = page.request.get(f"{ui.base_url}/jobs/{job_id}/log.txt")
        assert log.status == 200 and log.headers["content-type"].startswith("text/plain")
        text = log.text()
        assert "== Provision the Azure identity (done" in text and "== Verify ingestion (done" in text
        assert secret not in text


KILLED_RUNNER = """
import sys, time
from cortexkit.onboarding.store import JobStore
store = JobStore(sys.argv[1])
lease = store.claim(sys.argv[2])
store.start_step(sys.argv[2], "validate", lease=lease)
print("claimed", flush=True)
time.sleep(600)
"""


def _orphan(stack: WebStack, tmp_path: Path, name: str) -> str:
    """A job whose runner (another process) claimed it, started a step and was killed with SIGKILL."""
    spec = JobSpec.model_validate(spec_data(name, subscription_id=_guid(), tenant_id=_guid()))
    job_id = stack.store.create_job(spec, secret=SP_SECRET)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUNNER, f"sqlite:///{tmp_path / 'jobs.db'}", job_id],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "claimed"
    finally:
        proc.kill()
        proc.wait(30)
    job = stack.store.require_job(job_id)
    assert job.state is JobState.RUNNING and job.orphaned
    return job_id


def test_an_orphaned_job_says_so_and_resume_takes_it_over_to_done(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    emulator = make_emulator(status_delay=0.0)
    with ui_on(emulator, tmp_path) as (stack, ui):
        job_id = _orphan(stack, tmp_path, "Orphan resumed")
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#orphaned")).to_be_visible()
        expect(page.locator("#live-status")).to_contain_text("process that ran this job is gone")
        page.get_by_role("button", name="Resume").click()
        expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
        expect(page.locator("#orphaned")).to_have_count(0)
        assert stack.store.require_job(job_id).step("validate").attempts == 2


def test_an_orphaned_jobs_page_follows_a_resume_made_after_its_stream_ended(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    """The page's stream ends once it finds the runner gone; the job is then taken over without the page
    (another operator's resume, or this page's own Resume when its runner claims the job only after the
    redirected page loaded: CI met that race at load). The page must still follow the job to done."""
    emulator = make_emulator(status_delay=0.0)
    with ui_on(emulator, tmp_path) as (stack, ui):
        job_id = _orphan(stack, tmp_path, "Orphan resumed elsewhere")
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#live-status")).to_contain_text("process that ran this job is gone")
        stack.engine.runner.start(job_id)
        expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
        expect(page.locator("#orphaned")).to_have_count(0)


def test_a_failed_job_resumed_while_every_worker_is_busy_is_followed_to_done(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    """Resume queues the job; with the UI's one worker busy it still reads `failed` when the redirected
    page loads. That page must say it is queued (no Resume button, no end text) and follow it to done.
    The worker is held by a job whose verify polls until the emulator's clock is moved on, so nothing
    here depends on how fast the machine is."""
    emulator = make_emulator(status_delay=3600.0)
    plan = {"route": "POST /cas/v1/azure_account", "statuses": [403], "count": 1}
    httpx.post(emulator.url + "/_emulator/faults", json=plan, timeout=10).raise_for_status()
    with ui_on(emulator, tmp_path, max_workers=1) as (stack, ui):
        failed = _start(stack, "Resumed behind another")
        stack.engine.runner.join(failed, 60)
        assert stack.store.require_job(failed).state is JobState.FAILED
        page: Page = new_page()
        _open(page, ui, failed)
        expect(page.get_by_role("button", name="Resume")).to_be_visible()
        busy = _start(stack, "Keeps the worker busy")
        expect(page.locator("#job-state")).to_have_text("failed")
        page.get_by_role("button", name="Resume").click()
        expect(page.get_by_role("button", name="Resume")).to_be_hidden(timeout=FINISH_MS)
        live = page.locator("#live-status")
        expect(live).to_contain_text("queued for one of this UI's workers", timeout=FINISH_MS)
        expect(page.locator("#job-state")).to_have_text("failed")
        stack.store.request_cancel(busy)  # the worker is free: the resumed job runs
        verify = page.locator('li[data-step="verify"]')
        expect(verify).to_have_attribute("data-state", "running", timeout=FINISH_MS)
        expect(live).not_to_contain_text("queued")
        advance = {"advance": 3700}  # the account's status settles
        httpx.post(emulator.url + "/_emulator/clock", json=advance, timeout=10).raise_for_status()
        expect(page.locator("#job-state")).to_have_text("done", timeout=FINISH_MS)
        assert stack.store.require_job(busy).state is JobState.CANCELLED
        expect(page.locator('li[data-step="add_account"]')).to_have_attribute("data-state", "done")
        expect(live).not_to_contain_text("failed")
        expect(live).not_to_contain_text("queued")


def test_an_orphaned_job_is_cancelled_from_its_page_and_the_stream_ends(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    emulator = make_emulator(status_delay=0.0)
    with ui_on(emulator, tmp_path) as (stack, ui):
        job_id = _orphan(stack, tmp_path, "Orphan cancelled")
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#live-status")).to_contain_text("process that ran this job is gone")
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#job-state")).to_have_text("cancelled", timeout=FINISH_MS)
        expect(page.locator("#live-status")).to_contain_text("Cancelled")
        assert stack.store.require_job(job_id).state is JobState.CANCELLED


def test_verify_fills_the_status_live_and_a_cancel_after_add_names_the_account(
    make_emulator: Callable[..., RunningEmulator],
    tmp_path: Path,
    new_page: Callable[..., Any],
    screenshot_dir: Path,
) -> None:
    emulator = make_emulator(status_delay=3600.0)  # the account stays pending: verify keeps polling
    with ui_on(emulator, tmp_path) as (stack, ui):
        job_id = _start(stack, "Cancelled after add")
        page: Page = new_page()
        _open(page, ui, job_id)
        verify = page.locator('li[data-step="verify"]')
        expect(verify).to_have_attribute("data-state", "running", timeout=FINISH_MS)
        expect(page.locator("#components tbody tr").first).to_be_visible()
        expect(page.locator("#job-state")).to_have_text("running")
        duration = verify.locator("[data-duration]")
        expect(duration).not_to_be_empty()
        first = duration.inner_text()
        page.wait_for_timeout(1500)
        assert duration.inner_text() != first, "the running step's timer moves"
        page.screenshot(path=str(screenshot_dir / "job-live.png"), full_page=True)
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#job-state")).to_have_text("cancelled", timeout=FINISH_MS)
        account_id = stack.store.require_job(job_id).account_id
        assert account_id
        left = page.locator("#account-left")
        expect(left).to_contain_text(account_id)
        expect(left.locator("[data-account-status]")).to_have_text(re.compile("enabled|disabled"))
        expect(left).to_contain_text("cortexkit api DELETE /cloud/azure/")
        expect(page.locator("#log details[data-log-step]").first).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "job-cancelled.png"), full_page=True)


def test_a_waiting_job_shows_the_reason_the_engine_recorded(
    make_emulator: Callable[..., RunningEmulator],
    tmp_path: Path,
    new_page: Callable[..., Any],
    screenshot_dir: Path,
) -> None:
    emulator = make_emulator(status_delay=0.0)
    with ui_on(emulator, tmp_path) as (stack, ui):
        spec = JobSpec.model_validate(spec_data("Waits", subscription_id=_guid(), tenant_id=_guid()))
        job_id = stack.store.create_job(spec, secret=SP_SECRET)
        lease = stack.store.claim(job_id, owner="test-driver")
        stack.store.start_step(job_id, "add_account")
        reason = "the API answered 503 since 12:04; retrying every 30 s"
        stack.store.finish_step(job_id, "add_account", StepState.PENDING, {}, reason)
        stack.store.set_state(job_id, JobState.WAITING, reason)
        stack.store.release(lease)  # at rest, as the runner leaves it (a live lease would read as paused)
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#waiting-reason")).to_contain_text(reason)
        above_the_log = page.locator("#job-notices").inner_text() + page.locator("#timeline").inner_text()
        assert above_the_log.count("retrying every 30 s") == 1
        expect(page.get_by_role("button", name="Resume")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "job-waiting.png"), full_page=True)


def test_a_client_id_azure_refuses_offers_edit_and_start_again_with_the_client_id_marked(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    emulator = make_emulator(status_delay=0.0)
    with ui_on(emulator, tmp_path) as (stack, ui):
        refused = _guid()  # an operator app the emulator's Azure does not know
        job_id = _start(
            stack, "Refused client", provisioner="azure-api", client_id=refused, service_principal_id=None
        )
        page: Page = new_page()
        _open(page, ui, job_id)
        expect(page.locator("#job-state")).to_have_text("failed", timeout=FINISH_MS)
        cause = page.locator('li[data-step="identity"] [data-step-error]')
        expect(cause.locator("[data-cause-text]")).to_contain_text("invalid_client")
        expect(cause.locator("[data-cause-fix]")).to_contain_text("client id")
        expect(page.locator("#resume-form")).to_be_hidden()
        page.get_by_role("link", name="Edit and start again").click()
        expect(page.get_by_label("Operator application (client) ID")).to_have_value(refused)
        expect(page.get_by_label("Operator application (client) ID")).to_have_attribute(
            "aria-invalid", "true"
        )
