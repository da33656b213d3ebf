"""The Azure `create_instance_template` body from a spec: the reference's example, and every refusal."""

from __future__ import annotations

import pytest

from cortexkit.cortex.template import AzureTemplateSpec, field_errors, request_data

TENANT = "11111111-2222-4333-8444-555555555555"
SUB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
OTHER = "99999999-8888-4777-8666-555555555555"


def test_one_subscription_gives_the_reference_example_with_the_providers_defaults() -> None:
    # reference/cortex-api.md §3.2 "Azure example, with [TF] defaults filled in", field for field.
    assert request_data(AzureTemplateSpec(TENANT, "sub-prod-01", subscription_id=SUB)) == {
        "scope": "ACCOUNT",
        "scan_mode": "MANAGED",
        "cloud_provider": "AZURE",
        "account_details": {"organization_id": TENANT},
        "instance_name": "sub-prod-01",
        "custom_resources_tags": [{"key": "managed_by", "value": "paloaltonetworks"}],
        "collection_configuration": {
            "audit_logs": {"enabled": True, "collection_method": "AUTOMATED", "data_events": False}
        },
        "scope_modifications": {
            "subscriptions": {"enabled": True, "type": "INCLUDE", "subscription_ids": [SUB]},
            "regions": {"enabled": False},
        },
        "additional_capabilities": {
            "xsiam_analytics": True,
            "data_security_posture_management": False,
            "registry_scanning": True,
            "registry_scanning_options": {"type": "ALL"},
            "serverless_scanning": True,
            "agentless_disk_scanning": True,
        },
    }


def test_tenant_scope_with_exclusions_tags_and_capability_overrides() -> None:
    body = request_data(
        AzureTemplateSpec(
            TENANT,
            "acme",
            scope="tenant",
            exclude=(OTHER,),
            capabilities={"data_security_posture_management": True, "serverless_scanning": False},
            audit_logs=False,
            tags={"env": "prod"},
            registry_scanning_type="TAGS_MODIFIED_DAYS",
            registry_scanning_days=30,
        )
    )
    assert body["scope"] == "ORGANIZATION"
    assert body["scope_modifications"]["subscriptions"] == {
        "enabled": True,
        "type": "EXCLUDE",
        "subscription_ids": [OTHER],
    }
    assert body["custom_resources_tags"] == [
        {"key": "managed_by", "value": "paloaltonetworks"},
        {"key": "env", "value": "prod"},
    ]
    caps = body["additional_capabilities"]
    assert caps["data_security_posture_management"] and not caps["serverless_scanning"]
    assert caps["registry_scanning_options"] == {"type": "TAGS_MODIFIED_DAYS", "last_days": 30}
    assert body["collection_configuration"]["audit_logs"]["enabled"] is False
    whole = request_data(AzureTemplateSpec(TENANT, "acme", scope="tenant"))
    assert whole["scope_modifications"]["subscriptions"] == {"enabled": False}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (AzureTemplateSpec("not-a-guid", "n", subscription_id=SUB), "tenant_id"),
        (AzureTemplateSpec(TENANT, "  ", subscription_id=SUB), "name"),
        (AzureTemplateSpec(TENANT, "n"), "subscription_id"),
        (AzureTemplateSpec(TENANT, "n", scope="account"), "scope"),
        (AzureTemplateSpec(TENANT, "n", scope="management-group"), "scope"),
        (AzureTemplateSpec(TENANT, "n", subscription_id=SUB, include=(OTHER,)), "include"),
        (AzureTemplateSpec(TENANT, "n", scope="tenant", include=(SUB,), exclude=(OTHER,)), "exclude"),
        (AzureTemplateSpec(TENANT, "n", scope="tenant", include=("x",)), "include"),
        (AzureTemplateSpec(TENANT, "n", subscription_id=SUB, capabilities={"cspm": True}), "capabilities"),
        (
            AzureTemplateSpec(TENANT, "n", subscription_id=SUB, registry_scanning_type="ECR"),
            "registry_scanning_type",
        ),
        (
            AzureTemplateSpec(TENANT, "n", subscription_id=SUB, registry_scanning_type="TAGS_MODIFIED_DAYS"),
            "registry_scanning_days",
        ),
        (AzureTemplateSpec(TENANT, "n", subscription_id=SUB, tags={"managed_by": "me"}), "tags"),
    ],
)
def test_each_problem_is_named_by_field_and_refused(spec: AzureTemplateSpec, field: str) -> None:
    problems = field_errors(spec)
    assert problems.get(field)
    with pytest.raises(ValueError, match=field):
        request_data(spec)
