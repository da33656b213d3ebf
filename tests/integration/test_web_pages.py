"""Wizard, validation, CSV preview, job pages and the SSE stream, against a store the test controls."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.testclient import TestClient

from cortexkit.web.app import create_app
from cortexkit.web.security import cookie_name, csrf_token
from cortexkit.web.settings import WebSettings
from tests.browser.fakes import MemoryStore, make_backend

TOKEN = "another-test-token-0123456789abcdefghijklmnop"
CSRF = csrf_token(TOKEN)
GOOD = "11111111-2222-4333-8444-555555555555"
SECRET = "Sup3r~Secret.value-that-must-never-show"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def started() -> list[str]:
    return []


@pytest.fixture
def client(store: MemoryStore, started: list[str]) -> TestClient:
    app = create_app(
        WebSettings(backend=make_backend(store, started), session_token=TOKEN, poll_interval=0.01)
    )
    c = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    c.cookies.set(cookie_name(8765), TOKEN)
    return c


def _form(**overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": CSRF,
        "account_type": "account",
        "environment": "azure",
        "name": "Prod EU",
        "tenant_id": GOOD,
        "subscription_id": GOOD,
        "provisioner": "existing",
        "client_secret": SECRET,
        "idempotency_key": "k-1",
    }
    form.update(overrides)
    return form


def test_wizard_lists_account_groups_and_features_from_the_api(client: TestClient) -> None:
    html = client.get("/onboard").text
    assert "Default Account Group" in html
    assert "Remediation" in html
    assert "always on" in html


def test_validate_endpoint_returns_the_engines_field_errors(client: TestClient) -> None:
    response = client.post(
        "/api/validate",
        json={
            "account_type": "account",
            "subscription_id": "not-a-guid",
            "tenant_id": GOOD,
            "name": "x",
            "has_client_secret": True,
        },
        headers={"x-csrf-token": CSRF},
    )
    assert response.status_code == 200
    assert set(response.json()["errors"]) == {"subscription_id"}


def test_a_valid_form_creates_and_starts_a_job_and_redirects_to_it(
    client: TestClient, store: MemoryStore, started: list[str]
) -> None:
    response = client.post("/onboard", data=_form())
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    assert started == [job_id]
    assert store.jobs[job_id].secret == SECRET
    assert "client_secret" not in store.jobs[job_id].spec
    again = client.post("/onboard", data=_form())
    assert again.headers["location"].endswith(job_id), "the idempotency key reuses the job"
    page = client.get(f"/jobs/{job_id}").text
    assert SECRET not in page and "Prod EU" in page


def test_an_invalid_form_shows_errors_next_to_fields_and_never_echoes_the_secret(
    client: TestClient, store: MemoryStore
) -> None:
    response = client.post("/onboard", data=_form(subscription_id="1234"))
    assert response.status_code == 422
    assert 'data-error-for="subscription_id" role="alert">Must be a GUID' in response.text
    assert SECRET not in response.text
    assert 'value="1234"' in response.text, "non-secret input is kept"
    assert store.jobs == {}


def test_csv_preview_lists_rows_with_their_problems_and_starts_nothing(
    client: TestClient, store: MemoryStore
) -> None:
    text = f"name,account_type,subscription_id,tenant_id\nA,account,{GOOD},{GOOD}\nB,account,bad,{GOOD}\n"
    response = client.post(
        "/onboard/bulk", data={"csrf_token": CSRF}, files={"csv_file": ("subs.csv", text, "text/csv")}
    )
    assert response.status_code == 200
    assert 'data-line="3"' in response.text and "subscription_id: Must be a GUID" in response.text
    assert "Nothing will run until every row is valid" in response.text
    assert "start-bulk" not in response.text
    refused = client.post("/onboard/bulk/start", data={"csrf_token": CSRF, "csv_text": text})
    assert refused.status_code == 422
    assert store.jobs == {}


def test_a_clean_csv_starts_one_job_per_row(
    client: TestClient, store: MemoryStore, started: list[str]
) -> None:
    rows = "".join(f"S{i},account,{i}{GOOD[1:]},{GOOD},{GOOD},{GOOD}\n" for i in range(3))
    text = "name,account_type,subscription_id,tenant_id,client_id,service_principal_id\n" + rows
    preview = client.post("/onboard/bulk", data={"csrf_token": CSRF, "csv_text": text})
    assert "Start 3 onboarding jobs" in preview.text
    response = client.post(
        "/onboard/bulk/start",
        data={"csrf_token": CSRF, "csv_text": text, "batch_key": "b", "client_secret": SECRET},
    )
    assert response.status_code == 303
    assert len(started) == 3
    listing = client.get(response.headers["location"]).text
    assert all(job_id in listing for job_id in started)


def _sse_frames(body: str) -> list[dict[str, str]]:
    frames = []
    for chunk in body.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in chunk.splitlines():
            if line.startswith(":"):
                continue
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        if "event" in fields:
            frames.append(fields)
    return frames


def test_sse_resumes_after_last_event_id_and_ends_when_the_job_settles(
    client: TestClient, store: MemoryStore
) -> None:
    job_id = store.create_job({"name": "n"})
    for step in ("validate", "register_app", "add_account"):
        store.set_step(job_id, step, "running")
        store.emit(job_id, "output", step=step, line=f"terraform: {step} ok")
        store.set_step(job_id, step, "done")
    store.jobs[job_id].state = "succeeded"
    with client.stream("GET", f"/jobs/{job_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = _sse_frames(response.read().decode())
    ids = [int(f["id"]) for f in frames if f["event"] == "job"]
    assert ids == list(range(1, 10))
    assert frames[-1]["event"] == "end" and json.loads(frames[-1]["data"])["state"] == "done"

    with client.stream("GET", f"/jobs/{job_id}/events", headers={"last-event-id": "6"}) as response:
        resumed = _sse_frames(response.read().decode())
    assert [int(f["id"]) for f in resumed if f["event"] == "job"] == [7, 8, 9]
    payload = json.loads(resumed[0]["data"])
    assert payload["job_id"] == job_id and payload["type"] in {"step", "output"}


def test_job_json_shows_pending_steps_the_store_has_not_reached(
    client: TestClient, store: MemoryStore
) -> None:
    job_id = store.create_job({"name": "n", "subscription_id": GOOD})
    store.set_step(job_id, "validate", "done")
    data = client.get(f"/api/jobs/{job_id}").json()
    assert [(s["name"], s["state"]) for s in data["steps"]] == [
        ("validate", "done"),
        ("register_app", "pending"),
        ("add_account", "pending"),
        ("check_status", "pending"),
    ]


def test_cancel_and_resume_need_csrf_and_respect_the_state(
    client: TestClient, store: MemoryStore, started: list[str]
) -> None:
    job_id = store.create_job({"name": "n"})
    store.jobs[job_id].state = "running"
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 403
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": CSRF}).status_code == 303
    assert store.jobs[job_id].cancel_requested
    refused = client.post(f"/jobs/{job_id}/resume", data={"csrf_token": CSRF})
    assert refused.status_code == 409 and "only failed or waiting jobs resume" in refused.text
    store.jobs[job_id].state = "failed"
    assert client.post(f"/jobs/{job_id}/resume", data={"csrf_token": CSRF}).status_code == 303
    assert started == [job_id]


def test_unknown_job_is_a_sentence_not_a_stack_trace(client: TestClient) -> None:
    response = client.get("/jobs/nope")
    assert response.status_code == 404
    assert "There is no onboarding job with id nope." in response.text
    assert "Traceback" not in response.text
    stream = client.get("/jobs/nope/events", headers={"accept": "text/event-stream"})
    assert stream.status_code == 404 and stream.json()["error"] == "No such job"


def test_accounts_are_listed_and_filtered(client: TestClient) -> None:
    html = client.get("/accounts").text
    assert "prod-eu" in html and "legacy" in html
    filtered = client.get("/accounts?cloud=azure").text
    assert "prod-eu" in filtered and "legacy" not in filtered
    assert "legacy" in client.get("/accounts?status=disabled").text


def test_an_api_failure_is_explained_with_what_to_do(store: MemoryStore) -> None:
    class AuthenticationError(Exception):
        pass

    def broken(profile: str | None) -> object:
        raise AuthenticationError("login failed (401)")

    backend = make_backend(store)
    backend.client_factory = broken
    app = create_app(WebSettings(backend=backend, session_token=TOKEN))
    c = TestClient(app, base_url="http://127.0.0.1:8765")
    c.cookies.set(cookie_name(8765), TOKEN)
    html = c.get("/accounts").text
    assert "The API refused the access key" in html and "What to do:" in html
    assert "Traceback" not in html


def test_an_unexpected_failure_is_a_sentence_and_the_secret_stays_out_of_it(
    store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def broken_create(spec: object, secret: str | None = None, idempotency_key: str | None = None) -> str:
        raise RuntimeError("database is locked")

    store.create_job = broken_create  # type: ignore[method-assign]
    app = create_app(WebSettings(backend=make_backend(store), session_token=TOKEN))
    c = TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False)
    c.cookies.set(cookie_name(8765), TOKEN)
    response = c.post("/onboard", data=_form())
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "What to do:" in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    assert SECRET not in response.text
    assert "database is locked" in caplog.text, "the failure is logged for the operator"
    assert SECRET not in caplog.text and TOKEN not in caplog.text
