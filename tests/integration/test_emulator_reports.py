"""Compliance reports over HTTP: create, pending then downloadable on the emulator clock, list, delete."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator, redlock_keys

EPOCH = {"type": "to_now", "value": "epoch"}


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    with private_emulator(alerts=1000) as pair:
        yield pair


def _standard(client: httpx.Client, cloud: str) -> dict[str, Any]:
    posture = client.get("/compliance/posture", params={"cloud.type": cloud}).json()["complianceDetails"]
    return next(s for s in posture if s["name"].startswith("CIS") and s["totalResources"])


def _pdf_objects_are_where_the_xref_says(pdf: bytes) -> None:
    """A real structural check: every cross-reference entry points at its `N 0 obj`."""
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))  # type: ignore[union-attr]
    table = pdf[start:].split(b"trailer")[0].splitlines()[2:]
    offsets = [int(line.split()[0]) for line in table[1:]]
    assert offsets
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_a_compliance_report_counts_the_posture_and_downloads_as_pdf(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    standard = _standard(client, "aws")
    body = {
        "cloudType": "aws",
        "name": "weekly CIS",
        "target": {"timeRange": EPOCH, "complianceStandardIds": [standard["id"]]},
    }
    created = client.post("/report", json=body)
    assert created.status_code == 200, created.text
    report = created.json()
    assert report["status"] == "pending" and report["type"] == "COMPLIANCE"
    assert report["complianceStandardId"] == standard["id"]
    counts = report["counts"]
    assert (counts["failed"], counts["passed"]) == (standard["failedResources"], standard["passedResources"])
    assert counts["total"] == counts["failed"] + counts["passed"]
    pending = client.get(f"/report/{report['id']}/download")
    assert pending.status_code == 204  # the spec's "pending"

    assert client.post("/_emulator/clock", json={"advance": 3}).status_code == 200
    assert client.get(f"/report/{report['id']}").json()["status"] == "completed"
    download = client.get(f"/report/{report['id']}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-1.4") and download.content.rstrip().endswith(b"%%EOF")
    shown = standard["name"].replace("(", "\\(").replace(")", "\\)")  # PDF string escapes
    assert f"({shown}) '".encode() in download.content
    _pdf_objects_are_where_the_xref_says(download.content)

    assert report["id"] in {r["id"] for r in client.get("/report").json()}
    assert client.get("/report", params={"report_view": "RIS"}).json() == []
    assert client.delete(f"/report/{report['id']}").status_code == 204
    for path in (f"/report/{report['id']}", f"/report/{report['id']}/download"):
        gone = client.get(path)
        assert gone.status_code == 404 and redlock_keys(gone) == ["not_found"]


def test_an_inventory_report_is_csv_and_gzip_when_compressed(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    group = next(g for g in client.get("/cloud/group").json() if g["name"] != "Default Account Group")
    target = {"timeRange": EPOCH, "accountGroups": [group["id"]], "compressionEnabled": True}
    report = client.post(
        "/report", json={"cloudType": "azure", "name": "inv", "type": "INVENTORY_DETAIL", "target": target}
    )
    assert report.status_code == 200, report.text
    client.post("/_emulator/clock", json={"advance": 3})
    download = client.get(f"/report/{report.json()['id']}/download")
    assert download.headers["content-type"] == "application/x-gzip"
    lines = gzip.decompress(download.content).decode().splitlines()
    assert lines[0].startswith("Resource ID,Name,Cloud Type,Account ID")
    rows = [line.split(",") for line in lines[1:]]
    azure_members = {a for a in group["accountIds"]}
    assert all(r[2] == "azure" and r[3] in azure_members for r in rows)
    assert client.get("/report/type").json()["aws"] == [
        "COMPLIANCE",
        "RIS",
        "INVENTORY_OVERVIEW",
        "INVENTORY_DETAIL",
    ]


@pytest.mark.parametrize(
    ("body", "key", "subject"),
    [
        ({"name": "x", "target": {"timeRange": EPOCH}}, "missing_required_parameter", "cloudType"),
        (
            {"cloudType": "mars", "name": "x", "target": {"timeRange": EPOCH}},
            "invalid_parameter_value",
            "cloudType",
        ),
        ({"cloudType": "aws", "target": {"timeRange": EPOCH}}, "missing_required_parameter", "name"),
        ({"cloudType": "aws", "name": "x"}, "missing_required_parameter", "target"),
        ({"cloudType": "aws", "name": "x", "target": {}}, "missing_required_parameter", "target.timeRange"),
        (
            {"cloudType": "aws", "name": "x", "target": {"timeRange": EPOCH}},
            "missing_required_parameter",
            "target.complianceStandardIds",
        ),
        (
            {
                "cloudType": "aws",
                "name": "x",
                "target": {"timeRange": EPOCH, "complianceStandardIds": ["nope"]},
            },
            "invalid_parameter_value",
            "target.complianceStandardIds",
        ),
        (
            {"cloudType": "aws", "name": "x", "type": "PIE", "target": {"timeRange": EPOCH}},
            "invalid_parameter_value",
            "type",
        ),
    ],
)
def test_bad_report_configs_are_400s_naming_the_field(
    api: tuple[RunningEmulator, httpx.Client], body: dict[str, Any], key: str, subject: str
) -> None:
    _, client = api
    response = client.post("/report", json=body)
    assert response.status_code == 400, response.text
    assert redlock_keys(response) == [key]
    assert subject in response.headers["x-redlock-status"]
