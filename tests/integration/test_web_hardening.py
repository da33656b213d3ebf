"""Issue 14's security findings, over HTTP against a real UI (real engine, SQLite store and emulator).

Each test talks to a uvicorn server on loopback, as a browser or a local attacker would.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.security import cookie_name, csrf_token
from cortexkit.web.server import RunningUI
from tests.integration.web_support import demo_ui, job_count, wizard_form

GOOD = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def emulator(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator()


def _port(served_ui: RunningUI) -> str:
    return served_ui.base_url.rsplit(":", 1)[1]


def _csrf(served_ui: RunningUI) -> str:
    return csrf_token(served_ui.token)


# --- the session cookie carries the port -------------------------------------------------------------


def test_the_session_cookie_is_named_for_the_port_and_no_other_name_opens_a_session(
    served_ui: RunningUI,
) -> None:
    with httpx.Client(base_url=served_ui.base_url, follow_redirects=False, timeout=30) as client:
        first = client.get(served_ui.url)
        set_cookie = first.headers["set-cookie"]
        assert set_cookie.startswith(f"{cookie_name(_port(served_ui))}={served_ui.token};"), set_cookie
        assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
        assert client.get("/jobs").status_code == 200
    for name in ("cortexkit_session", cookie_name(int(_port(served_ui)) + 1)):
        with httpx.Client(base_url=served_ui.base_url, cookies={name: served_ui.token}, timeout=30) as other:
            assert other.get("/jobs").status_code == 403, name


def test_two_uis_on_two_ports_keep_their_own_sessions_in_one_cookie_jar(
    served_ui: RunningUI, emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Cookies are not port-scoped: with one name for both, the second UI's cookie replaced the first's.
    with (
        demo_ui(emulator, tmp_path / "second.db") as second,
        httpx.Client(follow_redirects=False, timeout=30) as browser,
    ):
        assert browser.get(served_ui.url).status_code == 303
        assert browser.get(second.url).status_code == 303
        assert browser.get(served_ui.base_url + "/jobs").status_code == 200
        assert browser.get(second.base_url + "/jobs").status_code == 200


# --- no-store, same-origin POSTs ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/onboard", "/onboard/bulk", "/jobs", "/accounts", "/api/connection"])
def test_authenticated_pages_are_not_stored_by_the_browser(served_http: httpx.Client, path: str) -> None:
    response = served_http.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_static_files_may_still_be_cached(served_http: httpx.Client) -> None:
    assert served_http.get("/static/app.css").headers.get("cache-control") != "no-store"


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "same-site"},  # a page on another port of 127.0.0.1
        {"sec-fetch-site": "cross-site"},
        {"origin": "http://127.0.0.1:1"},
        {"origin": "http://evil.example"},
    ],
)
def test_a_post_from_another_origin_is_refused_even_with_the_csrf_token(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path, headers: dict[str, str]
) -> None:
    response = served_http.post("/onboard", data=wizard_form(served_ui, "Hardening"), headers=headers)
    assert response.status_code == 403
    assert "Request from another site refused" in response.text
    assert job_count(store_path) == 0
    api = served_http.post("/api/validate", json={}, headers={**headers, "x-csrf-token": _csrf(served_ui)})
    assert api.status_code == 403 and api.json()["error"] == "Request from another site refused"


def test_a_same_origin_post_goes_through(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path
) -> None:
    same = {"sec-fetch-site": "same-origin", "origin": served_ui.base_url}
    response = served_http.post("/onboard", data=wizard_form(served_ui, "Hardening"), headers=same)
    assert response.status_code == 303 and re.match(r"/jobs/[0-9a-f-]{36}$", response.headers["location"])
    assert job_count(store_path) == 1


# --- /api/validate and the bulk preview ---------------------------------------------------------------


def test_validate_with_a_urlencoded_body_is_a_clear_415(
    served_ui: RunningUI, served_http: httpx.Client
) -> None:
    response = served_http.post("/api/validate", data={"csrf_token": _csrf(served_ui), "name": "x"})
    assert response.status_code == 415
    assert "JSON" in response.json()["message"]
    assert (
        served_http.post(
            "/api/validate", json={"name": "x"}, headers={"x-csrf-token": _csrf(served_ui)}
        ).status_code
        == 200
    )


def _preview(served_ui: RunningUI, served_http: httpx.Client, text: str) -> httpx.Response:
    return served_http.post("/onboard/bulk", data={"csrf_token": _csrf(served_ui), "csv_text": text})


def test_a_bare_carriage_return_inside_a_field_is_read_like_the_cli_reads_it(
    served_ui: RunningUI, served_http: httpx.Client
) -> None:
    text = f'name,tenant_id,subscription_id\r"two\rlines",{GOOD},{GOOD}\rB,{GOOD},not-a-guid\r'
    response = _preview(served_ui, served_http, text)
    assert response.status_code == 200, response.text[:300]
    assert 'data-line="4"' in response.text and "subscription_id: Must be a GUID" in response.text


def test_a_value_over_128_kb_is_a_row_error_not_a_500(
    served_ui: RunningUI, served_http: httpx.Client
) -> None:
    text = f'name,tenant_id,subscription_id\nA,{GOOD},{GOOD}\n"{"x" * 140_000},{GOOD},{GOOD}\n'
    response = _preview(served_ui, served_http, text)
    assert response.status_code == 200
    assert "A value is longer than 128 KB" in response.text
    assert "Nothing will run until every row is valid" in response.text


def test_a_file_of_100000_bad_rows_gives_a_bounded_page_and_counts_them_all(
    served_ui: RunningUI, served_http: httpx.Client
) -> None:
    text = "name,tenant_id,subscription_id\n" + "x\n" * 100_000
    response = _preview(served_ui, served_http, text)
    assert response.status_code == 200
    assert "100000 with problems" in response.text
    assert "Showing 200 of 100000 rows" in response.text
    assert response.text.count('class="row-bad"') == 200
    # The pasted text is shown again for editing (200 KB); the rows add little to it (was 34.8 MB).
    assert len(response.content) < len(text) + 200_000


# --- an unhandled error --------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys, json
    from cortexkit.emulator.server import run_emulator
    from cortexkit.cli.demo import demo_settings
    from cortexkit.web.app import create_app
    from cortexkit.web.server import serve_in_thread
    with run_emulator(seed=42, rate_limits="off", fault_rate=0.0) as emulator:
        settings = demo_settings(emulator, "sqlite:///" + sys.argv[1])
        with serve_in_thread(create_app(settings), settings.session_token) as ui:
            print(json.dumps({"url": ui.url, "base": ui.base_url}), flush=True)
            sys.stdin.read()
    """
)


def test_an_unhandled_error_is_a_plain_500_and_one_log_line_with_its_id(tmp_path: Path) -> None:
    import json

    store = tmp_path / "jobs.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        where = json.loads(child.stdout.readline())
        with httpx.Client(base_url=where["base"], follow_redirects=False, timeout=60) as client:
            client.get(where["url"])
            assert client.get("/jobs").status_code == 200
            with sqlite3.connect(store) as db:  # the store breaks under the UI: a real unexpected error
                for (table,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                ).fetchall():
                    db.execute(f'DROP TABLE "{table}"')
            page = client.get("/jobs")
            api = client.get("/api/jobs/no-such-job")
            again = client.get("/static/app.css")  # the connection and the server survive
    finally:
        _out, err = child.communicate(input="", timeout=60)
    assert page.status_code == 500
    assert "Something went wrong" in page.text and "Traceback" not in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    page_id = re.search(r"error ([0-9a-f]{8})", page.text)
    assert page_id, page.text
    assert api.status_code == 500 and "Traceback" not in api.text
    assert again.status_code == 200
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 2, err
    assert f"error {page_id.group(1)}: GET /jobs failed: OperationalError" in lines[0]
    assert "GET /api/jobs/no-such-job failed: OperationalError" in lines[1]
