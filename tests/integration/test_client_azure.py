"""Azure v2 onboarding calls and Compute access over real HTTP against the emulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cortexkit import errors
from cortexkit.client import AsyncClient, Client
from cortexkit.emulator.server import RunningEmulator


def control(running: RunningEmulator, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{running.url}/_emulator/{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def client_for(running: RunningEmulator) -> Client:
    return Client(api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key)


@pytest.fixture
def fresh(make_emulator: Callable[..., RunningEmulator]) -> Iterator[tuple[RunningEmulator, Client]]:
    running = make_emulator()
    with client_for(running) as client:
        yield running, client


def account_body(subscription: str, name: str, group_ids: list[str]) -> dict[str, Any]:
    return {
        "cloudAccount": {
            "accountId": subscription,
            "accountType": "account",
            "name": name,
            "enabled": True,
            "groupIds": group_ids,
        },
        "clientId": str(uuid.uuid4()),
        "key": "azure-client-secret-value",
        "servicePrincipalId": str(uuid.uuid4()),
        "tenantId": str(uuid.uuid4()),
        "environmentType": "azure",
        "monitorFlowLogs": False,
        "features": [],
    }


def test_features_template_precheck(fresh: tuple[RunningEmulator, Client]) -> None:
    _, client = fresh
    features = client.azure.supported_features("account")
    assert "Remediation" in features.supportedFeatures
    template = client.azure.template(
        account_type="account",
        tenant_id=str(uuid.uuid4()),
        subscription_id=str(uuid.uuid4()),
        features=["Remediation", "Cloud Visibility Compliance and Governance"],  # the latter is dropped
    )
    assert "b__subscription_id" in template.model_dump()["output"]
    group = client.account_groups.list()[0].id
    assert group is not None
    checks = client.azure.status_check(account_body(str(uuid.uuid4()), "precheck", [group]))
    assert checks and all(c.status for c in checks)


def test_add_find_update_config_status(fresh: tuple[RunningEmulator, Client]) -> None:
    _, client = fresh
    group = client.account_groups.list()[0].id
    assert group is not None
    subscription = str(uuid.uuid4())
    assert client.azure.find_by_subscription(subscription) is None
    client.azure.add_account(account_body(subscription, "it-sub", [group]), skip_status_checks=True)
    found = client.azure.find_by_subscription(subscription.upper())
    assert found is not None and found.name == "it-sub"
    body = account_body(subscription, "it-sub-renamed", [group])
    client.azure.update_account(subscription, body, skip_status_checks=True)
    assert client.cloud_accounts.get("azure", subscription).name == "it-sub-renamed"
    assert client.azure.config_status(subscription) is not None
    with pytest.raises(errors.BadRequestError) as info:
        client.azure.add_account(account_body(subscription, "again", [group]), skip_status_checks=True)
    assert "duplicate_cloud_account" in info.value.i18n_keys


def test_add_is_sent_once_when_the_outcome_is_unknown(fresh: tuple[RunningEmulator, Client]) -> None:
    running, client = fresh
    group = client.account_groups.list()[0].id
    assert group is not None
    subscription = str(uuid.uuid4())
    control(
        running,
        "POST",
        "faults",
        {"route": "POST /cas/v1/azure_account", "statuses": [502], "count": 1, "when": "after"},
    )
    with pytest.raises(errors.OutcomeUnknownError):
        client.azure.add_account(account_body(subscription, "ambiguous", [group]), skip_status_checks=True)
    stats = control(running, "GET", "stats")
    assert sum(stats["requests"]["POST /cas/v1/azure_account"].values()) == 1
    # reconcile: the account was created, so a resend would have been a duplicate
    assert client.azure.find_by_subscription(subscription) is not None


def test_compute_via_meta_info_and_offset_paging(fresh: tuple[RunningEmulator, Client]) -> None:
    _, client = fresh
    url = client.compute.console_url()
    assert url.startswith("http://127.0.0.1")
    version = client.compute.request("GET", "/version")  # a JSON string such as "34.01.126"
    assert isinstance(version, str) and version.count(".") == 2
    images = list(client.compute.iterate("/images", page_size=50))
    assert len(images) > 50  # more than one page
    assert len({str(i) for i in images}) == len(images)


async def test_async_azure_and_compute(make_emulator: Callable[..., RunningEmulator]) -> None:
    running = make_emulator()
    async with AsyncClient(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=running.secret_key
    ) as client:
        features = await client.azure.supported_features("tenant", root_sync_enabled=True)
        assert features.accountType == "tenantWithMgmt"
        images = [i async for i in client.compute.iterate("/images", page_size=25)]
        assert len(images) > 25


def test_account_body_without_groups_goes_to_the_default_group(fresh: tuple[RunningEmulator, Client]) -> None:
    """`account_body(group_ids=())` leaves `groupIds` out (Prisma then picks the Default Account Group):
    an empty list is refused with `cannot_select_zero_account_groups` for a subscription."""
    from cortexkit.resources.azure import account_body as build

    _, client = fresh
    subscription = str(uuid.uuid4())
    body = build(
        account_type="account",
        name="no-groups",
        tenant_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        key="azure-client-secret-value",
        service_principal_id=str(uuid.uuid4()),
        subscription_id=subscription,
    )
    assert "groupIds" not in body["cloudAccount"]
    client.azure.add_account(body, skip_status_checks=True)
    account = client.azure.find_by_subscription(subscription)
    assert account is not None and account.groupIds
