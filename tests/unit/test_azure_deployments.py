"""The ARM deployment and preflight request builders, and the pure readings of their answers."""

from __future__ import annotations

import pytest

from cortexkit.azure import deployments, preflight

SUB = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("kind", "kwargs", "path"),
    [
        ("subscription", {"subscription_id": SUB}, f"subscriptions/{SUB}"),
        (
            "management-group",
            {"management_group_id": "mg1"},
            "providers/Microsoft.Management/managementGroups/mg1",
        ),
        ("tenant", {}, ""),
    ],
)
def test_the_three_scopes_prefix_the_deployment_path(kind: str, kwargs: dict[str, str], path: str) -> None:
    scope = deployments.scope_path(kind, **kwargs)
    assert scope == path
    request = deployments.create_or_update(scope, "dep-1", {"location": "eastus"})
    expected = f"{path}/providers/Microsoft.Resources/deployments/dep-1".lstrip("/")
    assert (request.api, request.method, request.path) == ("arm", "PUT", expected)
    assert request.params == {"api-version": "2021-04-01"}
    assert request.idempotent  # a PUT to a fixed name: a resend meets 409 DeploymentActive at worst
    assert deployments.get(scope, "dep-1").path == expected
    assert deployments.what_if(scope, "dep-1", {}).path == expected + "/whatIf"
    assert deployments.what_if(scope, "dep-1", {}).method == "POST"
    assert deployments.operations(scope, "dep-1").path == expected + "/operations"


def test_a_scope_without_its_id_or_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="subscription id"):
        deployments.scope_path("subscription")
    with pytest.raises(ValueError, match="management group id"):
        deployments.scope_path("management-group")
    with pytest.raises(ValueError, match="unknown deployment scope"):
        deployments.scope_path("resource-group")
    with pytest.raises(ValueError, match="not a deployment name"):
        deployments.get("", "bad name/with slash")


def test_the_body_wraps_plain_parameter_values_and_keeps_arm_ones() -> None:
    body = deployments.deployment_body(
        {"resources": []},
        {"trackingGuid": {"value": "abc"}, "tags": {"a": "b"}, "n": 3},
        location="westeurope",
    )
    assert body == {
        "location": "westeurope",
        "properties": {
            "mode": "Incremental",
            "template": {"resources": []},
            "parameters": {
                "trackingGuid": {"value": "abc"},
                "tags": {"value": {"a": "b"}},
                "n": {"value": 3},
            },
        },
    }


def test_a_location_url_is_polled_relative_to_the_arm_base() -> None:
    url = "http://127.0.0.1:9/_azure/arm/subscriptions/s/operationresults/abc?api-version=2021-04-01"
    request = deployments.poll(url, "http://127.0.0.1:9/_azure/arm")
    assert request.path == "subscriptions/s/operationresults/abc"
    assert request.params == {"api-version": "2021-04-01"}
    with pytest.raises(ValueError, match="is not on"):
        deployments.poll("https://evil.example/x", "http://127.0.0.1:9/_azure/arm")


def test_answers_read_into_state_error_changes_and_resources() -> None:
    failed = {
        "properties": {
            "provisioningState": "Failed",
            "error": {
                "code": "DeploymentFailed",
                "message": "x",
                "details": [{"code": "Quota", "message": "y"}],
            },
        }
    }
    assert deployments.state_of(failed) == "Failed"
    assert deployments.error_of(failed) == "DeploymentFailed: x; Quota: y"
    assert deployments.error_of({"properties": {"provisioningState": "Succeeded"}}) == ""
    what_if = {
        "status": "Succeeded",
        "properties": {"changes": [{"resourceId": "/r/1", "changeType": "Create"}]},
    }
    assert deployments.changes_of(what_if) == [{"resource_id": "/r/1", "change": "Create"}]
    ops = {
        "value": [
            {
                "properties": {
                    "provisioningState": "Succeeded",
                    "targetResource": {
                        "resourceType": "Microsoft.Authorization/policyAssignments",
                        "resourceName": "p",
                    },
                }
            },
            {"properties": None},
        ]
    }
    assert deployments.resources_of(ops) == [
        {"type": "Microsoft.Authorization/policyAssignments", "name": "p", "state": "Succeeded"}
    ]


def test_preflight_builders() -> None:
    mg = deployments.scope_path("management-group", management_group_id="root")
    assert preflight.permissions(mg).path == f"{mg}/providers/Microsoft.Authorization/permissions"
    assert preflight.deny_assignments(mg).path == f"{mg}/providers/Microsoft.Authorization/denyAssignments"
    assert preflight.providers(SUB).path == f"subscriptions/{SUB}/providers"
    assert preflight.subscriptions().params == {"api-version": "2022-12-01"}
    assert preflight.descendants("root").path == f"{mg}/descendants"
    ca = preflight.conditional_access_policies()
    assert (ca.api, ca.path) == ("graph", "v1.0/identity/conditionalAccess/policies")


def test_permissions_honour_wildcards_and_not_actions() -> None:
    answer = {"value": [{"actions": ["*"], "notActions": ["Microsoft.Authorization/*/write"]}]}
    needed = ["Microsoft.Resources/deployments/write", "Microsoft.Authorization/roleAssignments/write"]
    assert preflight.missing_actions(answer, needed) == ["Microsoft.Authorization/roleAssignments/write"]
    assert preflight.missing_actions({"value": [{"actions": ["*"]}]}, needed) == []
    assert preflight.missing_actions({"value": []}, needed[:1]) == needed[:1]


def test_subscriptions_descendants_providers_deny_and_conditional_access_readings() -> None:
    subs = {
        "value": [
            {"subscriptionId": "a", "state": "Enabled", "tenantId": "T"},
            {"id": "/subscriptions/b", "state": "Enabled", "tenantId": "t"},
            {"subscriptionId": "c", "state": "Disabled", "tenantId": "T"},
            {"subscriptionId": "d", "state": "Enabled", "tenantId": "other"},
        ]
    }
    assert preflight.subscription_ids(subs, "t") == ["a", "b"]
    tree = {
        "value": [
            {"type": "Microsoft.Management/managementGroups", "name": "child"},
            {"type": "Microsoft.Management/managementGroups/subscriptions", "name": "s1"},
        ]
    }
    assert preflight.descendant_subscription_ids(tree) == ["s1"]
    providers = {"value": [{"namespace": "Microsoft.Security", "registrationState": "Registered"}]}
    assert preflight.unregistered(providers, ["microsoft.security", "Microsoft.Insights"]) == [
        "Microsoft.Insights"
    ]
    deny = {"value": [{"name": "x", "properties": {"denyAssignmentName": "Blueprint lock"}}]}
    assert preflight.deny_names(deny) == ["Blueprint lock"]
    policies = {
        "value": [
            {
                "displayName": "MFA for ARM",
                "state": "enabled",
                "conditions": {"applications": {"includeApplications": [preflight.ARM_APP_ID]}},
            },
            {
                "displayName": "report only",
                "state": "enabledForReportingButNotEnforced",
                "conditions": {"applications": {"includeApplications": ["All"]}},
            },
            {
                "displayName": "all but ARM",
                "state": "enabled",
                "conditions": {
                    "applications": {
                        "includeApplications": ["All"],
                        "excludeApplications": [preflight.ARM_APP_ID],
                    }
                },
            },
        ]
    }
    assert preflight.blocking_policies(policies) == ["MFA for ARM"]
