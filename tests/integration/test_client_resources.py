"""Resources over real HTTP against the shared emulator (read-only calls) and a fresh one (changes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from cortexkit.client import AsyncClient, Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.resources._base import relative, to_now


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[Client]:
    with Client(
        api_url=emulator.url, access_key_id=emulator.access_key_id, secret_key=emulator.secret_key
    ) as c:
        yield c


def test_cloud_accounts(client: Client) -> None:
    accounts = client.cloud_accounts.list()
    assert accounts and all(a.accountId and a.cloudType for a in accounts)
    first = accounts[0]
    assert first.cloudType is not None and first.accountId is not None
    got = client.cloud_accounts.get(first.cloudType, first.accountId)
    assert got.accountId == first.accountId
    names = client.cloud_accounts.names()
    assert {n.id for n in names} >= {a.accountId for a in accounts if a.accountId}


def test_account_groups(client: Client) -> None:
    groups = client.account_groups.list()
    assert groups and groups[0].id is not None
    assert client.account_groups.get(groups[0].id).name == groups[0].name


def test_alerts_iterate_keeps_filters_and_matches_count(client: Client) -> None:
    open_alerts = list(
        client.alerts.iterate(filters={"alert.status": "open"}, time_range=to_now("epoch"), page_size=250)
    )
    assert open_alerts and all(a.status == "open" for a in open_alerts)
    assert len({a.id for a in open_alerts}) == len(open_alerts)
    assert client.alerts.count("open") == len(open_alerts)
    one = open_alerts[0]
    assert one.id is not None
    assert client.alerts.get(one.id).id == one.id


def test_alerts_max_items(client: Client) -> None:
    assert len(list(client.alerts.iterate(time_range=relative(30, "day"), page_size=10, max_items=25))) == 25


def test_policies_and_compliance(client: Client) -> None:
    policies = client.policies.list()
    assert policies and policies[0].policyId
    posture = client.compliance.posture()
    assert posture is not None


def test_rql_config_search_pages(client: Client) -> None:
    found = list(client.search.config("config from cloud.resource where cloud.type = 'azure'", page_size=20))
    assert found
    assert len({(r.id, r.accountId) for r in found}) == len(found)


def test_dismiss_snooze_reopen(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with Client(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key
    ) as client:
        ids = [
            a.id for a in client.alerts.iterate(filters={"alert.status": "open"}, page_size=2, max_items=2)
        ]
        assert len(ids) == 2 and all(ids)
        a, b = str(ids[0]), str(ids[1])
        client.alerts.dismiss([a], note="accepted risk")
        client.alerts.snooze([b], snooze_for=relative(3, "day"), note="next sprint")
        assert client.alerts.get(a).status == "dismissed"
        assert client.alerts.get(b).status == "snoozed"
        client.alerts.reopen([a, b])
        assert client.alerts.get(a).status == "open"


def test_async_resources(emulator: RunningEmulator) -> None:
    async def main() -> tuple[int, int]:
        async with AsyncClient(
            api_url=emulator.url, access_key_id=emulator.access_key_id, secret_key=emulator.secret_key
        ) as client:
            accounts, groups = await asyncio.gather(
                client.cloud_accounts.list(), client.account_groups.list()
            )
            alerts = [x async for x in client.alerts.iterate(page_size=5, max_items=12)]
            assert len(alerts) == 12
            return len(accounts), len(groups)

    n_accounts, n_groups = asyncio.run(main())
    assert n_accounts > 0 and n_groups > 0


QUERY = "config from cloud.resource where cloud.type = 'azure'"


def test_rql_newer_search_apis(client: Client) -> None:
    legacy = list(client.search.config(QUERY, page_size=20))
    v1 = list(client.search.config(QUERY, page_size=20, api="v1", time_range=to_now("epoch")))
    v2 = list(client.search.config(QUERY, page_size=20, api="v2"))
    assert len(v1) == len(v2) == len(legacy) > 20


def test_audit_logs_iterate(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    with Client(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key
    ) as client:
        client.cloud_accounts.list()
        entries = list(client.audit_logs.iterate(time_range=relative(1, "day"), page_size=100))
    assert entries and all(e.timestamp for e in entries)
    assert any(e.actionType == "LOGIN" for e in entries)
