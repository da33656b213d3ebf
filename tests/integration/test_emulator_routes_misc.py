"""Policies, compliance posture, audit log, meta_info and the minimal Compute API over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator, redlock_keys


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    with private_emulator() as pair:
        yield pair


def test_policies_filter_by_severity_cloud_and_standard(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    everything = client.get("/v2/policy").json()
    high = client.get("/v2/policy", params={"policy.severity": "high"}).json()
    assert 0 < len(high) < len(everything)
    assert {p["severity"] for p in high} == {"high"}
    gcp = client.get("/v2/policy", params={"cloud.type": "gcp"}).json()
    assert {p["cloudType"] for p in gcp} == {"gcp"}
    pci = client.get("/v2/policy", params={"policy.complianceStandard": "PCI DSS v4.0"}).json()
    assert pci and all(any(c["standardName"] == "PCI DSS v4.0" for c in p["complianceMetadata"]) for p in pci)
    unknown = client.get("/v2/policy", params={"policy.colour": "red"})
    assert unknown.status_code == 400
    assert redlock_keys(unknown) == ["invalid_parameter_value"]


def test_posture_counts_follow_open_alerts() -> None:
    with private_emulator() as (_, client):
        params = {"timeType": "relative", "timeAmount": "1", "timeUnit": "day"}
        before = client.get("/compliance/posture", params=params).json()
        assert before["summary"]["failedResources"] > 0
        standard = before["complianceDetails"][0]
        assert standard["totalResources"] == standard["failedResources"] + standard["passedResources"]
        policy_ids = [p["policyId"] for p in client.get("/v2/policy").json()]
        client.post("/alert/dismiss", json={"policies": policy_ids, "dismissalNote": "all", "filter": {}})
        after = client.get("/compliance/posture", params=params).json()
        assert after["summary"]["failedResources"] == 0
        azure_only = client.post(
            "/compliance/posture",
            json={
                "timeRange": {"type": "to_now", "value": "epoch"},
                "filters": [{"name": "policy.complianceStandard", "value": standard["name"]}],
            },
        ).json()
        assert [d["name"] for d in azure_only["complianceDetails"]] == [standard["name"]]


def test_posture_for_one_standard_has_requirement_summaries(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    posture = client.get("/compliance/posture").json()
    standard = posture["complianceDetails"][0]
    detail = client.get(f"/compliance/posture/{standard['id']}").json()
    assert detail["complianceDetails"][0]["failedResources"] == standard["failedResources"]
    sections = [s for r in detail["requirementSummaries"] for s in r["sectionSummaries"]]
    assert sum(s["failedResources"] for s in sections) >= standard["failedResources"] > 0
    assert client.get("/compliance/posture/00000000-0000-0000-0000-000000000000").status_code == 400


def test_audit_log_pages_filters_and_v2_errors(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    body = {
        "timeRange": {"type": "relative", "value": {"amount": 90, "unit": "day"}},
        "limit": 50,
        "filters": [{"name": "actionType", "value": "LOGIN"}],
    }
    first = client.post("/audit/api/v1/log", json=body).json()
    entries = list(first["value"])
    token = first.get("nextPageToken")
    while token:
        page = client.post("/audit/api/v1/log", json={"nextPageToken": token}).json()
        entries += page["value"]
        token = page.get("nextPageToken")
    assert len(entries) > 50
    assert {e["actionType"] for e in entries} == {"LOGIN"}
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    bad = client.post("/audit/api/v1/log", json={"limit": 5})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "BadRequest"
    assert bad.json()["error"]["target"] == "timeRange"
    suggest = client.post("/audit/api/v1/filter/suggest", json={"filterName": "actionType"}).json()
    assert "LOGIN" in suggest["suggestions"]


def test_own_changes_appear_in_the_audit_log() -> None:
    with private_emulator() as (running, client):
        client.post("/cloud/group", json={"name": "Audited", "accountIds": []})
        body = {
            "timeRange": {"type": "to_now", "value": "login"},
            "filters": [{"name": "resourceType", "value": "Account Group"}],
        }
        entries = client.post("/audit/api/v1/log", json=body).json()["value"]
        assert entries[0]["resourceName"] == "Audited"
        assert entries[0]["user"] == running.access_key_id


def test_meta_info_points_at_the_compute_prefix_and_compute_auth_works(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    running, client = api
    twistlock = client.get("/meta_info").json()["twistlockUrl"]
    assert twistlock == f"{running.url}/compute"
    by_token = httpx.post(
        f"{twistlock}/api/v1/authenticate", json={"token": client.headers["x-redlock-auth"]}
    )
    by_keys = httpx.post(
        f"{twistlock}/api/v1/authenticate",
        json={"username": running.access_key_id, "password": running.secret_key},
    )
    assert by_token.status_code == by_keys.status_code == 200
    wrong = httpx.post(
        f"{twistlock}/api/v1/authenticate", json={"username": running.access_key_id, "password": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"err": "invalid credentials"}
    headers = {"Authorization": f"Bearer {by_keys.json()['token']}"}
    assert httpx.get(f"{twistlock}/api/v1/version", headers=headers).status_code == 200
    assert httpx.get(f"{twistlock}/api/v1/images").status_code == 401


def test_compute_images_page_with_offset_and_total_count(api: tuple[RunningEmulator, httpx.Client]) -> None:
    running, client = api
    token = httpx.post(
        f"{running.url}/compute/api/v1/authenticate", json={"token": client.headers["x-redlock-auth"]}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    offset = 0
    while True:
        response = httpx.get(
            f"{running.url}/compute/api/v1/images", params={"limit": 50, "offset": offset}, headers=headers
        )
        assert response.status_code == 200
        total = int(response.headers["Total-Count"])
        seen += [i["_id"] for i in response.json()]
        offset += 50
        if offset >= total:
            break
    assert len(seen) == total == len(set(seen))
    too_many = httpx.get(f"{running.url}/compute/api/v1/images", params={"limit": 51}, headers=headers)
    assert too_many.status_code == 400
    hosts = httpx.get(
        f"{running.url}/compute/api/v1/hosts", params={"limit": 10, "offset": 60}, headers=headers
    )
    assert hosts.headers["Total-Count"] == "64"
    assert len(hosts.json()) == 4
    assert (
        httpx.get(f"{running.url}/compute/api/v1/hosts", params={"offset": -1}, headers=headers).status_code
        == 400
    )


def test_compute_images_list_their_packages(api: tuple[RunningEmulator, httpx.Client]) -> None:
    """Image scans carry `packages` ({pkgsType, pkgs: [{name, version, license, cveCount, layerTime}]}),
    the OS packages holding the image's vulnerabilities (issue 15: images with packages for Compute)."""
    running, client = api
    token = httpx.post(
        f"{running.url}/compute/api/v1/authenticate", json={"token": client.headers["x-redlock-auth"]}
    ).json()["token"]
    images = httpx.get(
        f"{running.url}/compute/api/v1/images",
        params={"limit": 50},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    kinds = set()
    for image in images:
        groups = {g["pkgsType"]: g["pkgs"] for g in image["packages"]}
        kinds.update(groups)
        assert groups["package"], image["_id"]
        assert sum(p["cveCount"] for p in groups["package"]) == image["vulnerabilitiesCount"]
        for pkg in (p for pkgs in groups.values() for p in pkgs):
            assert {"name", "version", "license", "cveCount", "layerTime"} <= pkg.keys()
    assert kinds == {"package", "python", "nodejs"}
