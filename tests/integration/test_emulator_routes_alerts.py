"""Alert routes over HTTP: v2 paging with tokens, filters, legacy list, dismiss/snooze/reopen, count."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator, redlock_keys, redlock_subject

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    """Read-only tests share this emulator; tests that change alerts make their own."""
    with private_emulator() as pair:
        yield pair


def _page_all(client: httpx.Client, body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int], int]:
    """Follow nextPageToken sending only the token, as prismacloud-api does."""
    first = client.post("/v2/alert", json=body)
    assert first.status_code == 200, first.headers.get("x-redlock-status")
    data = first.json()
    total = data["totalRows"]
    items, totals = list(data["items"]), [total]
    while data.get("nextPageToken"):
        data = client.post("/v2/alert", json={"pageToken": data["nextPageToken"]}).json()
        items += data["items"]
        totals.append(data["totalRows"])
    return items, totals, total


def test_paging_5000_alerts_reaches_total_rows_without_duplicates(
    api: tuple[RunningEmulator, httpx.Client],
) -> None:
    _, client = api
    items, totals, total = _page_all(client, {"limit": 700})
    ids = [a["id"] for a in items]
    assert total == 5000
    assert len(ids) == total
    assert len(set(ids)) == total
    assert set(totals) == {5000}
    times = [a["alertTime"] for a in items]
    assert times == sorted(times, reverse=True)  # newest first by default


def test_filters_and_limit_are_kept_across_pages(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    body = {
        "limit": 100,
        "filters": [
            {"name": "alert.status", "operator": "=", "value": "open"},
            {"name": "policy.severity", "operator": "=", "value": "high"},
            {"name": "cloud.type", "operator": "=", "value": "azure"},
        ],
        "timeRange": {"type": "relative", "value": {"amount": 30, "unit": "day"}},
    }
    items, _, total = _page_all(client, body)
    assert 100 < total < 5000
    assert len(items) == total
    assert len({a["id"] for a in items}) == total
    for alert in items:
        assert alert["status"] == "open"
        assert alert["policy"]["severity"] == "high"
        assert alert["resource"]["cloudType"] == "azure"
    oldest = min(a["alertTime"] for a in items)
    newest = max(a["alertTime"] for a in items)
    assert newest - oldest <= 30 * DAY_MS


def test_each_page_respects_the_original_limit(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    first = client.post("/v2/alert", json={"limit": 37}).json()
    second = client.post("/v2/alert", json={"pageToken": first["nextPageToken"]}).json()
    assert len(first["items"]) == len(second["items"]) == 37
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}


def test_get_v2_alert_filters_by_query_names_and_pages(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    account = client.get("/cloud").json()[1]
    params = {
        "timeType": "relative",
        "timeAmount": "90",
        "timeUnit": "day",
        "detailed": "false",
        "cloud.accountId": account["accountId"],
        "limit": "50",
    }
    first = client.get("/v2/alert", params=params).json()
    assert first["totalRows"] > 50
    assert {a["resource"]["accountId"] for a in first["items"]} == {account["accountId"]}
    # The token (8 KB, like the real ones) is too long for a URL: a GET carrying it is a 413, POST pages on.
    assert client.get("/v2/alert", params={"pageToken": first["nextPageToken"]}).status_code == 413
    second = client.post("/v2/alert", json={"pageToken": first["nextPageToken"]}).json()
    assert {a["resource"]["accountId"] for a in second["items"]} == {account["accountId"]}
    assert second["totalRows"] == first["totalRows"]


def test_filters_by_policy_id_and_account_name(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    policy = client.get("/v2/policy", params={"cloud.type": "aws"}).json()[0]
    account = next(a for a in client.get("/cloud").json() if a["cloudType"] == "aws")
    body = {
        "limit": 10_000,
        "filters": [
            {"name": "policy.id", "operator": "=", "value": policy["policyId"]},
            {"name": "cloud.account", "operator": "=", "value": account["name"]},
        ],
    }
    data = client.post("/v2/alert", json=body).json()
    assert data["totalRows"] == len(data["items"]) > 0
    assert {a["policyId"] for a in data["items"]} == {policy["policyId"]}
    assert {a["resource"]["account"] for a in data["items"]} == {account["name"]}


def test_absolute_and_to_now_time_ranges(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    now = client.get("/_emulator/clock").json()["now"] * 1000
    absolute = {
        "type": "absolute",
        "value": {"startTime": int(now - 10 * DAY_MS), "endTime": int(now - 5 * DAY_MS)},
    }
    data = client.post("/v2/alert", json={"timeRange": absolute, "limit": 10_000}).json()
    assert 0 < data["totalRows"] < 5000
    assert all(now - 10 * DAY_MS <= a["alertTime"] <= now - 5 * DAY_MS for a in data["items"])
    epoch = client.post(
        "/v2/alert", json={"timeRange": {"type": "to_now", "value": "EPOCH"}, "limit": 1}
    ).json()
    assert epoch["totalRows"] == 5000


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        ({"pageToken": "not-a-token"}, "pageToken"),
        ({"filters": [{"name": "alert.flavour", "operator": "=", "value": "x"}]}, "alert.flavour"),
        ({"limit": 10_001}, "limit"),
        ({"sortBy": ["policy.name:asc"]}, "sortBy policy.name:asc"),
        ({"timeRange": {"type": "relative", "value": {"amount": 1, "unit": "fortnight"}}}, "timeRange"),
    ],
)
def test_bad_requests_are_400_with_the_reason(
    api: tuple[RunningEmulator, httpx.Client], body: dict[str, Any], subject: str
) -> None:
    _, client = api
    response = client.post("/v2/alert", json=body)
    assert response.status_code == 400
    assert redlock_keys(response) == ["invalid_parameter_value"]
    assert redlock_subject(response).startswith(subject)


def test_tampered_page_token_is_rejected(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    token = client.post("/v2/alert", json={"limit": 5}).json()["nextPageToken"]
    body, mac = token.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    assert client.post("/v2/alert", json={"pageToken": forged}).status_code == 400
    assert client.post("/v2/alert", json={"pageToken": token}).status_code == 200


def test_legacy_alert_list_is_a_bare_array_capped_at_10k() -> None:
    with private_emulator(alerts=12_000) as (_, client):
        everything = client.get(
            "/alert",
            params={"timeType": "relative", "timeAmount": "1", "timeUnit": "year", "detailed": "false"},
        )
        assert everything.status_code == 200
        assert isinstance(everything.json(), list)
        assert len(everything.json()) == 10_000
        page = client.post("/alert", json={"limit": 20, "offset": 40}).json()
        assert [a["id"] for a in page] == [a["id"] for a in everything.json()[40:60]]


def test_get_alert_by_id_and_unknown_id(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    alert = client.get("/alert/P-100042").json()
    assert alert["id"] == "P-100042"
    assert "complianceMetadata" in alert["policy"]
    missing = client.get("/alert/P-999999999")
    assert missing.status_code == 404
    assert redlock_keys(missing) == ["not_found"]


def test_count_matches_a_filtered_listing(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    count = client.get("/alert/count/open").json()["count"]
    listing = client.post(
        "/v2/alert",
        json={"limit": 1, "filters": [{"name": "alert.status", "operator": "=", "value": "open"}]},
    ).json()
    assert count == listing["totalRows"] > 0
    assert client.get("/alert/count/sleeping").status_code == 400


def test_dismiss_snooze_reopen_lifecycle_on_the_emulator_clock() -> None:
    with private_emulator() as (_, client):
        open_ids = [
            a["id"]
            for a in client.post(
                "/v2/alert",
                json={"limit": 3, "filters": [{"name": "alert.status", "operator": "=", "value": "open"}]},
            ).json()["items"]
        ]
        open_before = client.get("/alert/count/open").json()["count"]
        dismiss = client.post(
            "/alert/dismiss", json={"alerts": open_ids[:1], "dismissalNote": "accepted", "filter": {}}
        )
        assert dismiss.status_code == 200
        assert dismiss.content == b""
        dismissed = client.get(f"/alert/{open_ids[0]}").json()
        assert dismissed["status"] == "dismissed"
        assert dismissed["dismissalNote"] == "accepted"

        snooze = {
            "alerts": open_ids[1:],
            "dismissalNote": "later",
            "dismissalTimeRange": {"type": "relative", "value": {"amount": 2, "unit": "day"}},
            "filter": {},
        }
        assert client.post("/alert/dismiss", json=snooze).status_code == 200
        snoozed = client.get(f"/alert/{open_ids[1]}").json()
        assert snoozed["status"] == "snoozed"
        assert snoozed["dismissalUntilTs"] > snoozed["lastUpdated"]
        assert client.get("/alert/count/snoozed").json()["count"] == 2
        assert client.get("/alert/count/open").json()["count"] == open_before - 3

        client.post("/_emulator/clock", json={"advance": 2 * 86_400 + 60})
        assert client.get(f"/alert/{open_ids[1]}").json()["status"] == "open"
        assert client.get("/alert/count/snoozed").json()["count"] == 0

        assert client.post("/alert/reopen", json={"alerts": open_ids[:1], "filter": {}}).status_code == 200
        assert client.get(f"/alert/{open_ids[0]}").json()["status"] == "open"
        assert client.get("/alert/count/open").json()["count"] == open_before
        again = client.post("/alert/reopen", json={"alerts": open_ids[:1], "filter": {}})
        assert again.status_code == 404
        assert redlock_keys(again) == ["alert_no_longer_in_expected_state"]


def test_dismiss_by_policy_and_bad_dismiss_bodies() -> None:
    with private_emulator() as (_, client):
        policy = client.get("/v2/policy").json()[0]["policyId"]
        flt = [
            {"name": "policy.id", "operator": "=", "value": policy},
            {"name": "alert.status", "operator": "=", "value": "open"},
        ]
        before = client.post("/v2/alert", json={"limit": 1, "filters": flt}).json()["totalRows"]
        assert before > 0
        response = client.post(
            "/alert/dismiss", json={"policies": [policy], "dismissalNote": "n", "filter": {}}
        )
        assert response.status_code == 200
        assert client.post("/v2/alert", json={"limit": 1, "filters": flt}).json()["totalRows"] == 0
        missing = client.post("/alert/dismiss", json={"filter": {}})
        assert missing.status_code == 400
        assert redlock_keys(missing) == ["missing_required_parameter"]
        past = {
            "alerts": ["P-100001"],
            "filter": {},
            "dismissalTimeRange": {"type": "absolute", "value": {"endTime": 1000}},
        }
        bad = client.post("/alert/dismiss", json=past)
        assert bad.status_code == 400
        assert redlock_keys(bad) == ["violates_minimum_alert_dismiss_duration_time"]


def test_changes_survive_paging_without_shifting_pages() -> None:
    """Keyset tokens: dismissing alerts between two pages neither repeats nor skips any."""
    with private_emulator() as (_, client):
        first = client.post("/v2/alert", json={"limit": 100}).json()
        seen = [a["id"] for a in first["items"]]
        client.post("/alert/dismiss", json={"alerts": seen[:50], "dismissalNote": "x", "filter": {}})
        second = client.post("/v2/alert", json={"pageToken": first["nextPageToken"]}).json()
        assert int(second["items"][0]["id"][2:]) == int(seen[-1][2:]) - 1


def test_a_million_alerts_page_without_materialising_them() -> None:
    with private_emulator(alerts=1_000_000) as (_, client):
        data = client.post(
            "/v2/alert",
            json={"limit": 500, "filters": [{"name": "policy.severity", "operator": "=", "value": "low"}]},
        ).json()
        assert data["totalRows"] > 100_000
        nxt = client.post("/v2/alert", json={"pageToken": data["nextPageToken"]}).json()
        assert len(nxt["items"]) == 500
        assert client.get("/alert/P-1100000").json()["id"] == "P-1100000"
        assert client.get("/alert/count/resolved").json()["count"] > 100_000


def test_filter_suggestions_list_names_and_values(api: tuple[RunningEmulator, httpx.Client]) -> None:
    _, client = api
    filters = client.get("/filter/alert/suggest").json()
    assert filters["alert.status"]["options"] == [
        "open",
        "dismissed",
        "snoozed",
        "resolved",
        "pending_resolution",
    ]
    assert set(filters["cloud.type"]["options"]) == {"aws", "azure", "gcp"}
    assert filters["alert.id"] == {"options": [], "staticFilter": False}
    account = filters["cloud.account"]["options"][0]
    found = client.post(
        "/filter/alert/suggest", json={"filterName": "cloud.account", "query": account[:5]}
    ).json()
    assert account in found["suggestions"]
    assert all(s.lower().startswith(account[:5].lower()) for s in found["suggestions"])
    # Every suggested value filters successfully.
    body = {"limit": 1, "filters": [{"name": "cloud.account", "operator": "=", "value": account}]}
    assert client.post("/v2/alert", json=body).json()["totalRows"] > 0
    bad = client.post("/filter/alert/suggest", json={"filterName": "alert.mood"})
    assert bad.status_code == 400
