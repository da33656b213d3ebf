"""Issue 14's security findings in a real Chromium against a real UI (engine, SQLite store, emulator)."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.security import cookie_name, csrf_token
from cortexkit.web.server import RunningUI
from tests.integration.web_support import demo_ui, job_count

pytestmark = pytest.mark.browser
GOOD = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def emulator(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator()


@pytest.fixture
def ui(emulator: RunningEmulator, tmp_path: Path) -> Iterator[RunningUI]:
    with demo_ui(emulator, tmp_path / "jobs.db") as running:
        yield running


@pytest.fixture
def other_port_site() -> Iterator[Callable[[str], str]]:
    """A plain HTTP server on another port of 127.0.0.1 (any local program could run one)."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        pages["/page"] = html.encode()
        return f"http://127.0.0.1:{server.server_address[1]}/page"

    yield publish
    server.shutdown()
    server.server_close()


def test_two_uis_in_one_browser_keep_their_own_sessions(
    ui: RunningUI, emulator: RunningEmulator, tmp_path: Path, new_page: Callable[..., Any]
) -> None:
    with demo_ui(emulator, tmp_path / "second.db") as second:
        page: Page = new_page()
        page.goto(ui.url)
        page.goto(second.url)
        names = {c["name"] for c in page.context.cookies()}
        assert {
            cookie_name(ui.base_url.rsplit(":", 1)[1]),
            cookie_name(second.base_url.rsplit(":", 1)[1]),
        } <= names
        for running in (ui, second):
            response = page.goto(running.base_url + "/jobs")
            assert response is not None and response.status == 200, running.base_url
            expect(page.locator("h1")).to_have_text("Onboarding jobs")


def test_a_form_posted_from_another_local_port_is_refused(
    ui: RunningUI, tmp_path: Path, new_page: Callable[..., Any], other_port_site: Callable[[str], str]
) -> None:
    page: Page = new_page()
    page.goto(ui.url)  # the victim's browser holds the session cookie
    fields = {
        "csrf_token": csrf_token(ui.token),  # even knowing the CSRF token does not help
        "account_type": "account",
        "name": "Planted by another port",
        "tenant_id": GOOD,
        "subscription_id": str(uuid.uuid4()),
        "client_id": str(uuid.uuid4()),
        "service_principal_id": str(uuid.uuid4()),
        "client_secret": "x",
    }
    inputs = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in fields.items())
    hostile = other_port_site(
        f'<form id="f" method="post" action="{ui.base_url}/onboard">{inputs}<button>go</button></form>'
    )
    page.goto(hostile)
    with page.expect_navigation():
        page.click("button")
    expect(page.locator("h1")).to_have_text("Request from another site refused")
    assert job_count(tmp_path / "jobs.db") == 0


def test_the_uis_own_forms_and_live_validation_pass_the_origin_check(
    ui: RunningUI, new_page: Callable[..., Any]
) -> None:
    page: Page = new_page()
    page.goto(ui.url)
    page.goto(ui.base_url + "/onboard")
    page.get_by_label("Account name").fill("Own form")
    page.get_by_label("Subscription ID").fill("not-a-guid")
    expect(page.locator('[data-error-for="subscription_id"]')).to_contain_text("Must be a GUID")
    page.goto(ui.base_url + "/onboard/bulk")
    page.locator("#f-csv_text").fill("name,tenant_id,subscription_id\nx,y,z\n")
    page.get_by_role("button", name="Preview rows").click()
    expect(page.locator("#preview-title")).to_contain_text("1 with problems")
