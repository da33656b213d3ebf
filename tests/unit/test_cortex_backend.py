"""The backend's pure parts: which dialect the options select, and the shared rows of both dialects."""

from __future__ import annotations

import pytest

from cortexkit import errors
from cortexkit.cortex.backend import (
    choose_dialect,
    cortex_account_row,
    cortex_issue_row,
    prisma_account_row,
    prisma_alert_row,
    prisma_env_present,
)
from cortexkit.cortex.models import CloudAccount as CortexAccount
from cortexkit.cortex.models import Instance, Issue
from cortexkit.resources.models import Alert, CloudAccount


def _choose(**kw: object) -> str:
    args: dict[str, object] = {
        "explicit": None,
        "named_profile": None,
        "prisma_env": False,
        "cortex_env": False,
    }
    args.update(kw)
    return choose_dialect(**args)  # type: ignore[arg-type]


def test_both_environments_and_nothing_to_say_which_is_refused_with_the_fix() -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        _choose(prisma_env=True, cortex_env=True)
    assert "--profile NAME or --backend prisma|cortex" in str(caught.value)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"explicit": "Cortex", "prisma_env": True, "cortex_env": True}, "cortex"),
        ({"named_profile": "prisma", "prisma_env": True, "cortex_env": True}, "prisma"),
        ({"named_profile": "cortex"}, "cortex"),
        ({"cortex_env": True}, "cortex"),
        ({"prisma_env": True, "default_profile": "cortex"}, "prisma"),
        ({"default_profile": "cortex"}, "cortex"),
        ({}, "prisma"),
    ],
)
def test_the_order_of_the_choice(kw: dict[str, object], expected: str) -> None:
    assert _choose(**kw) == expected


def test_unknown_backend_name_is_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError, match="use prisma or cortex"):
        _choose(explicit="xdr")


def test_prisma_environment_counts_every_accepted_spelling() -> None:
    assert not prisma_env_present({"CORTEXCLOUD_API_URL": "x"})
    assert prisma_env_present({"PRISMA_API_URL": "x"})
    assert prisma_env_present({"PC_IDENTITY": "x"})
    assert prisma_env_present({"PRISMA_PCPI_URL": "x"})


def test_rows_of_both_dialects_have_one_shape() -> None:
    prisma = prisma_account_row(
        CloudAccount(accountId="sub-1", name="Prod", cloudType="azure", enabled=True, status="ok")
    )
    instance = Instance(instance_id="abc", instance_name="org", cloud_provider="AZURE")
    cortex = cortex_account_row(
        instance, CortexAccount(account_id="sub-2", account_name="Dev", status="DISABLED")
    )
    assert prisma.as_dict().keys() == cortex.as_dict().keys()
    assert (cortex.parent_id, cortex.parent_name, cortex.enabled, cortex.cloud) == (
        "abc",
        "org",
        False,
        "AZURE",
    )
    alert = prisma_alert_row(
        Alert(
            id="P-1",
            status="open",
            alertTime=1_700_000_000_000,
            policy={"name": "pol", "severity": "high"},
            resource={"name": "vm1"},
        )
    )
    issue = cortex_issue_row(
        Issue.model_validate(
            {
                "id": 7,
                "name": "Open bucket",
                "severity": "HIGH",
                "status": {"progress": "NEW"},
                "observation_time": 1_700_000_000_000,
                "asset_names": ["b1", "b2"],
            }
        )
    )
    assert alert.as_dict().keys() == issue.as_dict().keys()
    assert (alert.severity, alert.name, alert.resource, alert.time) == ("high", "pol", "vm1", 1_700_000_000.0)
    assert (issue.id, issue.status, issue.resource, issue.time) == ("7", "NEW", "b1, b2", 1_700_000_000.0)
