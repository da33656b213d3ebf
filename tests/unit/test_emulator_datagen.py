"""The seeded generator: determinism, shapes, and the lazy alert index."""

from __future__ import annotations

import re

from cortexkit.emulator import catalog, generators
from cortexkit.emulator.alertindex import AlertIndex

NOW = 1_790_000_000_000


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = generators.make_accounts(1, 9, NOW)
    b = generators.make_accounts(1, 9, NOW)
    c = generators.make_accounts(2, 9, NOW)
    assert [x.account_id for x in a] == [x.account_id for x in b]
    assert [x.account_id for x in a] != [x.account_id for x in c]
    assert [p.policy_id for p in generators.make_policies(1, NOW)] == [
        p.policy_id for p in generators.make_policies(1, NOW)
    ]


def test_accounts_have_realistic_ids_per_cloud() -> None:
    accounts = generators.make_accounts(3, 6, NOW)
    by_cloud = {a.cloud_type: a for a in accounts}
    assert set(by_cloud) == {"azure", "aws", "gcp"}
    assert re.fullmatch(r"\d{12}", by_cloud["aws"].account_id)
    assert re.fullmatch(r"[0-9a-f-]{36}", by_cloud["azure"].account_id)
    assert re.fullmatch(r"[a-z]+-project-\d{6}", by_cloud["gcp"].account_id)
    assert all(a.added_on < NOW for a in accounts)


def test_groups_and_membership_agree() -> None:
    accounts = generators.make_accounts(3, 8, NOW)
    groups = generators.make_groups(3, accounts, NOW)
    assert groups[0].name == "Default Account Group"
    for account in accounts:
        assert account.group_ids == [g.id for g in groups if account.account_id in g.account_ids]


def test_policies_map_to_standards_covering_their_cloud() -> None:
    for policy in generators.make_policies(5, NOW):
        assert policy.severity in catalog.SEVERITIES
        assert policy.compliance
        for requirement in policy.compliance:
            clouds = next(s[3] for s in catalog.STANDARDS if s[0] == requirement.standard_id)
            assert policy.cloud_type in clouds


def test_resources_carry_the_fields_their_policies_check() -> None:
    accounts = generators.make_accounts(4, 3, NOW)
    resources = generators.make_resources(4, accounts, NOW, per_account=8)
    assert len(resources) == 24
    assert {r.cloud_type for r in resources} == {"azure", "aws", "gcp"}
    storage = [r for r in resources if r.api_name == "azure-storage-account-list"]
    assert storage and all("supportsHttpsTrafficOnly" in r.data["properties"] for r in storage)


def test_audit_log_is_newest_first_within_90_days() -> None:
    entries = generators.make_audit_log(4, NOW, count=50)
    stamps = [e.timestamp for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert NOW - 90 * catalog.DAY_MS <= stamps[-1] <= stamps[0] <= NOW


def _index(n: int, seed: int = 9) -> AlertIndex:
    accounts = generators.make_accounts(seed, 6, NOW)
    return AlertIndex(seed, n, NOW, generators.make_policies(seed, NOW), accounts)


def test_alert_times_are_monotonic_and_span_90_days() -> None:
    index = _index(2000)
    times = [index.time_ms(i) for i in range(index.n)]
    assert times == sorted(times)
    assert NOW - 90 * catalog.DAY_MS <= times[0] < times[-1] <= NOW


def test_time_windows_become_index_ranges() -> None:
    index = _index(3000)
    start, end = NOW - 10 * catalog.DAY_MS, NOW - 3 * catalog.DAY_MS
    window = index.index_range(start, end)
    inside = [i for i in range(index.n) if start <= index.time_ms(i) <= end]
    assert list(window) == inside


def test_alert_ids_round_trip_and_reject_strangers() -> None:
    index = _index(10)
    assert index.alert_id(0) == "P-100001"
    assert index.index_of("P-100010") == 9
    assert index.index_of("P-100011") is None
    assert index.index_of("P-abc") is None
    assert index.index_of("X-100001") is None


def test_alerts_only_name_accounts_of_their_policys_cloud() -> None:
    seed = 11
    accounts = generators.make_accounts(seed, 2, NOW)  # azure and aws only: gcp policies must not be used
    policies = generators.make_policies(seed, NOW)
    index = AlertIndex(seed, 500, NOW, policies, accounts)
    for i in range(index.n):
        assert policies[index.policy[i]].cloud_type == accounts[index.account[i]].cloud_type
    assert {policies[p].cloud_type for p in index.policy} == {"azure", "aws"}


def test_a_million_alerts_are_a_few_compact_arrays() -> None:
    index = _index(1_000_000)
    assert index.n == 1_000_000
    size = sum(a.itemsize * len(a) for a in (index.policy, index.account, index.status))
    assert size == 5_000_000
    assert index.index_of("P-1100000") == 999_999


def test_no_accounts_means_no_alerts() -> None:
    assert AlertIndex(1, 100, NOW, generators.make_policies(1, NOW), []).n == 0


def test_alerts_per_day_vary_with_a_few_incident_days() -> None:
    """Some days (the seeded incidents) carry several times the median day's alerts."""
    index = _index(20_000)
    per_day = [0] * 90
    for i in range(index.n):
        per_day[min(89, (index.time_ms(i) - index.start_ms) // catalog.DAY_MS)] += 1  # 24 h buckets
    ranked = sorted(per_day)
    median = ranked[45]
    assert ranked[-1] > 2.5 * median
    assert ranked[0] < 0.6 * median
