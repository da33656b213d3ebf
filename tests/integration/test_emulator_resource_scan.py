"""Resource scan info over HTTP: what `pc compliance export` reads, agreeing with alerts and inventory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator, redlock_keys

EPOCH = {"type": "to_now", "value": "epoch"}


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    with private_emulator(alerts=400, accounts=6) as pair:
        yield pair


def _scan(client: httpx.Client, filters: list[tuple[str, str]], limit: int = 10) -> list[dict[str, Any]]:
    """Every page, the way prismacloud-api pages: the same body plus the previous `nextPageToken`."""
    body: dict[str, Any] = {
        "filters": [{"name": n, "operator": "=", "value": v} for n, v in filters],
        "limit": limit,
        "timeRange": EPOCH,
    }
    rows: list[dict[str, Any]] = []
    total = None
    while True:
        response = client.post("/resource/scan_info", json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        total = page["totalMatchedCount"]
        rows += page["resources"]
        if "nextPageToken" not in page:
            break
        assert isinstance(page["nextPageToken"], dict)  # the spec's ResourceInfoPageOption
        body["pageToken"] = page["nextPageToken"]
    assert len(rows) == total == len({r["id"] for r in rows})
    return rows


def test_a_compliance_section_scans_its_policies_and_status_splits_the_resources(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    standard = next(s for s in client.get("/compliance").json() if s["name"].startswith("CIS"))
    requirement = client.get(f"/compliance/{standard['id']}/requirement").json()[0]
    section = client.get(f"/compliance/{requirement['id']}/section").json()[0]
    scope = [
        ("policy.complianceStandard", standard["name"]),
        ("policy.complianceRequirement", requirement["name"]),
        ("policy.complianceSection", section["sectionId"]),
        ("account.group", "Default Account Group"),
    ]
    everything = _scan(client, scope)
    failed = _scan(client, [*scope, ("scan.status", "failed")])
    passed = _scan(client, [*scope, ("scan.status", "passed")])
    assert everything and len(failed) + len(passed) == len(everything)
    section_policies = set(section["associatedPolicyIds"])
    for row in everything:
        assert {p["id"] for p in row["scannedPolicies"]} <= section_policies
        assert row["overallPassed"] == all(p["passed"] for p in row["scannedPolicies"])
    assert all(not r["overallPassed"] for r in failed) and all(r["overallPassed"] for r in passed)


def test_a_failed_policy_matches_an_open_alert_and_dismissing_passes_it(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    row = next(r for r in _scan(client, [("scan.status", "failed")], limit=100))
    policy = next(p for p in row["scannedPolicies"] if not p["passed"])
    flt = [
        {"name": "policy.id", "operator": "=", "value": policy["id"]},
        {"name": "cloud.accountId", "operator": "=", "value": row["accountId"]},
        {"name": "alert.status", "operator": "=", "value": "open"},
    ]
    open_alerts = client.post("/v2/alert", json={"filters": flt}).json()["items"]
    assert open_alerts
    dismissed = client.post(
        "/alert/dismiss", json={"alerts": [a["id"] for a in open_alerts], "dismissalNote": "t"}
    )
    assert dismissed.status_code == 200
    after = next(
        r for r in _scan(client, [("cloud.accountId", row["accountId"])], limit=100) if r["id"] == row["id"]
    )
    assert next(p for p in after["scannedPolicies"] if p["id"] == policy["id"])["passed"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"filters": [{"name": "no.such", "operator": "=", "value": "x"}]},
        {"filters": [{"name": "scan.status", "operator": "=", "value": "maybe"}]},
        {"filters": "cloud.type=aws"},
        {"pageToken": "opaque"},
        {"limit": 0},
        {"timeRange": {"type": "sideways"}},
    ],
)
def test_bad_bodies_are_400s(api: tuple[RunningEmulator, httpx.Client], body: dict[str, Any]) -> None:
    _, client = api
    response = client.post("/resource/scan_info", json=body)
    assert response.status_code == 400, response.text
    assert redlock_keys(response) == ["bad_request"]


def test_the_query_form_requires_time_type(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    assert client.get("/resource/scan_info").status_code == 400
    response = client.get(
        "/resource/scan_info", params={"timeType": "to_now", "timeUnit": "epoch", "cloud.type": "aws"}
    )
    assert response.status_code == 200
    assert {r["cloudType"] for r in response.json()["resources"]} == {"aws"}


def test_pc_resource_list_filters_service_type_and_tag(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    rows = _scan(
        client, [("cloud.service", "Amazon S3"), ("resource.tagv2", '{"key": "env", "value": "stage"}')]
    )
    assert rows and {r["assetType"] for r in rows} == {"S3 Bucket"}
    by_type = _scan(client, [("resource.type", "s3 bucket")])
    assert {r["id"] for r in rows} <= {r["id"] for r in by_type}
    bad = client.post("/resource/scan_info", json={"filters": [{"name": "resource.tagv2", "value": "{"}]})
    assert bad.status_code == 400
