"""The UI in a real Chromium against the real job store, driven step by step by the test.

The test writes a job's progress through the store's own API (the calls the runner makes), so "reload in
the middle of a job" is exact: the test decides which step is running when the page reloads, then
finishes the job and watches the reloaded page catch up over SSE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import STEPS
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.web.app import create_app
from cortexkit.web.security import new_session_token
from cortexkit.web.server import RunningUI, serve_in_thread
from tests.integration.web_support import (
    CLIENT_ID,
    GOOD,
    SP_ID,
    DroppingStore,
    WebStack,
    finish,
    run_step,
    running_job,
    web_emulator,
    web_stack,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with web_emulator() as running:
        yield running


@pytest.fixture
def stack(emulator: RunningEmulator, tmp_path: Path) -> Iterator[WebStack]:
    built = web_stack(emulator, tmp_path, new_session_token(), poll_interval=0.05, store_class=DroppingStore)
    yield built
    built.close()


@pytest.fixture
def store(stack: WebStack) -> DroppingStore:
    assert isinstance(stack.store, DroppingStore)
    return stack.store


@pytest.fixture
def ui(stack: WebStack) -> Iterator[RunningUI]:
    with serve_in_thread(create_app(stack.settings), stack.settings.session_token) as running:
        yield running


def test_a_request_without_the_token_is_refused(ui: RunningUI, new_page: Callable[..., Any]) -> None:
    page = new_page()
    response = page.goto(ui.base_url + "/jobs")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Session token required")
    response = page.goto(ui.url)
    assert response is not None and response.status == 200
    assert "token=" not in page.url, "the token leaves the address bar once it is in the cookie"
    cookie = next(
        c for c in page.context.cookies() if c["name"] == "cortexkit_session_" + ui.base_url.rsplit(":", 1)[1]
    )
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_a_bad_subscription_id_shows_its_error_next_to_the_field(
    ui: RunningUI, new_page: Callable[..., Any], store: DroppingStore
) -> None:
    page = new_page()
    page.goto(ui.url)
    page.get_by_role("link", name="Onboard", exact=True).click()
    page.get_by_label("Account name").fill("Prod EU")
    page.get_by_label("Tenant (directory) ID").fill(GOOD)
    page.get_by_label("Subscription ID").fill("not-a-subscription")
    error = page.locator('[data-error-for="subscription_id"]')
    expect(error).to_contain_text("Must be a GUID")
    expect(page.locator('[data-field="subscription_id"]')).to_have_class("field invalid")
    expect(page.locator('[data-error-for="tenant_id"]')).to_have_text("")
    page.get_by_role("button", name="Start onboarding").click()
    expect(page.locator("#form-summary")).to_be_visible()
    expect(error).to_contain_text("Must be a GUID")
    assert store.list_jobs() == []
    page.get_by_label("Subscription ID").fill(GOOD)
    expect(error).to_have_text("")


def test_the_timeline_keeps_updating_through_a_reload(
    ui: RunningUI, new_page: Callable[..., Any], store: DroppingStore
) -> None:
    job_id = running_job(store, "Reload test")
    page = new_page()
    page.goto(ui.url)
    page.goto(f"{ui.base_url}/jobs/{job_id}")
    step = lambda name: page.locator(f'li[data-step="{name}"]')  # noqa: E731
    store.start_step(job_id, STEPS[0])
    store.emit(job_id, "output", {"step": STEPS[0], "line": "terraform: Refreshing state..."})
    expect(step(STEPS[0])).to_have_attribute("data-state", "running")
    store.finish_step(job_id, STEPS[0], StepState.DONE, {})
    store.start_step(job_id, STEPS[1])
    expect(step(STEPS[1])).to_have_attribute("data-state", "running")
    expect(page.locator("#log")).to_contain_text("terraform: Refreshing state...")

    page.reload()
    expect(step(STEPS[0])).to_have_attribute("data-state", "done")
    expect(step(STEPS[1])).to_have_attribute("data-state", "running")
    expect(page.locator("#log")).to_contain_text("terraform: Refreshing state...")  # replayed from id 0
    store.finish_step(job_id, STEPS[1], StepState.DONE, {})
    for name in STEPS[2:]:
        run_step(store, job_id, name, f"{name} finished")
    finish(store, job_id)
    for name in STEPS:
        expect(step(name)).to_have_attribute("data-state", "done")
    expect(page.locator("#job-state")).to_have_text("done")
    expect(page.locator("#live-status")).to_have_text("Finished: every step is done.")
    expect(page.locator("#log")).to_contain_text(f"{STEPS[-1]} finished")


def test_a_waiting_job_offers_resume_and_says_it_waits(
    ui: RunningUI, new_page: Callable[..., Any], store: DroppingStore
) -> None:
    job_id = running_job(store, "Waits")
    run_step(store, job_id, STEPS[0])
    store.start_step(job_id, "identity")
    store.finish_step(job_id, "identity", StepState.PENDING, {}, "run terraform apply, then resume")
    finish(store, job_id, JobState.WAITING, "run terraform apply, then resume")
    page = new_page()
    page.goto(ui.url)
    page.goto(f"{ui.base_url}/jobs/{job_id}")
    expect(page.locator("#job-state")).to_have_text("waiting")
    expect(page.locator("#resume-form")).to_be_visible()
    expect(page.locator("#live-status")).to_contain_text("Waiting: the reason is shown above")


@pytest.mark.parametrize("width", [1280, 400])
def test_pages_fit_the_window_without_sideways_scrolling(
    ui: RunningUI, new_page: Callable[..., Any], store: DroppingStore, width: int
) -> None:
    job_id = running_job(store, "Fit")
    page = new_page(width=width)
    page.goto(ui.url)
    for path in ("/", "/onboard", "/onboard/bulk", "/jobs", f"/jobs/{job_id}", "/accounts"):
        page.goto(ui.base_url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px at {width}px"


def test_the_wizard_is_usable_by_keyboard(ui: RunningUI, new_page: Callable[..., Any]) -> None:
    page = new_page()
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("Account name").focus()
    page.keyboard.type("Keyboard Co")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Tenant (directory) ID")).to_be_focused()


def test_csv_preview_shows_each_rows_problems_before_anything_runs(
    ui: RunningUI, new_page: Callable[..., Any], store: DroppingStore
) -> None:
    page = new_page()
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard/bulk")
    text = (
        "name,account_type,subscription_id,tenant_id,client_id,service_principal_id\n"
        f"A,account,{GOOD},{GOOD},{CLIENT_ID},{SP_ID}\nB,account,nope,{GOOD},{CLIENT_ID},{SP_ID}\n"
    )
    page.locator("#f-csv_file").set_input_files(
        files=[{"name": "subs.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("#preview-title")).to_contain_text("1 row ready, 1 with problems")
    expect(page.locator('tr[data-line="3"] .problems')).to_contain_text("subscription_id: Must be a GUID")
    expect(page.locator("#start-bulk")).to_have_count(0)
    assert store.list_jobs() == []


def test_a_dropped_stream_resumes_after_the_last_event_without_gaps_or_repeats(
    ui: RunningUI, new_page: Callable[..., Any], store: DroppingStore
) -> None:
    job_id = running_job(store, "Drop test")
    page = new_page()
    page.goto(ui.url)
    page.goto(f"{ui.base_url}/jobs/{job_id}")
    for i in range(3):
        store.emit(job_id, "output", {"step": STEPS[0], "line": f"before drop {i}"})
    expect(page.locator("#log")).to_contain_text("before drop 2")
    last_seen = store.last_event_id()
    store.drop_next_read = True  # the server's next read fails and the stream closes under the browser
    expect(page.locator("#live-status")).to_contain_text("reconnecting")
    for i in range(3):
        store.emit(job_id, "output", {"step": STEPS[0], "line": f"after drop {i}"})
    finish(store, job_id)
    expect(page.locator("#log")).to_contain_text("after drop 2")
    assert last_seen in store.reads_after, "the browser resumed from Last-Event-ID, not from the start"
    lines = [line for line in page.locator("#log").inner_text().splitlines() if "drop" in line]
    assert len(lines) == 6 and len(set(lines)) == 6
