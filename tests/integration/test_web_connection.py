"""Connection page and cloud accounts list with the real client against the emulator over HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.app import create_app
from cortexkit.web.backend import fixed_client_factory
from cortexkit.web.connection import check
from cortexkit.web.security import cookie_name
from tests.integration.web_support import web_stack

TOKEN = "connection-test-token-0123456789abcdefghijk"


def test_a_working_key_reports_tenant_region_and_refresh_time(emulator: RunningEmulator) -> None:
    factory = fixed_client_factory(emulator.url, emulator.access_key_id, emulator.secret_key)
    report = check("emulator", factory)
    assert report.ok
    assert report.region == "local emulator"
    assert report.tenant
    assert report.token_refresh is not None and report.token_refresh > time.time()


def _client(emulator: RunningEmulator, tmp_path: Path, secret: str) -> TestClient:
    """The real stack (store, runner, pages' shared clients) on `emulator`, with `secret` as the key."""
    stack = web_stack(emulator, tmp_path, TOKEN, secret_key=secret)
    client = TestClient(create_app(stack.settings), base_url="http://127.0.0.1:8765")
    client.cookies.set(cookie_name(8765), TOKEN)
    return client


def test_a_wrong_key_is_reported_as_a_sentence_without_the_secret(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    wrong = "definitely-not-the-secret-0000"
    body = _client(emulator, tmp_path, wrong).get("/api/connection?profile=emulator").json()
    assert body["ok"] is False
    assert "access key" in body["message"].lower()
    assert wrong not in body["message"]


@pytest.mark.parametrize("query", ["", "?cloud=azure"])
def test_accounts_page_lists_the_tenants_accounts(
    emulator: RunningEmulator, tmp_path: Path, query: str
) -> None:
    html = _client(emulator, tmp_path, emulator.secret_key).get("/accounts" + query).text
    assert 'id="accounts-table"' in html
    assert "Emulator backend." in html
    rows = html.count("<tr data-state=")
    assert rows >= 1
    if query:
        assert 'data-cloud="aws"' not in html
