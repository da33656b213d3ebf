"""Pure parts of the emulator's data side: time ranges, page tokens, the alert store, Azure status."""

from __future__ import annotations

import math

import pytest

from cortexkit.emulator import accountviews, alertindex, azuretemplate, generators, timerange
from cortexkit.emulator.alertstore import AlertQuery, AlertQueryError, AlertStore
from cortexkit.emulator.clock import ManualClock
from cortexkit.emulator.config import EmulatorConfig
from cortexkit.emulator.entities import CloudAccount
from cortexkit.emulator.pagetoken import MIN_TOKEN_CHARS, PageTokenCodec, PageTokenError
from cortexkit.emulator.state import TenantState, fingerprint

NOW = 1_790_000_000_000
DAY = 86_400_000


# -- time ranges
def test_relative_backward_and_forward() -> None:
    back = timerange.resolve({"type": "relative", "value": {"amount": 2, "unit": "day"}}, NOW)
    assert back == timerange.Window(NOW - 2 * DAY, NOW)
    fwd = timerange.resolve(
        {"type": "relative", "value": {"amount": 1, "unit": "hour"}, "relativeTimeType": "FORWARD"}, NOW
    )
    assert fwd == timerange.Window(NOW, NOW + 3_600_000)


def test_absolute_and_to_now_in_both_cases() -> None:
    assert timerange.resolve(
        {"type": "absolute", "value": {"startTime": 5, "endTime": 9}}, NOW
    ) == timerange.Window(5, 9)
    assert timerange.resolve({"type": "to_now", "value": "EPOCH"}, NOW) == timerange.Window(0, NOW)
    assert timerange.resolve({"type": "to_now", "value": "login"}, NOW, login_ms=NOW - 7) == timerange.Window(
        NOW - 7, NOW
    )
    day = timerange.resolve({"type": "to_now", "value": "day"}, NOW)
    assert day is not None and day.start_ms % DAY == 0 and NOW - DAY < day.start_ms <= NOW
    week = timerange.resolve({"type": "to_now", "value": "WEEK"}, NOW)
    assert week is not None and NOW - 7 * DAY < week.start_ms <= NOW
    for unit in ("minute", "hour", "month", "year"):
        window = timerange.resolve({"type": "to_now", "value": unit}, NOW)
        assert window is not None and window.start_ms <= NOW


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "relative", "value": {"amount": "x", "unit": "day"}},
        {"type": "relative", "value": {"amount": 1, "unit": "fortnight"}},
        {"type": "relative", "value": 3},
        {"type": "absolute", "value": {"startTime": 10, "endTime": 5}},
        {"type": "to_now", "value": "century"},
        {"type": "sideways"},
        "yesterday",
    ],
)
def test_bad_ranges_raise(bad: object) -> None:
    with pytest.raises(timerange.TimeRangeError):
        timerange.resolve(bad, NOW)  # type: ignore[arg-type]


def test_query_form_and_snooze_ends() -> None:
    assert timerange.from_query({}) is None
    assert timerange.from_query({"timeType": "relative", "timeAmount": "3", "timeUnit": "day"}) == {
        "type": "relative",
        "value": {"amount": "3", "unit": "day"},
    }
    assert timerange.from_query({"timeType": "to_now", "timeUnit": "login"}) == {
        "type": "to_now",
        "value": "login",
    }
    assert (
        timerange.from_query({"timeType": "absolute", "startTime": "1", "endTime": "2"})["type"] == "absolute"
    )
    with pytest.raises(timerange.TimeRangeError):
        timerange.from_query({"timeType": "weird"})
    assert (
        timerange.future_until({"type": "relative", "value": {"amount": 3, "unit": "day"}}, NOW)
        == NOW + 3 * DAY
    )
    assert timerange.future_until({"type": "absolute", "value": {"endTime": NOW + 5}}, NOW) == NOW + 5
    with pytest.raises(timerange.TimeRangeError):
        timerange.future_until({"type": "absolute", "value": {"endTime": NOW - 5}}, NOW)
    with pytest.raises(timerange.TimeRangeError):
        timerange.future_until({"type": "to_now", "value": "day"}, NOW)


# -- page tokens
def test_tokens_round_trip_and_refuse_tampering_and_other_kinds() -> None:
    codec = PageTokenCodec(b"k" * 32)
    token = codec.encode("alerts", {"l": 10, "f": {"alert.status": ["open"]}})
    assert codec.decode("alerts", token) == {"l": 10, "f": {"alert.status": ["open"]}}
    with pytest.raises(PageTokenError):
        codec.decode("search", token)
    with pytest.raises(PageTokenError):
        PageTokenCodec(b"x" * 32).decode("alerts", token)
    body, mac = token.split(".")
    with pytest.raises(PageTokenError):
        codec.decode("alerts", body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac)
    for junk in ("", "no-dot", "!!!.???"):
        with pytest.raises(PageTokenError):
            codec.decode("alerts", junk)


