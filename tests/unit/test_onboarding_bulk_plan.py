"""CSV import, the dry-run plan, event rendering and terraform output mapping (all pure)."""

from __future__ import annotations

import pytest

from cortexkit.onboarding.bulk import parse_csv, run_all
from cortexkit.onboarding.context import StepFailedError
from cortexkit.onboarding.events import format_event
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.permissions import custom_actions, rbac_scope
from cortexkit.onboarding.plan import SECRET_MARKER, plan
from cortexkit.onboarding.provisioners.terraform import map_outputs
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT

HEADER = "name,subscription_id,tenant_id,client_id,service_principal_id,features,monitor_flow_logs\n"


def test_good_rows_become_specs_bad_rows_report_their_line() -> None:
    other = SUB[:-1] + "9"
    text = (
        HEADER
        + f"prod,{SUB},{TENANT},{CLIENT},{SP},Remediation;Agentless Scanning,true\n"
        + f"bad,not-a-guid,{TENANT},{CLIENT},{SP},,false\n"
        + "\n"
        + f"dup,{SUB},{TENANT},{CLIENT},{SP},,no\n"
        + f"flag,{other},{TENANT},{CLIENT},{SP},,maybe\n"
    )
    specs, errors = parse_csv(text)
    assert [s.name for s in specs] == ["prod"]
    assert specs[0].features == ("Remediation", "Agentless Scanning") and specs[0].monitor_flow_logs
    assert [(e.line, e.field) for e in errors] == [
        (3, "subscription_id"),
        (5, "subscription_id"),
        (6, "monitor_flow_logs"),
    ]
    assert "Duplicate of line 2" in errors[1].message
    assert str(errors[0]).startswith("line 3: subscription_id:")


def test_a_name_repeated_in_the_file_is_an_error_of_the_later_row() -> None:
    other = SUB[:-1] + "9"
    text = HEADER + f"prod,{SUB},{TENANT},{CLIENT},{SP},,\n" + f"prod,{other},{TENANT},{CLIENT},{SP},,\n"
    specs, errors = parse_csv(text)
    assert [s.name for s in specs] == ["prod"]
    assert [(e.line, e.field, e.message) for e in errors] == [
        (3, "name", "Same name as line 2; names are unique.")
    ]


def test_a_value_over_the_field_limit_is_one_clear_error_and_nothing_runs() -> None:
    text = HEADER + f"prod,{SUB},{TENANT},{CLIENT},{SP},,\n" + '"' + "x" * 140_000 + "\n"
    specs, errors = parse_csv(text)
    assert specs == [] and len(errors) == 1
    assert "longer than 128 KB" in errors[0].message and errors[0].line == 3


def test_unknown_column_and_empty_file_are_reported() -> None:
    assert parse_csv("")[1][0].field == "header"
    specs, errors = parse_csv("name,password\nx,y\n")
    assert specs == [] and "password" in errors[0].message


def test_extra_values_are_a_row_error() -> None:
    _, errors = parse_csv(HEADER + f"a,{SUB},{TENANT},{CLIENT},{SP},,false,extra\n")
    assert errors[0].line == 2 and errors[0].field == "row"


def test_run_all_keeps_input_order() -> None:
    assert run_all(["a", "b", "c"], str.upper, concurrency=2) == ["A", "B", "C"]


def spec(**over: object) -> JobSpec:
    data: dict[str, object] = {
        "name": "p",
        "subscription_id": SUB,
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "service_principal_id": SP,
    }
    data.update(over)
    return JobSpec.model_validate(data)


def test_plan_lists_every_prisma_call_in_order_without_the_secret() -> None:
    calls = plan(spec())
    paths = [(c.method, c.path) for c in calls]
    assert paths[:3] == [
        ("POST", "/login"),
        ("GET", "/cloud/group/name"),
        ("POST", "/cas/v1/features/cloud/azure"),
    ]
    assert paths.index(("GET", f"/cloud/azure/{SUB}")) < paths.index(("POST", "/cas/v1/azure_account"))
    assert ("GET", "/cloud") not in paths  # the tenant's list is read only on the add step's rare paths
    assert ("GET", f"/account/{SUB}/config/status") in paths
    add = next(c for c in calls if c.path == "/cas/v1/azure_account")
    assert add.body is not None and add.body["key"] == SECRET_MARKER


def test_plan_for_azure_api_and_terraform_shows_identity_calls() -> None:
    api_calls = plan(spec(provisioner="azure-api", monitor_flow_logs=True))
    services = {c.service for c in api_calls}
    assert {"entra", "graph", "arm"} <= services
    role = next(c for c in api_calls if "roleDefinitions" in c.path)
    assert role.body is not None
    actions = role.body["properties"]["permissions"][0]["actions"]
    assert any("queryFlowLogStatus" in a for a in actions)
    assert role.params == {"api-version": "2022-04-01"}
    tf_calls = plan(spec(provisioner="terraform", client_id=None, service_principal_id=None))
    assert next(c.path for c in tf_calls if c.service == "local") == "terraform init"


def test_least_privilege_grows_only_with_features() -> None:
    base = custom_actions(spec())
    assert not any("write" in a.lower() for a in base)
    assert len(custom_actions(spec(features=["Remediation"]))) > len(base)
    assert rbac_scope(spec()) == f"subscriptions/{SUB}"
    tenant = spec(account_type="tenant", subscription_id=None, client_id=CLIENT)
    assert rbac_scope(tenant) is None
    assert rbac_scope(tenant.model_copy(update={"root_sync_enabled": True})) is not None


@pytest.mark.parametrize(
    "outputs",
    [
        {
            "c__application_client_id": {"value": "c"},
            "d__application_client_secret": {"value": "k"},
            "e__enterprise_application_object_id": {"value": "s"},
        },
        {"b_application_id": "c", "c_application_key": "k", "e_service_principal_object_id": "s"},
    ],
)
def test_terraform_outputs_map_for_subscription_and_tenant(outputs: dict[str, object]) -> None:
    client_id, key, sp = map_outputs(outputs)
    assert (client_id, key.reveal(), sp) == ("c", "k", "s")


def test_terraform_outputs_missing_a_field_fail_clearly() -> None:
    with pytest.raises(StepFailedError, match="c_application_key"):
        map_outputs({"b_application_id": "c", "e_service_principal_object_id": "s"})


def test_event_lines_are_short_and_skip_checkpoints() -> None:
    assert format_event("abcdef123456", "step", {"step": "add_account", "state": "done"}) == (
        "[abcdef12] Add the account: done"
    )
    assert format_event("abcdef123456", "checkpoint", {"step": "x", "keys": ["a"]}) is None
    log = format_event(
        "j", "log", {"step": "verify", "message": "Flow Logs is warning", "remediation": "enable"}
    )
    assert log == "[j] Verify ingestion: Flow Logs is warning (remediation: enable)"
    line = format_event("j", "status", {"components": [{"name": "Config", "status": "ok"}]})
    assert line == "[j] status: Config=ok"
