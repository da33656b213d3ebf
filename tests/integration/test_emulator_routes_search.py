"""RQL config search over HTTP: the four endpoints, paging through /search/config/page, clear 400s."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator, redlock_keys, redlock_subject

AZURE_STORAGE = (
    "config from cloud.resource where cloud.type = 'azure' AND api.name = 'azure-storage-account-list'"
)


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    with private_emulator() as pair:
        yield pair


def test_search_config_nests_results_under_data_with_resource_json(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    body = client.post("/search/config", json={"query": AZURE_STORAGE, "limit": 10}).json()
    assert body["searchType"] == "config"
    assert body["cloudType"] == "azure"
    items = body["data"]["items"]
    assert 0 < len(items) <= 10
    assert all(i["cloudType"] == "azure" and "data" in i for i in items)
    assert body["data"]["totalRows"] >= len(items)


def test_json_rule_filters_on_the_resource_document(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    everything = client.post(
        "/search/api/v1/config", json={"query": AZURE_STORAGE, "limit": 1000, "withResourceJson": True}
    ).json()
    insecure = client.post(
        "/search/api/v1/config",
        json={
            "query": AZURE_STORAGE + " AND json.rule = properties.supportsHttpsTrafficOnly is false",
            "limit": 1000,
            "withResourceJson": True,
        },
    ).json()
    expected = [
        i["id"] for i in everything["items"] if i["data"]["properties"]["supportsHttpsTrafficOnly"] is False
    ]
    assert [i["id"] for i in insecure["items"]] == expected
    assert 0 < insecure["totalRows"] < everything["totalRows"]


def test_v1_pages_continue_through_search_config_page(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    query = "config from cloud.resource where cloud.type = 'aws'"
    first = client.post("/search/api/v1/config", json={"query": query, "limit": 25}).json()
    assert "data" not in first["items"][0]  # withResourceJson defaults to false here
    seen = [i["id"] for i in first["items"]]
    token = first.get("nextPageToken")
    while token:
        page = client.post("/search/config/page", json={"pageToken": token}).json()
        seen += [i["id"] for i in page["items"]]
        token = page.get("nextPageToken")
    assert len(seen) == first["totalRows"] == len(set(seen))


def test_v2_caps_pages_at_100_and_adds_resource_type_ids(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    body = client.post(
        "/search/api/v2/config", json={"query": "config where resource.status = Active", "limit": 500}
    ).json()
    assert len(body["items"]) == 100
    assert body["totalRows"] > 100
    assert body["id"]
    assert all("resourceTypeId" in i for i in body["items"])


def test_in_lists_regions_and_sorting(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    query = "config from cloud.resource where cloud.type IN ('aws', 'gcp') AND cloud.region != 'AWS Virginia'"
    body = client.post(
        "/search/api/v1/config",
        json={"query": query, "limit": 1000, "sort": [{"field": "cloud_region", "direction": "asc"}]},
    ).json()
    regions = [i["regionId"] for i in body["items"]]
    assert regions == sorted(regions)
    assert "us-east-1" not in regions
    assert {i["cloudType"] for i in body["items"]} == {"aws", "gcp"}


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("config from cloud.resource where cloud.type = 'aws' OR cloud.type = 'gcp'", "OR"),
        ("network from vpc.flow_record where bytes > 0", "only 'config' queries"),
        ("config from cloud.audit_logs where cloud.type = 'aws'", "config from cloud.audit_logs"),
        ("config from cloud.resource where resource.tag = 'x'", "unsupported field 'resource.tag'"),
        ("config from cloud.resource where (cloud.type = 'aws')", "parentheses"),
        ("config from cloud.resource where api.name = 'x' AND json.rule = a matches b", "operator 'matches'"),
        ("config from cloud.resource where api.name = 'x' addcolumn foo", "unsupported RQL: addcolumn"),
    ],
)
def test_unsupported_rql_is_a_400_that_names_the_problem(
    api: tuple[RunningEmulator, httpx.Client], query: str, words: str
) -> None:
    _, client = api
    response = client.post("/search/config", json={"query": query})
    assert response.status_code == 400
    assert redlock_keys(response) == ["bad_request"]
    assert words in redlock_subject(response)


def test_page_endpoint_refuses_forged_tokens(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    response = client.post("/search/config/page", json={"pageToken": "eyJ4Ijox.fake"})
    assert response.status_code == 400
    assert redlock_keys(response) == ["invalid_parameter_value"]
    alert_token = client.post("/v2/alert", json={"limit": 1}).json()["nextPageToken"]
    assert client.post("/search/config/page", json={"pageToken": alert_token}).status_code == 400


def test_search_config_answers_csv_when_asked(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    response = client.post(
        "/search/config", json={"query": AZURE_STORAGE, "limit": 5}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,name,cloudType,accountId")
    assert len(lines) == 6
    assert all(",azure," in line for line in lines[1:])
