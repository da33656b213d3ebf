"""RQL config search over HTTP: the four endpoints, paging through /search/config/page, clear 400s."""

from __future__ import annotations

import json
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


ALL = "config from cloud.resource where cloud.type IN ('aws', 'azure', 'gcp')"


def _v1(client: httpx.Client, **body: object) -> dict[str, object]:
    response = client.post("/search/api/v1/config", json={"query": ALL, "limit": 10_000, **body})
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


@pytest.mark.parametrize("field", ["customer_id", "json", "state_id"])
def test_every_sort_field_of_the_spec_sorts(api: tuple[RunningEmulator, httpx.Client], field: str) -> None:
    """SortConfigRuleSortField lists customer_id, json and state_id too (they were 400s)."""
    _, client = api
    for direction in ("asc", "desc"):
        items = _v1(client, withResourceJson=True, sort=[{"field": field, "direction": direction}])["items"]
        assert isinstance(items, list) and len(items) > 100
        if field == "state_id":
            keys = [i["stateId"] for i in items]
            assert keys == sorted(keys, reverse=direction == "desc")
        if field == "json":
            keys = [json.dumps(i["data"], sort_keys=True) for i in items]
            assert keys == sorted(keys, reverse=direction == "desc")
    unsorted = _v1(client)["items"]
    by_customer = _v1(client, sort=[{"field": "customer_id", "direction": "asc"}])["items"]
    assert by_customer == unsorted  # one tenant: one customer id, a stable no-op


def test_resource_items_name_their_account_groups_and_networks(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    items = _v1(client)["items"]
    assert isinstance(items, list)
    groups = client.get("/cloud/group").json()
    for item in items:
        expected = [g["name"] for g in groups if item["accountId"] in g["accountIds"]]
        assert item["accountGroupName"] == ", ".join(expected)
        assert "Default Account Group" in item["accountGroupName"]
        assert {"vpcId", "vpcName"} <= item.keys()
    networked = {i["resourceType"] for i in items if i["vpcId"]}
    assert networked == {"VM", "NETWORK", "EC2"} | {"COMPUTE"}
    aws = [i for i in items if i["vpcId"] and i["cloudType"] == "aws"]
    assert all(i["vpcId"].startswith("vpc-") and i["vpcName"].startswith(i["accountName"]) for i in aws)
    azure = [i for i in items if i["vpcId"] and i["cloudType"] == "azure"]
    assert all("/providers/Microsoft.Network/virtualNetworks/" in i["vpcId"] for i in azure)
    assert all(i["vpcName"] == "" for i in items if not i["vpcId"])


def test_time_range_selects_the_resources_that_existed_in_it(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    """RQL `timeRange` filters: a resource counts when it was created before the window ends and, when
    deleted, was last seen after it starts."""
    _, client = api
    everything = _v1(client, timeRange={"type": "to_now", "value": "epoch"}, withResourceJson=False)
    rows = everything["items"]
    assert isinstance(rows, list)
    created = sorted(int(i["createdTs"]) for i in rows)
    middle = created[len(created) // 2]
    before_all = _v1(
        client, timeRange={"type": "absolute", "value": {"startTime": 0, "endTime": created[0] - 1}}
    )
    assert before_all["totalRows"] == 0
    half = _v1(client, timeRange={"type": "absolute", "value": {"startTime": 0, "endTime": middle}})
    assert half["totalRows"] == sum(1 for c in created if c <= middle)
    assert all(int(i["createdTs"]) <= middle for i in half["items"])  # type: ignore[union-attr]
    # Deleted resources were last seen within the last day: a window that ends later includes them,
    # one that starts after their last sighting leaves them out.
    deleted = [i for i in rows if i["deleted"]]
    assert deleted
    last_seen = max(int(i["insertTs"]) for i in deleted)
    after = _v1(
        client,
        timeRange={"type": "absolute", "value": {"startTime": last_seen + 1, "endTime": last_seen + 2}},
    )
    assert after["totalRows"] == len(rows) - len(deleted)
    assert everything["totalRows"] == len(rows)
    # v2 takes `startTime` (the window runs to now).
    v2 = client.post("/search/api/v2/config", json={"query": ALL, "startTime": last_seen + 1})
    assert v2.status_code == 200 and v2.json()["totalRows"] == len(rows) - len(deleted)


def test_time_range_survives_paging_and_bad_ranges_are_400s(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    created = sorted(int(i["createdTs"]) for i in _v1(client)["items"])  # type: ignore[union-attr]
    middle = created[len(created) // 2]
    window = {"type": "absolute", "value": {"startTime": 0, "endTime": middle}}
    first = _v1(client, timeRange=window, limit=50)
    seen = list(first["items"])  # type: ignore[call-overload]
    token = first.get("nextPageToken")
    while token:
        page = client.post("/search/config/page", json={"pageToken": token}).json()
        seen += page["items"]
        token = page.get("nextPageToken")
    assert len(seen) == first["totalRows"] == sum(1 for c in created if c <= middle)
    future = client.post("/search/api/v2/config", json={"query": ALL, "startTime": created[-1] + 10**12})
    assert future.status_code == 200 and future.json()["totalRows"] == 0  # a window that starts after now
    bad = client.post("/search/config", json={"query": ALL, "timeRange": {"type": "sideways"}})
    assert bad.status_code == 400
    assert redlock_keys(bad) == ["bad_request"] and "timeRange" in redlock_subject(bad)
