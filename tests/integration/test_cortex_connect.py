"""A Cortex instance connects when its template is deployed: create_instance_template -> download the
package -> PUT its template.json as an ARM deployment -> the emulator clock moves -> CONNECTED, the
capabilities Retrieving then settled, the scope's subscriptions as its accounts. All over loopback HTTP."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cortexkit.cortex.client import CortexClient
from cortexkit.cortex.resources.cloud_onboarding import tracking_guid
from cortexkit.emulator.server import RunningEmulator

from .azure_support import MG, advance, azure_session, deployment_path
from .cortex_support import cortex_client

Make = Callable[..., RunningEmulator]
STATUS_DELAY = 60
DEPLOY = 30  # emulator-clock seconds a deployment takes here; real time under load never ends one early
ARM_FILES = {"template.json", "parameters.json", "parameters.sh", "graphAPIRoles.json", "onboard.sh"}


@pytest.fixture
def cortex(make_emulator: Make) -> Iterator[tuple[RunningEmulator, CortexClient]]:
    running = make_emulator(
        alerts=10, accounts=2, status_delay=STATUS_DELAY, cortex_issues=5, cortex_assets=5
    )
    httpx.post(f"{running.url}/_emulator/azure", json={"deployment_delay": DEPLOY}).raise_for_status()
    with cortex_client(running) as client:
        yield running, client


def template_body(tenant: str, name: str, scope: str = "ACCOUNT", **extra: Any) -> dict[str, Any]:
    return {
        "scope": scope,
        "scan_mode": "MANAGED",
        "cloud_provider": "AZURE",
        "account_details": {"organization_id": tenant},
        "instance_name": name,
        "custom_resources_tags": [{"key": "team", "value": "secops"}],
        "collection_configuration": {"audit_logs": {"enabled": True, "collection_method": "AUTOMATED"}},
        "scope_modifications": {"regions": {"enabled": False}},
        "additional_capabilities": {
            "xsiam_analytics": True,
            "data_security_posture_management": False,
            "registry_scanning": True,
            "registry_scanning_options": {"type": "ALL"},
            "serverless_scanning": True,
            "agentless_disk_scanning": True,
        },
        **extra,
    }


def arm_package(url: str) -> dict[str, bytes]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def deploy(running: RunningEmulator, tenant: str, scope: str, files: dict[str, bytes], name: str) -> None:
    """What `onboard.sh` does, through the ARM REST API: template.json with parameters.json."""
    body = {
        "location": "eastus",
        "properties": {
            "mode": "Incremental",
            "template": json.loads(files["template.json"]),
            "parameters": json.loads(files["parameters.json"])["parameters"],
        },
    }
    with azure_session(running, tenant) as arm:
        created = arm.put(deployment_path(scope, name), json=body)
        assert created.status_code == 201, created.text


def create(client: CortexClient, body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    links = client.cloud_onboarding.create_instance_template(body)
    guid = tracking_guid(links)
    assert guid
    return guid, dict(links.manual or {})


def labels(client: CortexClient, guid: str) -> dict[str, str]:
    return {c.name: c.label for c in client.cloud_onboarding.instance(guid).security_capabilities}


def test_deploying_the_arm_package_connects_the_instance(
    cortex: tuple[RunningEmulator, CortexClient],
) -> None:
    running, client = cortex
    tenant, sub = str(uuid.uuid4()), str(uuid.uuid4())
    include = {"subscriptions": {"enabled": True, "type": "INCLUDE", "subscription_ids": [sub]}}
    guid, links = create(client, template_body(tenant, "one-sub", scope_modifications=include))
    assert set(links) == {"ARM", "TF"}

    files = arm_package(links["ARM"])
    assert set(files) == ARM_FILES
    template = json.loads(files["template.json"])
    assert template["parameters"]["trackingGuid"]["defaultValue"] == guid
    assert "subscriptionDeploymentTemplate" in template["$schema"]
    types = [r["type"] for r in template["resources"]]
    assert types[:5] == [
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Authorization/roleDefinitions",
        "Microsoft.Authorization/roleAssignments",
        "Microsoft.Authorization/policyAssignments",
        "Microsoft.PolicyInsights/remediations",
    ]
    assert "Microsoft.Insights/diagnosticSettings" in types  # audit logs are on
    policy = next(r for r in template["resources"] if r["type"].endswith("policyAssignments"))
    assert "Cortex" in policy["properties"]["displayName"]
    assert b"AUDIT_LOGS-arm_subscription_audit" in files["parameters.sh"]
    assert f"TRACKING_GUID='{guid}'".encode() in files["parameters.sh"]
    assert json.loads(files["parameters.json"])["parameters"]["trackingGuid"] == {"value": guid}
    assert json.loads(files["graphAPIRoles.json"])["appRoleIds"]

    deploy(running, tenant, f"/subscriptions/{sub}", files, f"cortex-{guid}")
    pending = client.cloud_onboarding.find_instance(guid)
    assert pending is not None and pending.status == "PENDING"  # the deployment is still running
    advance(running, DEPLOY + 1)
    connected = client.cloud_onboarding.find_instance(guid)
    assert connected is not None and connected.status == "CONNECTED"
    assert set(labels(client, guid).values()) == {"Retrieving"}
    accounts = list(client.cloud_onboarding.accounts(guid))
    assert [(a.account_id, a.status) for a in accounts] == [(sub, "ACTIVE")]

    advance(running, STATUS_DELAY)
    settled = labels(client, guid)
    assert settled.pop("DSPM") == "Disabled"  # turned off in the template request
    assert set(settled.values()) == {"Connected"}
    assert client.cloud_onboarding.find_instance(guid).status == "CONNECTED"  # type: ignore[union-attr]
    listed = [i for i in client.cloud_onboarding.instances() if i.instance_id == guid]
    assert len(listed) == 1 and listed[0].accounts == 1  # no longer hidden as PENDING


def test_terraform_package_carries_the_same_template(cortex: tuple[RunningEmulator, CortexClient]) -> None:
    _running, client = cortex
    guid, links = create(client, template_body(str(uuid.uuid4()), "tf", scope="ACCOUNT_GROUP"))
    first, second = httpx.get(links["TF"], timeout=10), httpx.get(links["TF"], timeout=10)
    assert first.status_code == 200 and first.headers["content-type"] == "application/gzip"
    assert hashlib.sha256(first.content).digest() == hashlib.sha256(second.content).digest()
    with tarfile.open(fileobj=io.BytesIO(first.content), mode="r:gz") as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    assert set(files) == {"main.tf", "template.json", "terraform.tfvars.json"}
    assert b"azurerm_management_group_template_deployment" in files["main.tf"]
    assert json.loads(files["terraform.tfvars.json"])["tracking_guid"] == guid
    assert json.loads(files["terraform.tfvars.json"])["tags"] == {
        "team": "secops",
        "managed_by": "paloaltonetworks",
    }
    assert files["template.json"] == arm_package(links["ARM"])["template.json"]
    assert "managementGroupDeploymentTemplate" in json.loads(files["template.json"])["$schema"]


def test_management_group_and_tenant_scopes_bring_their_subscriptions(
    cortex: tuple[RunningEmulator, CortexClient],
) -> None:
    running, client = cortex
    tenant = str(uuid.uuid4())
    with azure_session(running, tenant) as arm:
        below = arm.get(f"{MG}{tenant}/descendants?api-version=2020-05-01").json()["value"]
    all_subs = sorted(d["name"] for d in below if d["type"].endswith("/subscriptions"))
    excluded = all_subs[0]
    exclude = {"subscriptions": {"enabled": True, "type": "EXCLUDE", "subscription_ids": [excluded]}}
    mg_guid, mg_links = create(
        client, template_body(tenant, "mg", scope="ACCOUNT_GROUP", scope_modifications=exclude)
    )
    org_guid, org_links = create(client, template_body(tenant, "org", scope="ORGANIZATION"))
    deploy(running, tenant, f"{MG}{tenant}", arm_package(mg_links["ARM"]), "cortex-mg")
    deploy(running, tenant, "", arm_package(org_links["ARM"]), "cortex-org")
    advance(running, DEPLOY + 1)
    mg_accounts = sorted(a.account_id for a in client.cloud_onboarding.accounts(mg_guid))
    assert mg_accounts == [s for s in all_subs if s != excluded]
    org_accounts = sorted(a.account_id for a in client.cloud_onboarding.accounts(org_guid))
    assert org_accounts == all_subs


def test_warning_and_error_outcomes_from_the_control_plane(
    cortex: tuple[RunningEmulator, CortexClient],
) -> None:
    running, client = cortex
    knobs = f"{running.url}/_emulator/cortex"
    tenant = str(uuid.uuid4())
    warn = {"status": "Warning", "message": "Audit logs: no events in 24 hours", "instance_name": "warned"}
    assert httpx.post(knobs, json={"capability_outcome": warn}).status_code == 200
    shown = httpx.post(knobs, json={"capability_outcome": {"status": "Error", "capability": "ADS"}}).json()
    assert shown["capability_outcome"]["status"] == "Error" and "warned" in shown["capability_outcomes"]

    created = {name: create(client, template_body(tenant, name)) for name in ("warned", "errored", "plain")}
    for name, (_guid, links) in created.items():
        deploy(running, tenant, f"/subscriptions/{uuid.uuid4()}", arm_package(links["ARM"]), f"cortex-{name}")
    advance(running, DEPLOY + 1)
    assert {name: client.cloud_onboarding.find_instance(g).status for name, (g, _) in created.items()} == {  # type: ignore[union-attr]
        "warned": "CONNECTED",
        "errored": "CONNECTED",
        "plain": "CONNECTED",
    }
    advance(running, STATUS_DELAY)
    details = {name: client.cloud_onboarding.instance(g) for name, (g, _) in created.items()}
    audit = next(c for c in details["warned"].security_capabilities if c.name == "AUDIT_LOGS")
    assert audit.label == "Warning" and (audit.model_extra or {})["message"] == warn["message"]
    ads = next(c for c in details["errored"].security_capabilities if c.name == "ADS")
    assert ads.label == "Error" and "ADS" in (ads.model_extra or {})["message"]
    # The order of connects decides which instance took the "next connect" outcome: only one of the two.
    assert {c.label for c in details["plain"].security_capabilities} <= {"Connected", "Disabled"}
    statuses = {name: client.cloud_onboarding.find_instance(g).status for name, (g, _) in created.items()}  # type: ignore[union-attr]
    assert statuses == {"warned": "WARNING", "errored": "ERROR", "plain": "CONNECTED"}
    assert httpx.get(knobs).json()["capability_outcome"] is None  # used up by one connect

    refused = httpx.post(knobs, json={"capability_outcome": {"status": "Sideways"}})
    assert refused.status_code == 400 and "status must be one of" in refused.json()["error"]
    refused = httpx.post(knobs, json={"capability_outcome": {"status": "Error", "capability": "NOPE"}})
    assert refused.status_code == 400 and "capability" in refused.json()["error"]


def test_failed_deployment_leaves_it_pending_until_a_redeploy_succeeds(
    cortex: tuple[RunningEmulator, CortexClient],
) -> None:
    running, client = cortex
    tenant, scope = str(uuid.uuid4()), f"/subscriptions/{uuid.uuid4()}"
    guid, links = create(client, template_body(tenant, "retry"))
    files = arm_package(links["ARM"])
    httpx.post(f"{running.url}/_emulator/azure", json={"deployment_failure": {"code": "PolicyViolation"}})
    deploy(running, tenant, scope, files, "cortex")
    advance(running, DEPLOY + 1)
    with azure_session(running, tenant) as arm:
        assert arm.get(deployment_path(scope, "cortex")).json()["properties"]["provisioningState"] == "Failed"
        assert client.cloud_onboarding.find_instance(guid).status == "PENDING"  # type: ignore[union-attr]
        again = arm.put(deployment_path(scope, "cortex"), json=_body(files))
        assert again.status_code == 200
    advance(running, DEPLOY + 1)
    assert client.cloud_onboarding.find_instance(guid).status == "CONNECTED"  # type: ignore[union-attr]


def _body(files: dict[str, bytes]) -> dict[str, Any]:
    return {
        "location": "eastus",
        "properties": {"mode": "Incremental", "template": json.loads(files["template.json"])},
    }


def test_expired_links_are_refused_and_edit_instance_gives_fresh_ones(
    cortex: tuple[RunningEmulator, CortexClient],
) -> None:
    running, client = cortex
    guid, links = create(client, template_body(str(uuid.uuid4()), "expiring"))
    advance(running, 7 * 86400 + 1)
    expired = httpx.get(links["ARM"], timeout=10)
    assert expired.status_code == 400 and b"ExpiredToken" in expired.content
    fresh = client.cloud_onboarding.edit_instance(guid, {})
    assert tracking_guid(fresh) == guid
    assert set(arm_package((fresh.manual or {})["ARM"])) == ARM_FILES
    tampered = (fresh.manual or {})["ARM"].replace(guid, "0" * 32)
    assert httpx.get(tampered, timeout=10).status_code == 403  # the signature covers the name
    client.cloud_onboarding.delete_instances([guid])
    gone = httpx.get((fresh.manual or {})["ARM"], timeout=10)
    assert gone.status_code == 404 and b"NoSuchKey" in gone.content


def test_redeploying_after_edit_instance_clears_pending_changes(
    cortex: tuple[RunningEmulator, CortexClient],
) -> None:
    running, client = cortex
    tenant, first_sub, second_sub = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    guid, links = create(client, template_body(tenant, "edited"))
    deploy(running, tenant, f"/subscriptions/{first_sub}", arm_package(links["ARM"]), "cortex-1")
    advance(running, DEPLOY + 1)
    fresh = client.cloud_onboarding.edit_instance(guid, {"instance_name": "edited-2"})
    edited = client.cloud_onboarding.find_instance(guid)
    assert edited is not None and edited.is_pending_changes == 1 and edited.instance_name == "edited-2"
    deploy(
        running, tenant, f"/subscriptions/{second_sub}", arm_package((fresh.manual or {})["ARM"]), "cortex-2"
    )
    advance(running, DEPLOY + 1)
    rerun = client.cloud_onboarding.find_instance(guid)
    assert rerun is not None and rerun.is_pending_changes == 0 and rerun.status == "CONNECTED"
    assert [a.account_id for a in client.cloud_onboarding.accounts(guid)] == [second_sub]
