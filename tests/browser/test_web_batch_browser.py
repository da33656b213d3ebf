"""Issue 14, bulk runs from the UI in Chromium on the real engine and emulator: the batch page's live
counts, one login for a 50-row bulk (counted at the emulator), and key columns that stay in view."""

from __future__ import annotations

import re
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
from tests.integration.web_support import CLIENT_ID, SP_ID, WebStack, web_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FINISH_MS = 180_000
HEAD = "name,account_type,subscription_id,tenant_id,environment,provisioner,client_id,service_principal_id"


def _csv(rows: int, prefix: str) -> str:
    tenant = str(uuid.uuid4())
    lines = [HEAD] + [
        f"{prefix} {i},account,{uuid.uuid4()},{tenant},azure,existing,{CLIENT_ID},{SP_ID}"
        for i in range(rows)
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def stack_ui(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> Iterator[tuple[RunningEmulator, WebStack, RunningUI]]:
    emulator = make_emulator(status_delay=0.0, rate_limits="off")
    stack = web_stack(emulator, tmp_path, new_session_token(), poll_interval=0.05)
    try:
        with serve_in_thread(create_app(stack.settings), stack.settings.session_token) as ui:
            yield emulator, stack, ui
    finally:
        stack.close()


def _start_bulk(page: Page, ui: RunningUI, text: str, rows: int) -> None:
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard/bulk")
    page.locator("#f-csv_file").set_input_files(
        files=[{"name": "subs.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("#preview-title")).to_have_text(f"Preview: {rows} rows ready")
    page.get_by_label("Client secret").fill("csv-secret")
    page.get_by_role("button", name=f"Start {rows} onboarding jobs").click()


def _logins(emulator: RunningEmulator) -> int:
    return int(httpx.get(f"{emulator.url}/_emulator/stats", timeout=10).json()["logins"])


def test_a_50_row_bulk_logs_in_once_and_its_batch_page_counts_live(
    stack_ui: tuple[RunningEmulator, WebStack, RunningUI], new_page: Callable[..., Any], screenshot_dir: Path
) -> None:
    emulator, _stack, ui = stack_ui
    before = _logins(emulator)
    page: Page = new_page()
    _start_bulk(page, ui, _csv(50, "Fifty"), 50)
    expect(page).to_have_url(re.compile(r"/batches/[A-Za-z0-9-]+$"))
    progress = page.locator("#batch-progress")
    expect(progress).to_have_text(re.compile(r"^\d+ of 50 done"))
    seen = {progress.inner_text()}
    expect(page.locator("#batch-table tr[data-job]")).to_have_count(50)
    for _ in range(20):  # a few live updates on the way, without a reload
        seen.add(progress.inner_text())
        page.wait_for_timeout(100)
    expect(progress).to_have_text("50 of 50 done", timeout=FINISH_MS)
    assert len(seen | {progress.inner_text()}) >= 2, "the counts changed in the page as jobs finished"
    expect(page.locator('#batch-table [data-job-state]:text-is("done")')).to_have_count(50)
    assert _logins(emulator) - before == 1, "one login for the pages and all 50 jobs of the bulk"
    page.screenshot(path=str(screenshot_dir / "batch.png"), full_page=False)


@pytest.mark.parametrize("width", [1280, 400])
def test_the_state_and_check_columns_stay_in_view_when_tables_scroll(
    stack_ui: tuple[RunningEmulator, WebStack, RunningUI], new_page: Callable[..., Any], width: int
) -> None:
    _emulator, stack, ui = stack_ui
    from cortexkit.onboarding.model import JobSpec
    from tests.integration.web_support import spec_data

    long_name = "A job name long enough to make the jobs table wider than a phone screen, surely"
    stack.store.create_job(JobSpec.model_validate(spec_data(long_name)))
    page: Page = new_page(width=width)
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard/bulk")
    wide = _csv(2, "A name long enough to make the preview table wider than the window " * 2)
    page.locator("#f-csv_file").set_input_files(
        files=[{"name": "subs.csv", "mimeType": "text/csv", "buffer": wide.encode()}]
    )
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("table.data th.key").first).to_have_text("Check")
    _key_column_in_view(page, width)
    page.goto(ui.base_url + "/jobs")
    expect(page.locator("#jobs-table th.key")).to_have_text("State")
    _key_column_in_view(page, width)


def _key_column_in_view(page: Page, width: int) -> None:
    for cell in (page.locator("table.data th.key").first, page.locator("table.data td.key").first):
        expect(cell).to_be_in_viewport()
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 0.5
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways page scroll"
