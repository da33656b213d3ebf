"""Wizard, validation, CSV preview, job pages and the SSE stream, on the real store, runner and emulator."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import STEPS
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobStore
from cortexkit.web.app import create_app
from cortexkit.web.security import cookie_name, csrf_token
from tests.integration.web_support import (
    CLIENT_ID,
    GOOD,
    SP_ID,
    WebStack,
    finish,
    run_step,
    running_job,
    web_emulator,
    web_stack,
)

TOKEN = "another-test-token-0123456789abcdefghijklmnop"
CSRF = csrf_token(TOKEN)
SECRET = "Sup3r~Secret.value-that-must-never-show"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with web_emulator() as running:
        yield running


@pytest.fixture
def stack(emulator: RunningEmulator, tmp_path: Path, store_url: str) -> Iterator[WebStack]:
    """The pages on each database (`store_url`: a SQLite file, a PostgreSQL database)."""
    built = web_stack(emulator, tmp_path, TOKEN, store_url=store_url)
    yield built
    built.close()


@pytest.fixture
def store(stack: WebStack) -> JobStore:
    return stack.store


def _client(stack: WebStack, **kwargs: Any) -> TestClient:
    c = TestClient(create_app(stack.settings), base_url="http://127.0.0.1:8765", **kwargs)
    c.cookies.set(cookie_name(8765), TOKEN)
    return c


@pytest.fixture
def client(stack: WebStack) -> TestClient:
    return _client(stack, follow_redirects=False)


def _form(**overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": CSRF,
        "account_type": "account",
        "environment": "azure",
        # A fresh name and subscription: the emulator is shared, and the wizard refuses what it has.
        "name": f"Prod EU {uuid.uuid4().hex[:6]}",
        "tenant_id": GOOD,
        "subscription_id": str(uuid.uuid4()),
        "provisioner": "existing",
        "client_id": CLIENT_ID,
        "service_principal_id": SP_ID,
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
            "client_id": CLIENT_ID,
            "service_principal_id": SP_ID,
            "name": "x",
            "has_client_secret": True,
        },
        headers={"x-csrf-token": CSRF},
    )
    assert response.status_code == 200
    assert set(response.json()["errors"]) == {"subscription_id"}


def test_a_valid_form_creates_and_starts_a_job_and_redirects_to_it(
    client: TestClient, stack: WebStack
) -> None:
    form = _form()
    response = client.post("/onboard", data=form)
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    stack.engine.runner.join(job_id, 60)
    job = stack.store.require_job(job_id)
    assert job.state is JobState.DONE, job.error
    secret = stack.store.get_secret(job_id, "client_secret")
    assert secret is not None and secret.reveal() == SECRET
    assert SECRET not in job.spec.model_dump_json()
    again = client.post("/onboard", data=form)
    assert again.headers["location"].endswith(job_id), "the idempotency key reuses the job"
    page = client.get(f"/jobs/{job_id}").text
    assert SECRET not in page and form["name"] in page
    assert SECRET not in client.get(f"/api/jobs/{job_id}").text


def test_an_invalid_form_shows_errors_next_to_fields_and_never_echoes_the_secret(
    client: TestClient, store: JobStore
) -> None:
    response = client.post("/onboard", data=_form(subscription_id="1234"))
    assert response.status_code == 422
    assert 'data-error-for="subscription_id" role="alert">Must be a GUID' in response.text
    assert SECRET not in response.text
    assert 'value="1234"' in response.text, "non-secret input is kept"
    assert store.list_jobs() == []


CSV_HEAD = "name,account_type,subscription_id,tenant_id,client_id,service_principal_id\n"


def _row(name: str, subscription: str = GOOD) -> str:
    return f"{name},account,{subscription},{GOOD},{CLIENT_ID},{SP_ID}\n"


def test_csv_preview_lists_rows_with_their_problems_and_starts_nothing(
    client: TestClient, store: JobStore
) -> None:
    text = CSV_HEAD + _row("A") + _row("B", "bad")
    response = client.post(
        "/onboard/bulk", data={"csrf_token": CSRF}, files={"csv_file": ("subs.csv", text, "text/csv")}
    )
    assert response.status_code == 200
    assert 'data-line="3"' in response.text and "subscription_id: Must be a GUID" in response.text
    assert "Nothing will run until every row is valid" in response.text
    assert "start-bulk" not in response.text
    refused = client.post("/onboard/bulk/start", data={"csrf_token": CSRF, "csv_text": text})
    assert refused.status_code == 422
    assert store.list_jobs() == []


def test_a_clean_csv_starts_one_job_per_row(client: TestClient, stack: WebStack) -> None:
    tag = uuid.uuid4().hex[
        :6
    ]  # unique names: the module's emulator keeps the other database's run's accounts
    text = CSV_HEAD + "".join(_row(f"S{i}-{tag}", str(uuid.uuid4())) for i in range(3))
    preview = client.post("/onboard/bulk", data={"csrf_token": CSRF, "csv_text": text})
    assert "Start 3 onboarding jobs" in preview.text
    response = client.post(
        "/onboard/bulk/start",
        data={"csrf_token": CSRF, "csv_text": text, "batch_key": "b", "client_secret": SECRET},
    )
    assert response.status_code == 303
    started = [j.id for j in stack.store.list_jobs()]
    assert len(started) == 3
    assert response.headers["location"] == "/batches/b"
    listing = client.get(response.headers["location"]).text
    assert all(job_id in listing for job_id in started)
    for job_id in started:
        stack.engine.runner.join(job_id, 60)
    assert {j.name: j.state for j in stack.store.list_jobs()} == {
        f"S{i}-{tag}": JobState.DONE for i in range(3)
    }


def test_a_ui_bulk_runs_in_the_pool_on_one_shared_client(emulator: RunningEmulator, tmp_path: Path) -> None:
    """Issue 13 §3: the UI started one thread and one login per row; now a bounded pool on the pages'
    client: 8 rows, at most 2 running at once, one login for the pages and every job."""
    import httpx

    stack = web_stack(emulator, tmp_path, TOKEN, max_workers=2)
    client = _client(stack, follow_redirects=False)
    before = httpx.get(f"{emulator.url}/_emulator/stats", timeout=10).json()["logins"]
    client.get("/onboard")  # the pages log in once
    text = CSV_HEAD + "".join(_row(f"P{i}", str(uuid.uuid4())) for i in range(8))
    response = client.post(
        "/onboard/bulk/start",
        data={"csrf_token": CSRF, "csv_text": text, "batch_key": "p", "client_secret": SECRET},
    )
    assert response.status_code == 303
    most = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        jobs = stack.store.list_jobs()
        most = max(most, sum(1 for j in jobs if j.state is JobState.RUNNING))
        if len(jobs) == 8 and all(j.finished for j in jobs):
            break
        time.sleep(0.01)
    assert [j.state for j in stack.store.list_jobs()] == [JobState.DONE] * 8
    assert 1 <= most <= 2
    assert httpx.get(f"{emulator.url}/_emulator/stats", timeout=10).json()["logins"] - before == 1
    stack.close()


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
    client: TestClient, store: JobStore
) -> None:
    job_id = running_job(store)
    for step in STEPS[:3]:
        run_step(store, job_id, step, f"terraform: {step} ok")
    finish(store, job_id)
    all_ids = [e.id for e in store.events_after(job_id, 0)]
    with client.stream("GET", f"/jobs/{job_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = _sse_frames(response.read().decode())
    ids = [int(f["id"]) for f in frames if f["event"] == "job"]
    assert ids == all_ids and len(ids) == 2 + 3 * 3 + 1
    end = json.loads(frames[-1]["data"])
    assert frames[-1]["event"] == "end" and end["state"] == "done" and end["message"].startswith("Finished")

    cut = all_ids[5]
    with client.stream("GET", f"/jobs/{job_id}/events", headers={"last-event-id": str(cut)}) as response:
        resumed = _sse_frames(response.read().decode())
    assert [int(f["id"]) for f in resumed if f["event"] == "job"] == all_ids[6:]
    payload = json.loads(resumed[0]["data"])
    assert payload["job_id"] == job_id and payload["type"] in {"step", "output"}


def test_the_stream_of_an_orphaned_job_ends_and_resume_and_cancel_work(
    client: TestClient, store: JobStore
) -> None:
    """The defect: a job whose runner died stayed `running`; its stream never ended, Resume was a 409 and
    the page had no word for it. The lease says the runner is gone."""
    from cortexkit.onboarding.model import JobSpec
    from tests.integration.web_support import spec_data

    job_id = store.create_job(JobSpec.model_validate(spec_data("Orphan")), secret=SECRET)
    store.claim(job_id, owner="gone-host:1#x", lease_seconds=0.2)
    time.sleep(0.3)
    with client.stream("GET", f"/jobs/{job_id}/events") as response:
        frames = _sse_frames(response.read().decode())
    end = json.loads(frames[-1]["data"])
    assert frames[-1]["event"] == "end" and end["state"] == "running" and end["orphaned"] is True
    assert "gone" in end["message"]
    assert 'id="orphaned"' in client.get(f"/jobs/{job_id}").text
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": CSRF}).status_code == 303
    assert store.require_job(job_id).state is JobState.CANCELLED


def test_job_json_lists_the_engines_steps_with_those_not_reached_pending(
    client: TestClient, store: JobStore
) -> None:
    job_id = running_job(store)
    run_step(store, job_id, "validate")
    data = client.get(f"/api/jobs/{job_id}").json()
    assert [(s["name"], s["state"]) for s in data["steps"]] == [("validate", "done")] + [
        (name, "pending") for name in STEPS[1:]
    ]
    assert data == store.require_job(job_id).as_dict(), "the page's JSON is the engine's one serialisation"


def test_jobs_api_lists_summaries_and_refuses_an_unknown_state(client: TestClient, store: JobStore) -> None:
    job_id = running_job(store)
    listed = client.get("/api/jobs").json()["jobs"]
    assert [(j["id"], j["state"]) for j in listed] == [(job_id, "running")]
    assert client.get("/api/jobs?state=done").json()["jobs"] == []
    bad = client.get("/api/jobs?state=succeeded")
    assert bad.status_code == 400 and "not a job state" in bad.text


def test_cancel_and_resume_need_csrf_and_respect_the_state(client: TestClient, stack: WebStack) -> None:
    store = stack.store
    job_id = running_job(store)
    assert client.post(f"/jobs/{job_id}/cancel").status_code == 403
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": CSRF}).status_code == 303
    assert store.cancel_requested(job_id)
    refused = client.post(f"/jobs/{job_id}/resume", data={"csrf_token": CSRF})
    assert refused.status_code == 409 and "only failed or waiting jobs" in refused.text
    finish(store, job_id, JobState.FAILED, "validate: the subscription is not in the tenant")
    assert client.post(f"/jobs/{job_id}/resume", data={"csrf_token": CSRF}).status_code == 303
    stack.engine.runner.join(job_id, 60)
    assert store.require_job(job_id).state is JobState.DONE


def test_a_waiting_terraform_job_shows_as_waiting_and_resumes(
    client: TestClient, stack: WebStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defect: the web mapped `waiting` to `pending`, so the page hid Resume and the POST was a 409."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no terraform: the identity step waits
    form = _form(provisioner="terraform", client_id="", service_principal_id="", client_secret="")
    response = client.post("/onboard", data=form)
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    stack.engine.runner.join(job_id, 60)
    data = client.get(f"/api/jobs/{job_id}").json()
    assert data["state"] == "waiting" and data["can_resume"] and not data["finished"]
    assert "--terraform-outputs" in data["error"]
    page = client.get(f"/jobs/{job_id}").text
    assert 'data-state="waiting"' in page and 'id="resume-form"' in page
    assert "Waiting: the reason is shown above" in page
    resumed = client.post(f"/jobs/{job_id}/resume", data={"csrf_token": CSRF})
    assert resumed.status_code == 303
    stack.engine.runner.join(job_id, 60)
    assert stack.store.require_job(job_id).state is JobState.WAITING, "still no terraform: it waits again"
    step = stack.store.require_job(job_id).step("identity")
    assert step.state is StepState.PENDING and step.attempts == 2


def test_unknown_job_is_a_sentence_not_a_stack_trace(client: TestClient) -> None:
    response = client.get("/jobs/nope")
    assert response.status_code == 404
    assert "There is no onboarding job with id nope." in response.text
    assert "Traceback" not in response.text
    stream = client.get("/jobs/nope/events", headers={"accept": "text/event-stream"})
    assert stream.status_code == 404 and stream.json()["error"] == "No such job"


def test_accounts_are_listed_and_filtered(client: TestClient, stack: WebStack) -> None:
    with stack.engine.client_factory(None) as api:
        accounts = api.request("GET", "/cloud")
    azure = next(a["name"] for a in accounts if a["cloudType"] == "azure")
    other = next(a["name"] for a in accounts if a["cloudType"] != "azure")
    html = client.get("/accounts").text
    assert azure in html and other in html
    filtered = client.get("/accounts?cloud=azure").text
    assert azure in filtered and other not in filtered


def test_an_api_failure_is_explained_with_what_to_do(stack: WebStack) -> None:
    class AuthenticationError(Exception):
        pass

    def broken(profile: str | None) -> object:
        raise AuthenticationError("login failed (401)")

    stack.settings.backend.client_factory = broken
    html = _client(stack).get("/accounts").text
    assert "The API refused the access key" in html and "What to do:" in html
    assert "Traceback" not in html


def test_an_unexpected_failure_is_a_sentence_and_the_secret_stays_out_of_it(
    stack: WebStack, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)

    def broken_create(spec: object, secret: str | None = None, idempotency_key: str | None = None) -> str:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(stack.store, "create_job", broken_create)
    response = _client(stack, raise_server_exceptions=False).post("/onboard", data=_form())
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "What to do:" in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    assert SECRET not in response.text
    assert "database is locked" in caplog.text, "the failure is logged for the operator"
    assert SECRET not in caplog.text and TOKEN not in caplog.text
