"""Resource request builders are pure: check the requests they describe and the parsing of answers."""

from __future__ import annotations

import pytest

from cortexkit import errors
from cortexkit.resources import alerts, azure, cloud_accounts, compute, policies, search
from cortexkit.resources._base import relative
from cortexkit.resources.models import CloudAccount
from cortexkit.retry import is_idempotent


def test_cloud_account_paths_escape_ids() -> None:
    call = cloud_accounts.get_call("azure", "../../login")
    assert call.spec.path == "/cloud/azure/..%2F..%2Flogin"
    assert cloud_accounts.delete_call("azure", "sub-1").spec.method == "DELETE"
    assert cloud_accounts.list_call().spec.params is None
    assert cloud_accounts.list_call(include_pending=True).spec.params == {"includePendingAccounts": True}


def test_models_keep_unknown_fields() -> None:
    parsed = cloud_accounts.get_call("azure", "x").parse({"accountId": "x", "brandNewField": 7})
    assert parsed.accountId == "x"
    assert parsed.model_extra == {"brandNewField": 7}


def test_alert_filters_and_body() -> None:
    body = alerts.search_body(
        filters={"alert.status": "open", "cloud.type": ["azure", "aws"]},
        time_range=relative(7, "day"),
        limit=100,
        sort_by=["alertTime:desc"],
    )
    assert body["filters"] == [
        {"name": "alert.status", "operator": "=", "value": "open"},
        {"name": "cloud.type", "operator": "=", "value": "azure"},
        {"name": "cloud.type", "operator": "=", "value": "aws"},
    ]
    assert body["timeRange"] == {"type": "relative", "value": {"amount": 7, "unit": "day"}}
    assert body["limit"] == 100 and body["sortBy"] == ["alertTime:desc"]
    with pytest.raises(ValueError):
        alerts.search_body(limit=0)


def test_alert_status_changes() -> None:
    dismiss = alerts.dismiss_call(["a1"], note="ok").spec
    assert (dismiss.method, dismiss.path) == ("POST", "/alert/dismiss")
    assert dismiss.json["alerts"] == ["a1"] and dismiss.json["dismissalNote"] == "ok"
    assert "filter" in dismiss.json  # required by the API
    assert not is_idempotent(dismiss.method, dismiss.path)
    snooze = alerts.snooze_call(["a1"], snooze_for=relative(3, "day"), note="later").spec
    assert snooze.json["dismissalTimeRange"] == relative(3, "day")
    assert alerts.reopen_call(["a1"]).spec.path == "/alert/reopen"
    with pytest.raises(ValueError):
        alerts.dismiss_call([], note="nothing")
    with pytest.raises(ValueError):
        alerts.count_call("bogus")
    assert alerts.count_call("open").parse({"count": 42}) == 42


def test_rql_bodies() -> None:
    legacy = search.config_body(
        "config from cloud.resource", time_range=None, page_size=50, with_resource_json=False, api="legacy"
    )
    assert legacy["timeRange"] == {"type": "to_now", "value": "epoch"}
    assert legacy["heuristicSearch"] is True
    v2 = search.config_body("q", time_range=None, page_size=10, with_resource_json=True, api="v2")
    assert "timeRange" not in v2
    with pytest.raises(ValueError):
        search.config_body(" ", time_range=None, page_size=1, with_resource_json=False, api="v1")
    with pytest.raises(ValueError):
        search.audit_body(time_range=None, filters=None, page_size=50)


def test_policies_list_uses_query_filters() -> None:
    spec = policies.list_call({"policy.severity": "high"}).spec
    assert (spec.path, spec.params) == ("/v2/policy", {"policy.severity": "high"})


def test_azure_template_drops_the_always_on_feature() -> None:
    spec = azure.template_call(
        account_type="account",
        tenant_id="t",
        subscription_id="s",
        features=["Remediation", azure.ALWAYS_ON_FEATURE, "Remediation"],
    ).spec
    assert spec.json["features"] == ["Remediation"]
    with pytest.raises(ValueError):
        azure.template_call(account_type="account", tenant_id="t")


def test_azure_add_is_a_changing_call_and_update_is_safe_to_repeat() -> None:
    add = azure.add_call({"key": "secret"}, skip_status_checks=True).spec
    assert add.idempotent is False and add.params == {"skipStatusChecks": "true"}
    update = azure.update_call("acc-1", {}).spec
    assert update.method == "PUT" and is_idempotent(update.method, update.path)
    assert is_idempotent("POST", azure.status_check_call({}).spec.path)
    assert is_idempotent("POST", azure.features_call().spec.path)


def test_find_by_subscription_matches_azure_only_case_insensitively() -> None:
    accounts = [
        CloudAccount(accountId="ABC", cloudType="aws"),
        CloudAccount(accountId="abc", cloudType="azure", name="mine"),
    ]
    found = azure.pick_subscription(accounts, "ABC")
    assert found is not None and found.name == "mine"
    assert azure.pick_subscription(accounts, "zzz") is None


def test_compute_meta_info_and_paths() -> None:
    call = compute.meta_info_call()
    assert call.parse({"twistlockUrl": "https://us-east1.cloud.twistlock.com/us-1-123/"}) == (
        "https://us-east1.cloud.twistlock.com/us-1-123"
    )
    with pytest.raises(errors.UnexpectedResponseError):
        call.parse({"twistlockUrl": "javascript:alert(1)"})
    assert compute.compute_path("images") == "/api/v1/images"
    assert compute.compute_path("/api/v32.00/images") == "/api/v32.00/images"


def test_alert_body_leaves_unset_options_to_the_server() -> None:
    assert alerts.search_body() == {"limit": 500}


@pytest.mark.parametrize("body", [{"error": "x"}, "text", [1, 2], None])
def test_list_of_the_wrong_shape_is_an_error_not_an_empty_list(body: object) -> None:
    with pytest.raises(errors.UnexpectedResponseError):
        cloud_accounts.list_call().parse(body)


def test_object_of_the_wrong_shape_is_an_error() -> None:
    with pytest.raises(errors.UnexpectedResponseError):
        cloud_accounts.get_call("azure", "x").parse(["a"])


def test_fields_of_the_wrong_type_are_unexpected_responses() -> None:
    with pytest.raises(errors.UnexpectedResponseError) as info:
        cloud_accounts.get_call("azure", "x").parse({"accountId": {"nested": 1}})
    assert "accountId" in str(info.value)
