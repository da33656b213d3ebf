"""Group membership in the emulator's listings once a bulk has added many accounts: `GET /cloud/group`,
`GET /cloud` and `GET /cloud/name?accountGroupIds=` build one membership index per request instead of
scanning every account for every group. The answers must stay exactly what the per-group scan gave:
members in account order, each once, only accounts that exist."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.routes_support import private_emulator

ACCOUNTS = 2_000
EXTRA_GROUPS = 50


@pytest.fixture(scope="module")
def tenant() -> Iterator[tuple[httpx.Client, dict[str, list[str]]]]:
    """2,000 accounts, the generated groups and 50 more over random (shuffled, sometimes repeated) subsets;
    then one account deleted. Yields the client and each added group's requested member ids."""
    with private_emulator(accounts=ACCOUNTS) as pair:
        _, client = pair
        ids = [a["id"] for a in client.get("/cloud/name").json()]
        rng = random.Random(13)
        requested: dict[str, list[str]] = {}
        for n in range(EXTRA_GROUPS):
            chosen = rng.sample(ids, rng.choice([0, 1, 7, 500, 1_999, ACCOUNTS]))
            chosen += chosen[: len(chosen) // 10]  # repeated ids: the group holds each once
            created = client.post("/cloud/group", json={"name": f"bulk-{n}", "accountIds": chosen})
            assert created.status_code == 200, created.text
            requested[created.json()["id"]] = chosen
        assert client.delete(f"/cloud/azure/{_first_azure(client)}").status_code == 200
        yield client, requested


def _first_azure(client: httpx.Client) -> str:
    return next(a["id"] for a in client.get("/cloud/name").json() if a["cloudType"] == "azure")


def _expected_members(accounts: list[dict[str, Any]], requested: list[str]) -> list[str]:
    """The definition the per-group scan implemented: the accounts, in listing order, that the group names."""
    wanted = set(requested)
    return [a["accountId"] for a in accounts if a["accountId"] in wanted]


def test_every_group_lists_exactly_its_members_in_account_order(
    tenant: tuple[httpx.Client, dict[str, list[str]]],
) -> None:
    client, requested = tenant
    accounts = client.get("/cloud").json()
    assert len(accounts) == ACCOUNTS - 1
    groups = client.get("/cloud/group").json()
    assert len(groups) > EXTRA_GROUPS
    by_name = {a["accountId"]: (a["name"], a["cloudType"]) for a in accounts}
    default = next(g for g in groups if g["name"] == "Default Account Group")
    assert default["accountIds"] == [a["accountId"] for a in accounts]  # every generated one, one deleted
    for group in groups:
        if group["id"] in requested:
            assert group["accountIds"] == _expected_members(accounts, requested[group["id"]])
        assert group["cloudAccountCount"] == len(group["accountIds"]) == len(set(group["accountIds"]))
        assert [i["accountId"] for i in group["cloudAccountInfos"]] == group["accountIds"]
        assert [(a["id"], a["name"], a["type"]) for a in group["accounts"]] == [
            (i, *by_name[i]) for i in group["accountIds"]
        ]
        assert client.get(f"/cloud/group/{group['id']}").json() == group  # the one-group route agrees
    slim = client.get("/cloud/group", params={"excludeCloudAccountDetails": "true"}).json()
    assert [(g["id"], g["accountIds"]) for g in slim] == [(g["id"], g["accountIds"]) for g in groups]
    assert "accounts" not in slim[0]


def test_accounts_list_their_groups_and_the_group_filter_agrees(
    tenant: tuple[httpx.Client, dict[str, list[str]]],
) -> None:
    client, _ = tenant
    groups = client.get("/cloud/group").json()
    for account in client.get("/cloud").json():
        expected = [g["id"] for g in groups if account["accountId"] in g["accountIds"]]
        assert account["groupIds"] == expected
    for group in groups[:: max(1, len(groups) // 8)]:
        named = client.get("/cloud/name", params={"accountGroupIds": group["id"]}).json()
        assert [n["id"] for n in named] == group["accountIds"]


def test_a_group_update_moves_the_accounts_group_ids(
    tenant: tuple[httpx.Client, dict[str, list[str]]],
) -> None:
    client, _ = tenant
    accounts = client.get("/cloud").json()
    chosen = [accounts[5]["accountId"], accounts[1]["accountId"]]
    created = client.post("/cloud/group", json={"name": "moved", "accountIds": []}).json()
    assert client.put(
        f"/cloud/group/{created['id']}", json={"name": "moved", "accountIds": chosen}
    ).is_success
    again = client.get(f"/cloud/group/{created['id']}").json()
    assert again["accountIds"] == [accounts[1]["accountId"], accounts[5]["accountId"]]
    for account in client.get("/cloud").json():
        in_group = created["id"] in account["groupIds"]
        assert in_group == (account["accountId"] in chosen)