def test_tokens_are_as_long_as_the_real_ones() -> None:
    """Real page tokens carry the whole query and run to several KB (issue 15): so do these."""
    codec = PageTokenCodec(b"k" * 32)
    for payload in ({}, {"l": 10}, {"f": {"policy.name": ["x" * 9000]}}):
        token = codec.encode("alerts", payload)
        assert len(token) >= MIN_TOKEN_CHARS
        assert codec.decode("alerts", token) == payload
    assert len(codec.encode("alerts", {})) < MIN_TOKEN_CHARS + 64
    assert len(PageTokenCodec(b"k" * 32, min_chars=0).encode("alerts", {})) < 100


# -- alert store
@pytest.fixture
def store() -> AlertStore:
    accounts = generators.make_accounts(5, 6, NOW)
    groups = generators.make_groups(5, accounts, NOW)
    policies = generators.make_policies(5, NOW)
    return AlertStore(alertindex.AlertIndex(5, 1000, NOW, policies, accounts), policies, accounts, groups)


def _open(store: AlertStore, n: int) -> list[int]:
    page, _ = store.search(AlertQuery({"alert.status": ("open",)}, None, None), NOW, None, n)
    return page


def test_snooze_reverts_to_open_once_the_clock_passes(store: AlertStore) -> None:
    target = _open(store, 1)
    store.set_status(target, "snoozed", now_ms=NOW, by="u", note="n", until_ms=NOW + DAY)
    assert store.status_of(target[0], NOW + DAY - 1) == "snoozed"
    assert store.status_of(target[0], NOW + DAY) == "open"
    assert store.count("snoozed", NOW) == 1
    assert store.count("snoozed", NOW + DAY) == 0


def test_reopen_of_a_generated_open_alert_leaves_the_overlay_empty(store: AlertStore) -> None:
    target = _open(store, 2)
    assert store.set_status(target, "dismissed", now_ms=NOW, by="u", note=None, until_ms=None) == 2
    assert len(store.overlay) == 2
    assert store.set_status(target, "open", now_ms=NOW, by="u", note=None, until_ms=None) == 2
    assert store.overlay == {}
    assert store.set_status(target, "open", now_ms=NOW, by="u", note=None, until_ms=None) == 0


def test_resolved_alerts_cannot_be_dismissed(store: AlertStore) -> None:
    resolved, _ = store.search(AlertQuery({"alert.status": ("resolved",)}, None, None), NOW, None, 1)
    assert store.set_status(resolved, "dismissed", now_ms=NOW, by="u", note=None, until_ms=None) == 0


def test_keyset_pages_cover_the_matches_once(store: AlertStore) -> None:
    query = AlertQuery({"policy.severity": ("high",), "cloud.type": ("aws", "azure")}, None, None)
    seen: list[int] = []
    after = None
    total = -1
    while True:
        page, total = store.search(query, NOW, after, 33)
        if not page:
            break
        seen += page
        after = page[-1]
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen, reverse=True)
    ascending, _ = store.search(AlertQuery(query.filters, None, None, descending=False), NOW, None, 5)
    assert ascending == sorted(seen)[:5]


def test_group_region_and_id_filters(store: AlertStore) -> None:
    group = store.groups[1]
    page, total = store.search(AlertQuery({"account.group": (group.name,)}, None, None), NOW, None, 1000)
    assert total == len(page) > 0
    assert all(store.accounts[store.index.account[i]].account_id in group.account_ids for i in page)
    region = store.render(page[0], NOW, False)["resource"]["region"]
    in_region, _ = store.search(AlertQuery({"cloud.region": (region,)}, None, None), NOW, None, 1000)
    assert all(store.render(i, NOW, False)["resource"]["region"] == region for i in in_region)
    by_id, count = store.search(AlertQuery({"alert.id": ("P-100005", "P-999")}, None, None), NOW, None, 10)
    assert (by_id, count) == ([4], 1)


def test_unknown_filters_and_statuses_are_refused(store: AlertStore) -> None:
    with pytest.raises(AlertQueryError) as info:
        store.search(AlertQuery({"alert.colour": ("red",)}, None, None), NOW, None, 1)
    assert info.value.subject == "alert.colour"
    with pytest.raises(AlertQueryError):
        store.search(AlertQuery({"alert.status": ("asleep",)}, None, None), NOW, None, 1)
    with pytest.raises(AlertQueryError):
        store.count("asleep", NOW)


def test_detailed_rendering_adds_compliance(store: AlertStore) -> None:
    plain = store.render(0, NOW, False)
    detailed = store.render(0, NOW, True)
    assert "complianceMetadata" not in plain["policy"]
    assert detailed["policy"]["complianceMetadata"]


