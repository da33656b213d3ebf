"""Cloud accounts and account groups over HTTP."""

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


def test_cloud_lists_every_generated_account_across_three_clouds(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    accounts = client.get("/cloud").json()
    assert len(accounts) == 12
    assert {a["cloudType"] for a in accounts} == {"aws", "azure", "gcp"}
    assert all(a["accountGroupInfos"] for a in accounts)
    slim = client.get("/cloud", params={"excludeAccountGroupDetails": "true"}).json()
    assert "accountGroupInfos" not in slim[0]
    assert [a["accountId"] for a in slim] == [a["accountId"] for a in accounts]


def test_generation_is_deterministic_per_seed() -> None:
    with (
        private_emulator(seed=7, accounts=5) as (_, first),
        private_emulator(seed=7, accounts=5) as (_, second),
    ):
        assert first.get("/cloud/name").json() == second.get("/cloud/name").json()
    with private_emulator(seed=8, accounts=5) as (_, other):
        assert len(other.get("/cloud/name").json()) == 5


def test_cloud_names_filter_by_cloud_type_and_group(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    names = client.get("/cloud/name", params={"cloudType": "gcp"}).json()
    assert names and {n["cloudType"] for n in names} == {"gcp"}
    group = client.get("/cloud/group").json()[1]
    in_group = client.get("/cloud/name", params={"accountGroupIds": group["id"]}).json()
    assert {n["id"] for n in in_group} == set(group["accountIds"])


def test_get_account_by_cloud_type_and_id(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    account = client.get("/cloud").json()[2]
    detail = client.get(f"/cloud/{account['cloudType']}/{account['accountId']}").json()
    assert detail["name"] == account["name"]
    assert detail["groupIds"] == account["groupIds"]
    wrong_cloud = "aws" if account["cloudType"] != "aws" else "gcp"
    missing = client.get(f"/cloud/{wrong_cloud}/{account['accountId']}")
    assert missing.status_code == 404
    assert redlock_keys(missing) == ["invalid_account_id_format"]
    bad_type = client.get(f"/cloud/mainframe/{account['accountId']}")
    assert bad_type.status_code == 400
    assert redlock_keys(bad_type) == ["invalid_cloud_type"]


def test_delete_account_removes_it_from_lists_and_groups() -> None:
    with private_emulator() as (_, client):
        account = client.get("/cloud").json()[0]
        response = client.delete(f"/cloud/{account['cloudType']}/{account['accountId']}")
        assert response.status_code == 200
        assert account["accountId"] not in {a["accountId"] for a in client.get("/cloud").json()}
        for group in client.get("/cloud/group").json():
            assert account["accountId"] not in group["accountIds"]
        again = client.delete(f"/cloud/{account['cloudType']}/{account['accountId']}")
        assert again.status_code == 404


def test_account_group_crud() -> None:
    with private_emulator() as (_, client):
        accounts = [a["accountId"] for a in client.get("/cloud").json()[:2]]
        created = client.post(
            "/cloud/group", json={"name": "Audit", "description": "d", "accountIds": accounts}
        )
        assert created.status_code == 200
        group = created.json()
        assert group["accountIds"] == accounts
        assert client.get(f"/cloud/group/{group['id']}").json()["name"] == "Audit"
        names = client.get("/cloud/group/name").json()
        assert "Audit" in {n["name"] for n in names}

        dup = client.post("/cloud/group", json={"name": "Audit", "accountIds": []})
        assert dup.status_code == 400
        assert redlock_keys(dup) == ["account_group_name_already_exists"]
        bad_ids = client.post("/cloud/group", json={"name": "X", "accountIds": ["nope"]})
        assert redlock_keys(bad_ids) == ["invalid_account_ids"]

        in_use = client.delete(f"/cloud/group/{group['id']}")
        assert in_use.status_code == 409
        renamed = client.put(f"/cloud/group/{group['id']}", json={"name": "Audit 2", "accountIds": []})
        assert renamed.status_code == 200
        assert client.get(f"/cloud/group/{group['id']}").json()["name"] == "Audit 2"
        assert client.delete(f"/cloud/group/{group['id']}").status_code == 200
        gone = client.get(f"/cloud/group/{group['id']}")
        assert gone.status_code == 400
        assert redlock_keys(gone) == ["invalid_id"]


def test_group_names_by_cloud_type(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    groups = client.get("/cloud/group/name/azure").json()
    assert "Default Account Group" in {g["name"] for g in groups}
    all_groups = client.get("/cloud/group").json()
    for group in all_groups:
        if not group["accountIds"]:
            assert group["name"] not in {g["name"] for g in groups}


def test_every_route_refuses_a_missing_token(api: tuple[RunningEmulator, httpx.Client]) -> None:
    running, _ = api
    for method, path in [
        ("GET", "/cloud"),
        ("GET", "/cloud/group"),
        ("POST", "/v2/alert"),
        ("GET", "/v2/policy"),
        ("POST", "/search/config"),
        ("GET", "/meta_info"),
        ("POST", "/cas/v1/azure_account"),
    ]:
        assert httpx.request(method, f"{running.url}{path}").status_code == 401, path


def test_an_empty_tenant_answers_empty_lists() -> None:
    with private_emulator(accounts=0, alerts=0) as (_, client):
        assert client.get("/cloud").json() == []
        assert client.post("/v2/alert", json={}).json()["totalRows"] == 0
        assert client.get("/alert/count/open").json() == {"count": 0}
        assert client.get("/compliance/posture").json()["summary"]["failedResources"] == 0


def test_echoed_client_text_is_clipped_in_error_headers(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    response = client.post("/search/config", json={"query": "config where " + "x" * 5000 + " = 1"})
    assert response.status_code == 400
    assert len(response.headers["x-redlock-status"]) < 400


def test_disable_and_enable_ingestion() -> None:
    with private_emulator() as (_, client):
        account = client.get("/cloud").json()[3]
        assert account["enabled"] is True
        assert client.patch(f"/cloud/{account['accountId']}/status/false").status_code == 200
        active = {n["id"] for n in client.get("/cloud/name", params={"onlyActive": "true"}).json()}
        assert account["accountId"] not in active
        assert len(active) == 11
        detail = client.get(f"/cloud/{account['cloudType']}/{account['accountId']}").json()
        assert detail["enabled"] is False
        again = client.patch(f"/cloud/{account['accountId']}/status/false")
        assert again.status_code == 405
        assert redlock_keys(again) == ["cloud_account_already_disabled"]
        assert client.patch(f"/cloud/{account['accountId']}/status/true").status_code == 200
        assert redlock_keys(client.patch(f"/cloud/{account['accountId']}/status/true")) == [
            "cloud_account_already_enabled"
        ]
        assert client.patch("/cloud/nope/status/true").status_code == 404
        assert redlock_keys(client.patch(f"/cloud/{account['accountId']}/status/maybe")) == [
            "invalid_account_patch"
        ]
