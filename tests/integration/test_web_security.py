"""The session token gate, CSRF, Host check and security headers of the web UI, over real ASGI calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.app import create_app
from cortexkit.web.security import cookie_name, csrf_token
from tests.integration.web_support import WebStack, web_emulator, web_stack

TOKEN = "t0k3n-for-tests-only-abcdefghijklmnopqrstuv"
BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with web_emulator() as running:
        yield running


@pytest.fixture
def stack(emulator: RunningEmulator, tmp_path: Path) -> Iterator[WebStack]:
    built = web_stack(emulator, tmp_path, TOKEN)
    yield built
    built.close()


@pytest.fixture
def anon(stack: WebStack) -> TestClient:
    return TestClient(create_app(stack.settings), base_url=BASE, follow_redirects=False)


@pytest.fixture
def client(anon: TestClient) -> TestClient:
    anon.cookies.set(cookie_name(8765), TOKEN)
    return anon


@pytest.mark.parametrize("path", ["/", "/onboard", "/jobs", "/accounts", "/api/jobs/x", "/jobs/x/events"])
def test_every_page_refuses_a_request_without_the_token(anon: TestClient, path: str) -> None:
    response = anon.get(path)
    assert response.status_code == 403
    assert "token" in response.text.lower()
    assert "Traceback" not in response.text


def test_a_wrong_token_is_refused_in_the_url_and_in_the_cookie(anon: TestClient) -> None:
    assert anon.get("/?token=wrong").status_code == 403
    anon.cookies.set(cookie_name(8765), TOKEN[:-1] + "x")
    assert anon.get("/").status_code == 403


def test_api_refusals_are_json(anon: TestClient) -> None:
    response = anon.get("/api/jobs/x")
    assert response.status_code == 403
    assert response.json()["error"] == "Session token required"


def test_url_token_becomes_a_strict_httponly_cookie_and_leaves_the_url(anon: TestClient) -> None:
    response = anon.get(f"/jobs?state=failed&token={TOKEN}")
    assert response.status_code == 303
    assert response.headers["location"] == "/jobs?state=failed"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookie_name(8765)}={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    followed = anon.get(response.headers["location"])
    assert followed.status_code == 200
    assert TOKEN not in followed.text


def test_security_headers_on_pages(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_carry_no_inline_script(client: TestClient) -> None:
    for path in ("/", "/onboard", "/onboard/bulk", "/jobs", "/accounts"):
        html = client.get(path).text
        assert "<script>" not in html and "onclick=" not in html and "javascript:" not in html, path


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    response = client.get("/", headers={"host": "evil.example:8765"})
    assert response.status_code == 400


def test_static_files_need_no_token_but_still_get_headers(anon: TestClient) -> None:
    response = anon.get("/static/app.js")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"


def test_a_post_without_the_csrf_token_changes_nothing(client: TestClient, stack: WebStack) -> None:
    form = {"account_type": "account", "name": "x", "tenant_id": "a", "subscription_id": "b"}
    response = client.post("/onboard", data=form)
    assert response.status_code == 403
    assert "Reload the page" in response.text
    assert stack.store.list_jobs() == []
    bad = client.post("/api/validate", json={}, headers={"x-csrf-token": "nope"})
    assert bad.status_code == 403


def test_csrf_token_is_in_the_page_and_is_not_the_session_token(client: TestClient) -> None:
    html = client.get("/onboard").text
    assert csrf_token(TOKEN) in html
    assert TOKEN not in html
