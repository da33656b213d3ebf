from __future__ import annotations

import pytest

from cortexkit.onboarding.model import GUID_HINT, STEPS, JobSpec, field_errors
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT


def base(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "prod",
        "subscription_id": SUB,
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "service_principal_id": SP,
    }
    data.update(over)
    return data


def test_valid_subscription_has_no_errors_and_builds() -> None:
    assert field_errors(base()) == {}
    spec = JobSpec.model_validate(base(features=["Remediation", "Remediation"]))
    assert spec.prisma_account_id == SUB
    assert spec.requested_features() == ["Remediation"]


def test_guid_fields_are_checked_with_the_shared_hint() -> None:
    errors = field_errors(base(subscription_id="not-a-guid", tenant_id="x"))
    assert errors == {"subscription_id": GUID_HINT, "tenant_id": GUID_HINT}


def test_tenant_takes_no_subscription_and_keys_by_tenant() -> None:
    assert "subscription_id" in field_errors(base(account_type="tenant"))
    spec = JobSpec.model_validate(base(account_type="tenant", subscription_id=None))
    assert spec.prisma_account_id == TENANT


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"provisioner": "pulumi"}, "provisioner"),
        ({"environment": "aws"}, "environment"),
        ({"name": "  "}, "name"),
        ({"service_principal_id": None}, "service_principal_id"),
        ({"provisioner": "terraform", "environment": "azure_china"}, "provisioner"),
        ({"root_sync_enabled": True}, "root_sync_enabled"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_each_rule_names_its_field(over: dict[str, object], field: str) -> None:
    assert field in field_errors(base(**over))


def test_terraform_needs_no_client_ids() -> None:
    assert field_errors(base(provisioner="terraform", client_id=None, service_principal_id=None)) == {}


def test_steps_are_ordered_as_documented() -> None:
    assert STEPS == ("validate", "features", "identity", "preflight", "add_account", "verify")
