"""The emulated Azure hierarchy and preflight reads over loopback HTTP: subscriptions per tenant,
management-group descendants, permissions, deny assignments, providers, conditional access, and the
control-plane knobs that change each answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator

from .azure_support import GRAPH, MG, azure_session, control

Make = Callable[..., RunningEmulator]
TENANT = "aaaaaaaa-1111-4222-8333-444444444444"
OTHER = "bbbbbbbb-1111-4222-8333-444444444444"
AUTHZ = "providers/Microsoft.Authorization"


@pytest.fixture
def running(make_emulator: Make) -> Iterator[RunningEmulator]:
    yield make_emulator(alerts=10, accounts=2)


def test_each_tenant_has_its_own_seeded_hierarchy(running: RunningEmulator) -> None:
    with azure_session(running, TENANT) as client, azure_session(running, OTHER) as other:
        subs = client.get("/subscriptions?api-version=2022-12-01").json()["value"]
        assert len(subs) == 5
        assert all(s["tenantId"] == TENANT and s["state"] == "Enabled" for s in subs)
        assert all(s["id"] == f"/subscriptions/{s['subscriptionId']}" and s["displayName"] for s in subs)
        theirs = other.get("/subscriptions?api-version=2022-12-01").json()["value"]
        assert not {s["subscriptionId"] for s in subs} & {s["subscriptionId"] for s in theirs}
        again = client.get("/subscriptions?api-version=2022-12-01").json()["value"]
        assert again == subs  # deterministic

        made_up = str(uuid.uuid4())
        one = client.get(f"/subscriptions/{made_up}?api-version=2022-12-01").json()
        assert one["subscriptionId"] == made_up and one["tenantId"] == TENANT
        listed = client.get("/subscriptions?api-version=2022-12-01").json()["value"]
        assert made_up in {s["subscriptionId"] for s in listed}


def test_descendants_walk_the_whole_tree(running: RunningEmulator) -> None:
    with azure_session(running, TENANT) as client:
        everything = client.get(f"{MG}{TENANT}/descendants?api-version=2020-05-01").json()["value"]
        groups = [d for d in everything if d["type"] == "Microsoft.Management/managementGroups"]
        subs = [d for d in everything if d["type"] == "Microsoft.Management/managementGroups/subscriptions"]
        assert len(groups) == 3 and len(subs) == 5
        assert all(s["id"] == f"/subscriptions/{s['name']}" for s in subs)
        assert all(d["properties"]["parent"]["id"].startswith(MG) for d in everything)
        workloads = next(g for g in groups if g["properties"]["displayName"] == "Workloads")
        below = client.get(f"{MG}{workloads['name']}/descendants?api-version=2020-05-01").json()["value"]
        assert [d["properties"]["displayName"] for d in below if "subscriptions" not in d["type"]] == [
            "Workloads Dev"
        ]
        assert len([d for d in below if d["type"].endswith("/subscriptions")]) == 2
        group = client.get(f"{MG}{workloads['name']}?api-version=2020-05-01").json()
        assert group["properties"]["details"]["parent"]["id"] == f"{MG}{TENANT}"
        assert group["properties"]["tenantId"] == TENANT


def test_control_plane_adds_groups_and_moves_subscriptions(running: RunningEmulator) -> None:
    sub = str(uuid.uuid4())
    control(
        running,
        management_groups=[{"tenant_id": TENANT, "name": "security", "display_name": "Security"}],
        subscriptions=[
            {"tenant_id": TENANT, "subscription_id": sub, "display_name": "sec-01", "parent": "security"}
        ],
    )
    with azure_session(running, TENANT) as client:
        below = client.get(f"{MG}security/descendants?api-version=2020-05-01").json()["value"]
        assert below == [
            {
                "id": f"/subscriptions/{sub}",
                "type": "Microsoft.Management/managementGroups/subscriptions",
                "name": sub,
                "properties": {"displayName": "sec-01", "parent": {"id": f"{MG}security"}},
            }
        ]


def test_preflight_reads_default_to_all_clear(running: RunningEmulator) -> None:
    sub = f"/subscriptions/{uuid.uuid4()}"
    with azure_session(running, TENANT) as client, azure_session(running, TENANT, GRAPH) as graph:
        for scope in (sub, f"{MG}{TENANT}", ""):
            perms = client.get(f"{scope}/{AUTHZ}/permissions?api-version=2022-04-01").json()["value"]
            assert perms == [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]
            denies = client.get(f"{scope}/{AUTHZ}/denyAssignments?api-version=2022-04-01").json()
            assert denies == {"value": []}
        providers = client.get(f"{sub}/providers?api-version=2021-04-01").json()["value"]
        names = {p["namespace"]: p["registrationState"] for p in providers}
        for needed in (
            "Microsoft.Security",
            "Microsoft.Insights",
            "Microsoft.Communication",
            "Microsoft.Datadog",
            "Microsoft.Aadiam",
        ):
            assert names[needed] == "Registered"
        assert graph.get("/v1.0/identity/conditionalAccess/policies").json()["value"] == []
        arm_token = client.get("/v1.0/identity/conditionalAccess/policies")
        assert arm_token.status_code == 404  # that path is Graph's, not ARM's
        refused = httpx.get(
            f"{running.url}/_azure/graph/v1.0/identity/conditionalAccess/policies", headers=client.headers
        )
        assert refused.status_code == 401  # an ARM token is refused by Graph


def test_preflight_knobs_change_the_answers(running: RunningEmulator) -> None:
    mg = f"{MG}{TENANT}"
    policy = {
        "displayName": "Block ARM outside the office",
        "conditions": {"applications": {"includeApplications": ["797f4846-ba00-4fd7-ba43-dac1f8f63013"]}},
        "grantControls": {"operator": "OR", "builtInControls": ["block"]},
    }
    control(
        running,
        permissions=[{"actions": ["*/read"], "notActions": ["Microsoft.Authorization/*/write"]}],
        deny_assignments=[{"denyAssignmentName": "Blueprint lock", "scope": mg}],
        unregistered_providers=["Microsoft.Security", "Microsoft.Datadog"],
        conditional_access_policies=[policy],
    )
    sub = str(uuid.uuid4())
    with azure_session(running, TENANT) as client, azure_session(running, TENANT, GRAPH) as graph:
        perms = client.get(f"{mg}/{AUTHZ}/permissions?api-version=2022-04-01").json()["value"]
        assert perms[0]["actions"] == ["*/read"] and perms[0]["notActions"] == [
            "Microsoft.Authorization/*/write"
        ]
        denies = client.get(f"{mg}/{AUTHZ}/denyAssignments?api-version=2022-04-01").json()["value"]
        assert [d["properties"]["denyAssignmentName"] for d in denies] == ["Blueprint lock"]
        assert denies[0]["id"].startswith(f"{mg}/{AUTHZ}/denyAssignments/")
        elsewhere = client.get(f"{MG}other/{AUTHZ}/denyAssignments?api-version=2022-04-01").json()["value"]
        assert elsewhere == []
        states = {
            p["namespace"]: p["registrationState"]
            for p in client.get(f"/subscriptions/{sub}/providers?api-version=2021-04-01").json()["value"]
        }
        assert (
            states["Microsoft.Security"] == "NotRegistered" and states["Microsoft.Datadog"] == "NotRegistered"
        )
        assert states["Microsoft.Insights"] == "Registered"
        policies = graph.get("/v1.0/identity/conditionalAccess/policies").json()["value"]
        assert len(policies) == 1 and policies[0]["state"] == "enabled" and policies[0]["id"]
        assert policies[0]["conditions"] == policy["conditions"]
    shown = httpx.get(f"{running.url}/_emulator/azure").json()
    assert shown["unregistered_providers"] == ["Microsoft.Security", "Microsoft.Datadog"]


def test_reads_need_a_token_and_an_api_version(running: RunningEmulator) -> None:
    with azure_session(running, TENANT) as client:
        assert client.get("/subscriptions").json()["error"]["code"] == "MissingApiVersionParameter"
    anonymous = httpx.get(f"{running.url}/_azure/arm/subscriptions?api-version=2022-12-01")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_permissions_can_differ_per_scope(running: RunningEmulator) -> None:
    sub = str(uuid.uuid4())
    reader = [{"actions": ["*/read"]}]
    control(
        running, permissions_by_scope={f"{MG}{TENANT}": reader, f"subscriptions/{sub}": [{"actions": ["*"]}]}
    )
    with azure_session(running, TENANT) as client:

        def actions(scope: str) -> list[str]:
            value = client.get(f"{scope}/{AUTHZ}/permissions?api-version=2022-04-01").json()["value"]
            return [a for p in value for a in p["actions"]]

        assert actions(f"{MG}{TENANT}") == ["*/read"]
        assert actions(f"/subscriptions/{sub}") == ["*"]
        assert actions(f"/subscriptions/{sub}/resourceGroups/rg") == ["*"]  # below a listed scope
        assert actions(f"{MG}elsewhere") == ["*"]  # the default list
    refused = httpx.post(f"{running.url}/_emulator/azure", json={"permissions_by_scope": {"x": "all"}})
    assert refused.status_code == 400 and "permissions_by_scope" in refused.json()["error"]
