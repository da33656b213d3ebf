"""Property: keyset paging over any filter combination returns exactly the brute-force matches, once each."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cortexkit.emulator import alertindex, generators
from cortexkit.emulator.alertstore import AlertQuery, AlertStore

NOW = 1_790_000_000_000
DAY = 86_400_000
ACCOUNTS = generators.make_accounts(21, 6, NOW)
GROUPS = generators.make_groups(21, ACCOUNTS, NOW)
POLICIES = generators.make_policies(21, NOW)
STORE = AlertStore(alertindex.AlertIndex(21, 600, NOW, POLICIES, ACCOUNTS), POLICIES, ACCOUNTS, GROUPS)

FILTER_VALUES = {
    "alert.status": ("open", "resolved", "dismissed"),
    "policy.severity": ("high", "medium", "low"),
    "cloud.type": ("azure", "aws", "gcp"),
    "cloud.account": tuple(a.name for a in ACCOUNTS),
    "account.group": tuple(g.name for g in GROUPS),
}


def _brute(query: AlertQuery) -> list[int]:
    out = []
    for i in range(STORE.index.n):
        alert = STORE.render(i, NOW, False)
        t = alert["alertTime"]
        if query.start_ms is not None and t < query.start_ms:
            continue
        if query.end_ms is not None and t > query.end_ms:
            continue
        checks = {
            "alert.status": alert["status"],
            "policy.severity": alert["policy"]["severity"],
            "cloud.type": alert["resource"]["cloudType"],
            "cloud.account": alert["resource"]["account"],
        }
        if any(checks[n] not in v for n, v in query.filters.items() if n in checks):
            continue
        if "account.group" in query.filters and not set(query.filters["account.group"]) & set(
            alert["resource"]["cloudAccountGroups"]
        ):
            continue
        out.append(i)
    return sorted(out, reverse=query.descending)


@st.composite
def queries(draw: st.DrawFn) -> AlertQuery:
    names = draw(st.sets(st.sampled_from(sorted(FILTER_VALUES)), max_size=3))
    filters = {
        n: tuple(draw(st.sets(st.sampled_from(FILTER_VALUES[n]), min_size=1, max_size=2)))
        for n in sorted(names)
    }
    days = draw(st.none() | st.integers(min_value=0, max_value=100))
    start = None if days is None else NOW - days * DAY
    return AlertQuery(filters, start, None, descending=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(query=queries(), limit=st.integers(min_value=1, max_value=120))
def test_keyset_pages_equal_brute_force(query: AlertQuery, limit: int) -> None:
    expected = _brute(query)
    seen: list[int] = []
    after = None
    while True:
        page, total = STORE.search(query, NOW, after, limit)
        assert total == len(expected)
        if not page:
            break
        assert len(page) <= limit
        seen += page
        after = page[-1]
    assert seen == expected
