"""The alert CSV export job over HTTP: submit, poll on the emulator clock, download what was matched."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator, redlock_keys

OPEN_CRITICAL = [
    {"name": "alert.status", "operator": "=", "value": "open"},
    {"name": "policy.severity", "operator": "=", "value": "critical"},
]
EPOCH = {"type": "to_now", "value": "epoch"}


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    with private_emulator(alerts=1500) as pair:
        yield pair


def _advance(client: httpx.Client, seconds: float) -> None:
    assert client.post("/_emulator/clock", json={"advance": seconds}).status_code == 200


def test_submit_poll_and_download_the_matching_alerts(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    body = {"filters": OPEN_CRITICAL, "timeRange": EPOCH, "limit": 3, "sortBy": ["alertTime:asc"]}
    listed = client.post("/v2/alert", json={"filters": OPEN_CRITICAL, "timeRange": EPOCH}).json()
    job = client.post("/alert/csv", json=body)
    assert job.status_code == 200, job.text
    submitted = job.json()
    assert submitted["status"] == "IN_PROGRESS"
    # limit and sortBy do not apply to an export (Alerts.json): every match is in it.
    assert submitted["recordCount"] == listed["totalRows"] > 3
    assert submitted["statusUri"] == f"/alert/csv/{submitted['id']}/status"
    early = client.get(f"/alert/csv/{submitted['id']}/download")
    assert early.status_code == 400
    assert redlock_keys(early) == ["internal_error"]

    _advance(client, 3)
    status = client.get(submitted["statusUri"]).json()
    assert status["status"] == "READY_TO_DOWNLOAD"
    assert status["recordCount"] == submitted["recordCount"]
    download = client.get(submitted["downloadUri"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv"  # exactly: prismacloud-api compares it
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == submitted["recordCount"]
    assert {r["Alert ID"] for r in rows} == {a["id"] for a in listed["items"]}
    assert {r["Policy Severity"] for r in rows} == {"critical"}
    assert {r["Status"] for r in rows} == {"open"}


def test_the_export_is_fixed_at_submission_and_unknown_jobs_are_404s(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    job = client.post("/alert/csv", json={"filters": OPEN_CRITICAL}).json()
    first = client.post("/v2/alert", json={"filters": OPEN_CRITICAL, "limit": 1}).json()["items"][0]["id"]
    assert client.post("/alert/dismiss", json={"alerts": [first], "dismissalNote": "x"}).status_code == 200
    _advance(client, 3)
    rows = list(csv.DictReader(io.StringIO(client.get(job["downloadUri"]).text)))
    assert len(rows) == job["recordCount"]
    dismissed = [r for r in rows if r["Alert ID"] == first]
    assert dismissed and dismissed[0]["Status"] == "dismissed"  # the row shows the alert as it is now
    for path in ("/alert/csv/nope/status", "/alert/csv/nope/download"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert redlock_keys(missing) == ["not_found"]


@pytest.mark.parametrize(
    "body",
    [
        {"filters": [{"name": "no.such.filter", "operator": "=", "value": "x"}]},
        {"timeRange": {"type": "sideways"}},
        {"filters": "alert.status=open"},
    ],
)
def test_a_bad_filter_model_is_a_400(api: tuple[RunningEmulator, httpx.Client], body: object) -> None:
    _, client = api
    response = client.post("/alert/csv", json=body)
    assert response.status_code == 400
    assert redlock_keys(response) == ["invalid_parameter_value"]
    assert client.post("/alert/csv").status_code == 400  # the body is required
