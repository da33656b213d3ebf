"""Azure onboarding v2 and v1 over HTTP: features, template, pre-check, add/update, status timeline."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.integration.routes_support import private_emulator, redlock_keys, redlock_subject

SUBSCRIPTION_OUTPUTS = {
    "a__directory_tenant_id",
    "b__subscription_id",
    "c__application_client_id",
    "d__application_client_secret",
    "e__enterprise_application_object_id",
}
TENANT_OUTPUTS = {
    "a_active_directory_id",
    "b_application_id",
    "c_application_key",
    "d_application_key_expiration",
    "e_service_principal_object_id",
    "f_consent_link",
}


def _body(name: str, subscription: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "cloudAccount": {
            "accountType": "account",
            "accountId": subscription or str(uuid.uuid4()),
            "name": name,
        },
        "clientId": str(uuid.uuid4()),
        "key": "client-secret-value-do-not-echo",
        "tenantId": str(uuid.uuid4()),
        "servicePrincipalId": str(uuid.uuid4()),
        "environmentType": "azure",
        "monitorFlowLogs": True,
        "features": [{"name": "Remediation", "state": "enabled"}],
        **extra,
    }


def test_supported_features_per_account_type() -> None:
    with private_emulator() as (_, client):
        sub = client.post("/cas/v1/features/cloud/azure", json={"accountType": "account"}).json()
        assert "Remediation" in sub["supportedFeatures"]
        root = client.post(
            "/cas/v1/features/cloud/azure", json={"accountType": "tenant", "rootSyncEnabled": True}
        )
        assert root.json()["accountType"] == "tenantWithMgmt"
        entra = client.post("/cas/v1/features/cloud/azure", json={"accountType": "tenant"}).json()
        assert entra["supportedFeatures"] == ["Cloud Visibility Compliance and Governance"]
        bad = client.post("/cas/v1/features/cloud/azure", json={"accountType": "galaxy"})
        assert bad.status_code == 400
        assert set(bad.json()) == {"status", "timestamp", "message", "debugMessage"}


def test_templates_carry_the_documented_outputs() -> None:
    with private_emulator() as (_, client):
        tenant = str(uuid.uuid4())
        sub = client.post(
            "/cas/v1/azure_template",
            json={
                "accountType": "account",
                "tenantId": tenant,
                "subscriptionId": str(uuid.uuid4()),
                "features": ["Agentless Scanning"],
            },
        )
        assert sub.status_code == 200
        doc = sub.json()
        assert {"output", "provider", "resource", "variable", "terraform"} <= set(doc)
        assert set(doc["output"]) == SUBSCRIPTION_OUTPUTS
        assert "Microsoft.Compute/snapshots/write" in doc["variable"]["custom_role_actions"]["default"]
        root = client.post(
            "/cas/v1/azure_template",
            json={"accountType": "tenant", "tenantId": tenant, "rootSyncEnabled": True},
        ).json()
        assert set(root["output"]) == TENANT_OUTPUTS
        assert root["data"]["azurerm_management_group"]["tenant_root_group"]["name"] == tenant
        entra = client.post(
            "/cas/v1/azure_template", json={"accountType": "tenant", "tenantId": tenant}
        ).json()
        assert "azurerm_role_assignment" not in entra["resource"]
        base = client.post(
            "/cas/v1/azure_template",
            json={
                "accountType": "account",
                "tenantId": tenant,
                "subscriptionId": str(uuid.uuid4()),
                "features": ["Cloud Visibility Compliance and Governance"],
            },
        )
        assert base.status_code == 400
        china = client.post(
            "/cas/v1/azure_template",
            json={"accountType": "tenant", "tenantId": tenant, "deploymentType": "azure_china"},
        )
        assert china.status_code == 400


def test_add_then_duplicate_then_status_timeline() -> None:
    with private_emulator(status_delay=120) as (_, client):
        body = _body("prod-subscription")
        pre = client.post("/cas/v1/cloud_account/status/azure", json=body)
        assert pre.status_code == 200
        assert {c["status"] for c in pre.json()} == {"ok"}
        added = client.post("/cas/v1/azure_account", json=body)
        assert added.status_code == 200
        assert added.content == b""
        subscription = body["cloudAccount"]["accountId"]

        dup = client.post("/cas/v1/azure_account", json=body)
        assert dup.status_code == 400
        assert redlock_keys(dup) == ["duplicate_cloud_account"]
        assert dup.json()["debugMessage"] == "duplicate_cloud_account"
        same_name = client.post("/cas/v1/azure_account", json=_body("prod-subscription"))
        assert redlock_keys(same_name) == ["duplicate_cloud_account_name"]

        listed = {a["accountId"]: a for a in client.get("/cloud").json()}
        assert listed[subscription]["status"] == "pending"
        assert subscription in {n["id"] for n in client.get("/cloud/name").json()}
        detail = client.get(f"/cloud/azure/{subscription}")
        assert detail.status_code == 200
        assert "client-secret-value-do-not-echo" not in detail.text
        assert "key" not in detail.json()

        statuses = client.get(f"/account/{subscription}/config/status").json()
        assert {c["status"] for c in statuses} == {"pending"}
        client.post("/_emulator/clock", json={"advance": 70})
        mid = client.get(f"/account/{subscription}/config/status").json()
        base = next(c for c in mid if c["name"] == "Cloud Visibility Compliance and Governance")
        assert {s["name"]: s["status"] for s in base["subComponents"]}["Config"] == "ok"
        client.post("/_emulator/clock", json={"advance": 60})
        settled = client.get(f"/account/{subscription}/config/status").json()
        assert {c["status"] for c in settled} == {"ok"}
        assert client.get("/cloud").json()[-1]["status"] == "ok"


def test_a_name_containing_warn_settles_on_warning_with_remediation() -> None:
    with private_emulator(status_delay=10) as (_, client):
        body = _body("lab-warn-subscription")
        pre = client.post("/cas/v1/cloud_account/status/azure", json=body).json()
        assert "warning" in {c["status"] for c in pre}
        assert client.post("/cas/v1/azure_account", json=body).status_code == 200
        client.post("/_emulator/clock", json={"advance": 11})
        settled = client.get(f"/account/{body['cloudAccount']['accountId']}/config/status").json()
        warnings = [c for c in settled if c["status"] == "warning"]
        assert warnings
        assert all(c["message"] and c["remediation"] for c in warnings)


def test_validation_errors_use_the_documented_keys() -> None:
    with private_emulator() as (_, client):
        bad_id = _body("a", subscription="not-a-uuid")
        assert redlock_keys(client.post("/cas/v1/azure_account", json=bad_id)) == [
            "invalid_account_id_format"
        ]
        groups = _body("b")
        groups["cloudAccount"]["groupIds"] = ["no-such-group"]
        assert redlock_keys(client.post("/cas/v1/azure_account", json=groups)) == [
            "invalid_account_group_ids"
        ]
        wrong_type = _body("c")
        wrong_type["cloudAccount"]["accountType"] = "organization"
        response = client.post("/cas/v1/azure_account", json=wrong_type)
        assert response.status_code == 404
        assert redlock_keys(response) == ["invalid_account_type"]
        no_key = _body("d")
        del no_key["key"]
        assert client.post("/cas/v1/azure_account", json=no_key).status_code == 400


def test_update_changes_name_and_groups_then_delete() -> None:
    with private_emulator() as (_, client):
        body = _body("before")
        client.post("/cas/v1/azure_account", json=body)
        subscription = body["cloudAccount"]["accountId"]
        group = client.get("/cloud/group").json()[2]
        body["cloudAccount"] = {**body["cloudAccount"], "name": "after", "groupIds": [group["id"]]}
        assert client.put(f"/cas/v1/azure_account/{subscription}", json=body).status_code == 200
        detail = client.get(f"/cloud/azure/{subscription}").json()
        assert detail["name"] == "after"
        assert detail["groupIds"] == [group["id"]]
        assert subscription in client.get(f"/cloud/group/{group['id']}").json()["accountIds"]
        missing = client.put(f"/cas/v1/azure_account/{uuid.uuid4()}", json=body)
        assert missing.status_code == 404
        assert client.delete(f"/cloud/azure/{subscription}").status_code == 200
        assert client.get(f"/cloud/azure/{subscription}").status_code == 404


def test_legacy_v1_add_with_the_seed_document_body() -> None:
    """The flat body seed document 004 shows (no environmentType) works once it names a group and a
    protection mode, which the 2023 spec requires (the seed's `"groupIds": []` is refused); the nested
    form works too. `enabled` defaults to false on v1 (the spec's default)."""
    with private_emulator() as (_, client):
        group = client.get("/cloud/group").json()[0]["id"]
        subscription = str(uuid.uuid4())
        seed_body = {
            "accountId": subscription,
            "accountType": "account",
            "enabled": True,
            "groupIds": [],
            "name": "Azure-Production",
            "clientId": str(uuid.uuid4()),
            "key": "YOUR_CLIENT_SECRET",
            "monitorFlowLogs": True,
            "tenantId": str(uuid.uuid4()),
            "servicePrincipalId": str(uuid.uuid4()),
            "features": [
                {"name": "Cloud Visibility Compliance and Governance", "state": "enabled"},
                {"name": "Agentless Scanning", "state": "enabled"},
            ],
        }
        as_in_seed = client.post("/cloud/azure", json=seed_body)
        assert as_in_seed.status_code == 400
        assert redlock_keys(as_in_seed) == ["missing_required_parameter"]
        assert "cloudAccount.protectionMode" in redlock_subject(as_in_seed)
        seed_body["protectionMode"] = "MONITOR"
        zero_groups = client.post("/cloud/azure", json=seed_body)
        assert redlock_keys(zero_groups) == ["cannot_select_zero_account_groups"]
        seed_body["groupIds"] = [group]
        response = client.post("/cloud/azure", json=seed_body)
        assert response.status_code == 200
        assert response.json() == {
            "accountId": subscription,
            "cloudType": "azure",
            "enabled": True,
            "name": "Azure-Production",
            "status": "onboarded",
        }
        assert "YOUR_CLIENT_SECRET" not in client.get(f"/cloud/azure/{subscription}").text
        dup = client.post("/cloud/azure", json=seed_body)
        assert dup.status_code == 400
        assert dup.content == b""
        assert redlock_keys(dup) == ["duplicate_cloud_account"]
        nested = {
            "cloudAccount": {
                "accountId": str(uuid.uuid4()),
                "groupIds": [group],
                "name": "v1b",
                "accountType": "account",
                "protectionMode": "MONITOR",
            },
            "clientId": str(uuid.uuid4()),
            "key": "k",
            "monitorFlowLogs": False,
            "tenantId": str(uuid.uuid4()),
            "servicePrincipalId": str(uuid.uuid4()),
            "environmentType": "azure",
        }
        added = client.post("/cloud/azure", json=nested)
        assert added.status_code == 200
        assert added.json()["enabled"] is False
        check = client.post(
            "/cloud/status/azure", json={**nested, "cloudAccount": {**nested["cloudAccount"], "name": "v1c"}}
        )
        assert check.status_code == 200


def test_legacy_v1_add_requires_what_the_2023_spec_requires() -> None:
    with private_emulator() as (_, client):
        group = client.get("/cloud/group").json()[0]["id"]
        for missing in ("servicePrincipalId", "monitorFlowLogs"):
            body = _body(f"v1-{missing}")
            body["cloudAccount"] |= {"groupIds": [group], "protectionMode": "MONITOR"}
            del body[missing]
            response = client.post("/cloud/azure", json=body)
            assert response.status_code == 400, missing
            assert redlock_keys(response) == ["missing_required_parameter"]
            assert missing in redlock_subject(response)
        body = _body("v1-no-groups")
        body["cloudAccount"]["protectionMode"] = "MONITOR"
        assert "cloudAccount.groupIds" in redlock_subject(client.post("/cloud/azure", json=body))


def test_zero_account_groups_is_refused_for_a_subscription_on_v2() -> None:
    """Issue 15 item 4: `"groupIds": []` on add and update gives cannot_select_zero_account_groups;
    leaving the key out still picks the Default Account Group."""
    with private_emulator() as (_, client):
        body = _body("zero-groups")
        body["cloudAccount"]["groupIds"] = []
        refused = client.post("/cas/v1/azure_account", json=body)
        assert refused.status_code == 400
        assert redlock_keys(refused) == ["cannot_select_zero_account_groups"]
        del body["cloudAccount"]["groupIds"]
        assert client.post("/cas/v1/azure_account", json=body).status_code == 200
        subscription = body["cloudAccount"]["accountId"]
        body["cloudAccount"]["groupIds"] = []
        update = client.put(f"/cas/v1/azure_account/{subscription}", json=body)
        assert redlock_keys(update) == ["cannot_select_zero_account_groups"]


def test_secrets_never_come_back_anywhere() -> None:
    with private_emulator() as (_, client):
        body = _body("secret-check")
        client.post("/cas/v1/azure_account", json=body)
        texts = [client.get(p).text for p in ("/cloud", "/cloud/name", "/cloud/group")]
        texts.append(
            client.post(
                "/audit/api/v1/log", json={"timeRange": {"type": "to_now", "value": "epoch"}, "limit": 2000}
            ).text
        )
        assert not any(body["key"] in t for t in texts)
        assert json.loads(texts[0])


def test_tenant_with_root_sync_is_onboarded_under_its_tenant_id() -> None:
    with private_emulator() as (_, client):
        tenant = str(uuid.uuid4())
        body = {
            "cloudAccount": {"accountType": "tenant", "name": "contoso-tenant"},
            "clientId": str(uuid.uuid4()),
            "key": "k",
            "tenantId": tenant,
            "servicePrincipalId": str(uuid.uuid4()),
            "environmentType": "azure",
            "rootSyncEnabled": True,
            "hierarchySelection": [
                {
                    "resourceId": tenant,
                    "displayName": "Tenant Root Group",
                    "nodeType": "TENANT",
                    "selectionType": "ALL",
                }
            ],
        }
        assert client.post("/cas/v1/azure_account", json=body).status_code == 200
        detail = client.get(f"/cloud/azure/{tenant}").json()
        assert detail["accountType"] == "tenant"
        assert detail["tenantId"] == tenant
        default = next(g for g in client.get("/cloud/group").json() if g["name"] == "Default Account Group")
        assert detail["groupIds"] == [default["id"]]


def test_legacy_v1_update_renames_and_unknown_is_404() -> None:
    with private_emulator() as (_, client):
        subscription = str(uuid.uuid4())
        body = {
            "accountId": subscription,
            "accountType": "account",
            "groupIds": [client.get("/cloud/group").json()[0]["id"]],
            "protectionMode": "MONITOR",
            "name": "v1-before",
            "clientId": str(uuid.uuid4()),
            "key": "k",
            "tenantId": str(uuid.uuid4()),
            "servicePrincipalId": str(uuid.uuid4()),
            "monitorFlowLogs": False,
        }
        assert client.post("/cloud/azure", json=body).status_code == 200
        renamed = client.put(f"/cloud/azure/{subscription}", json={**body, "name": "v1-after"})
        assert renamed.status_code == 200
        assert client.get(f"/cloud/azure/{subscription}").json()["name"] == "v1-after"
        missing = client.put(f"/cloud/azure/{uuid.uuid4()}", json=body)
        assert missing.status_code == 404
        assert redlock_keys(missing) == ["invalid_account_id_format"]


def test_an_azure_gov_account_shows_the_spec_deployment_type() -> None:
    """Issue 15 item 6: onboarded as `azure_gov`, listed as the spec's AZURE_GOVERNMENT (lower case)."""
    with private_emulator() as (_, client):
        subscription = str(uuid.uuid4())
        body = {
            "cloudAccount": {"accountType": "account", "accountId": subscription, "name": "gov-sub"},
            "clientId": str(uuid.uuid4()),
            "key": "k",
            "tenantId": str(uuid.uuid4()),
            "servicePrincipalId": str(uuid.uuid4()),
            "environmentType": "azure_gov",
        }
        assert client.post("/cas/v1/azure_account", json=body).status_code == 200
        listed = {a["accountId"]: a for a in client.get("/cloud").json()}
        assert listed[subscription]["deploymentType"] == "azure_government"
        assert client.get(f"/cloud/azure/{subscription}").json()["deploymentType"] == "azure_government"
