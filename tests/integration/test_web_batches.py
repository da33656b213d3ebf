"""Batches of the bulk form: the progress sentence, and a redirect that stays short for any size (a
1,750-row batch used to get a 400 on a 72 KB URL listing every job id), and the batch page of such a
batch, on the real store and runner."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import JobState
from cortexkit.web.app import create_app
from cortexkit.web.routes.batches import Progress, batch_job_ids
from cortexkit.web.security import cookie_name, csrf_token
from tests.integration.web_support import CLIENT_ID, SP_ID, WebStack, spec_data, web_emulator, web_stack

TOKEN = "batch-test-token-0123456789abcdefghijklmnopqrs"
HEAD = "name,account_type,subscription_id,tenant_id,environment,provisioner,client_id,service_principal_id\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with web_emulator() as running:
        yield running


@pytest.fixture
def stack(emulator: RunningEmulator, tmp_path: Path) -> Iterator[WebStack]:
    built = web_stack(emulator, tmp_path, TOKEN, max_workers=1)
    yield built
    built.close()


def test_the_progress_sentence_counts_done_of_all_then_the_other_states() -> None:
    counts = {JobState.DONE: 7, JobState.FAILED: 1, JobState.WAITING: 2, JobState.RUNNING: 10}
    progress = Progress(20, {str(k): v for k, v in counts.items()})
    assert progress.text == "7 of 20 done, 1 failed, 2 waiting, 10 running"
    assert not progress.finished
    assert Progress(3, {"done": 2, "cancelled": 1}).finished


def test_the_bulk_start_redirects_to_its_batch_address_whatever_the_size(stack: WebStack) -> None:
    """The address names the batch, not its jobs: the same few bytes for 40 rows as for 4,000."""
    client = _client(stack)
    tenant = str(uuid.uuid4())
    rows = "".join(
        f"Row {i},account,{uuid.uuid4()},{tenant},azure,existing,{CLIENT_ID},{SP_ID}\n" for i in range(40)
    )
    form = {"csrf_token": csrf_token(TOKEN), "csv_text": HEAD + rows, "batch_key": "small-1"}
    form["client_secret"] = "s"
    response = client.post("/onboard/bulk/start", data=form)
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == "/batches/small-1"
    assert len(batch_job_ids(stack.store, "small-1")) == 40
    assert client.post("/onboard/bulk/start", data=form).headers["location"] == "/batches/small-1", (
        "sent twice"
    )


def test_a_1750_job_batch_page_lists_every_job_in_row_order(stack: WebStack) -> None:
    """A 1,750-row batch (the size whose old redirect was a refused 72 KB URL), written as the bulk
    route writes it (`<batch>:<row>` keys), without running 1,750 jobs on a shared test machine."""
    client = _client(stack)
    ids = [
        stack.store.create_job(
            JobSpec.model_validate(spec_data(f"Big {i}", subscription_id=str(uuid.uuid4()))),
            idempotency_key=f"big-1:{i}",
        )
        for i in range(1750)
    ]
    assert batch_job_ids(stack.store, "big-1") == ids
    page = client.get("/batches/big-1")
    assert page.status_code == 200 and page.text.count('data-job="') == 1750
    assert page.text.index(ids[2]) < page.text.index(ids[10]) < page.text.index(ids[1749])
    data = client.get("/api/batches/big-1").json()
    assert data["total"] == 1750 and data["text"] == "0 of 1750 done, 1750 pending"
    assert client.get("/batches/no-such-batch").status_code == 404
    assert client.get("/batches/bad%20id").status_code == 404


def _client(stack: WebStack) -> TestClient:
    client = TestClient(create_app(stack.settings), base_url="http://127.0.0.1:8765", follow_redirects=False)
    client.cookies.set(cookie_name(8765), TOKEN)
    return client