# -- state
def test_state_reset_forgets_changes_and_fingerprints_hide_secrets() -> None:
    state = TenantState(EmulatorConfig(accounts=4, alerts=50), ManualClock(NOW / 1000))
    state.remove_account(state.accounts[0])
    state.record("me", "DELETE", "x", "Cloud Account", "x")
    state.reset()
    assert len(state.accounts) == 4
    assert state.audit[0].user != "me"
    fp = fingerprint("my-secret")
    assert fp.startswith("sha256:") and "my-secret" not in fp and fp == fingerprint("my-secret")


# -- Azure status timeline and template
def _azure(name: str, flow_logs: bool = True) -> CloudAccount:
    return CloudAccount(
        account_id="sub",
        name=name,
        cloud_type="azure",
        tenant_id="t",
        client_id="c",
        onboarded_at_ms=0,
        monitor_flow_logs=flow_logs,
        features=[{"name": "Remediation", "state": "enabled"}, {"name": "Auto Protect", "state": "disabled"}],
    )


def test_status_timeline_pending_partial_then_settled() -> None:
    account = _azure("prod")
    assert {c["status"] for c in accountviews.config_status(account, 10, 100)} == {"pending"}
    partial = accountviews.config_status(account, 60, 100)
    base = partial[0]
    assert [s["status"] for s in base["subComponents"] if s["name"] == "Config"] == ["ok"]
    assert base["status"] == "pending"
    assert [c["name"] for c in partial] == [accountviews.BASE_FEATURE, "Remediation"]
    settled = accountviews.config_status(account, 100, 100)
    assert {c["status"] for c in settled} == {"ok"}
    assert accountviews.overall_status(account, 50, 100) == "pending"
    assert accountviews.overall_status(account, 100, 100) == "ok"


def test_warning_convention_and_messages() -> None:
    settled = accountviews.config_status(_azure("lab-WARN"), math.inf, 100)
    assert {c["status"] for c in settled} == {"warning"}
    subs = {s["name"]: s for s in settled[0]["subComponents"]}
    assert subs["Config"]["status"] == "ok"
    assert subs["Flow Logs"]["status"] == "warning" and "flow logs" in subs["Flow Logs"]["message"].lower()
    assert all(c["remediation"] for c in settled)
    assert accountviews.overall_status(_azure("lab-warn"), 200, 100) == "warning"


def test_template_scopes_per_account_type() -> None:
    sub = azuretemplate.build(
        "account", tenant_id="t", subscription_id="s", features=["Remediation"], root_sync=False
    )
    assert (
        sub["resource"]["azurerm_role_definition"]["custom_prisma_role"]["scope"]
        == "/subscriptions/${var.subscription_id}"
    )
    assert "Microsoft.Storage/storageAccounts/*" in sub["variable"]["custom_role_actions"]["default"]
    gov = azuretemplate.build(
        "tenant",
        tenant_id="t",
        subscription_id=None,
        features=[],
        root_sync=True,
        deployment_type="azure_gov",
    )
    assert gov["provider"]["azurerm"]["environment"] == "usgovernment"
    assert gov["resource"]["azurerm_role_definition"]["custom_prisma_role"]["name"].startswith(
        "prisma-cloud-policy-"
    )
    entra = azuretemplate.build("tenant", tenant_id="t", subscription_id=None, features=[], root_sync=False)
    assert "azurerm" not in entra["provider"]
    roles = entra["resource"]["azuread_application"]["prisma_cloud_app"]["required_resource_access"][0]
    assert len(roles["resource_access"]) == len(azuretemplate.GRAPH_ROLES)


def test_resource_label_and_requirement_filters(store: AlertStore) -> None:
    sample = store.render(7, NOW, True)
    by_name, total = store.search(
        AlertQuery({"resource.name": (sample["resource"]["name"],)}, None, None), NOW, None, 1000
    )
    assert 7 in by_name and total == len(by_name)
    assert all(store.render(i, NOW, False)["resource"]["name"] == sample["resource"]["name"] for i in by_name)
    by_id, _ = store.search(
        AlertQuery({"resource.id": (sample["resource"]["id"],)}, None, None), NOW, None, 10
    )
    assert 7 in by_id
    requirement = sample["policy"]["complianceMetadata"][0]["requirementName"]
    label = sample["policy"]["labels"][1]
    both, _ = store.search(
        AlertQuery({"policy.complianceRequirement": (requirement,), "policy.label": (label,)}, None, None),
        NOW,
        None,
        5000,
    )
    assert 7 in both
    for i in both:
        policy = store.render(i, NOW, True)["policy"]
        assert label in policy["labels"]
        assert requirement in {c["requirementName"] for c in policy["complianceMetadata"]}
