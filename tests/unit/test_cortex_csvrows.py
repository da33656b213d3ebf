"""The one Cortex CSV reader of `onboard azure --from-csv` and the web UI (preview and start).

The CLI had its own, looser reader: it took a name twice (two jobs, where the second would adopt the
first one's PENDING instance), a subscription twice, and a misspelt column silently (the row onboarded
without what that column said). Both paths now read with `csvrows.read_rows`.
"""

from __future__ import annotations

import uuid

from cortexkit.onboarding.cortexflow.csvrows import COLUMNS, parse_csv, read_rows

HEADER = "name,tenant_id,subscription_id,scope,deploy"


def _row(name: str, subscription: str | None = None, tenant: str = "") -> str:
    return f"{name},{tenant or uuid.uuid4()},{subscription or uuid.uuid4()},subscription,manual"


def test_good_rows_become_specs_with_the_commands_profile() -> None:
    specs, errors = parse_csv("\n".join([HEADER, _row("cx-a"), _row("cx-b")]) + "\n", "team")
    assert errors == []
    assert [s.name for s in specs] == ["cx-a", "cx-b"]
    assert {s.profile for s in specs} == {"team"}
    assert all(s.cortex is not None and s.cortex.deploy == "manual" for s in specs)


def test_a_name_twice_is_refused_at_its_line_and_the_first_row_still_runs() -> None:
    specs, errors = parse_csv("\n".join([HEADER, _row("cx-same"), _row("cx-other"), _row("cx-same")]))
    assert [s.name for s in specs] == ["cx-same", "cx-other"]
    assert [(e.line, e.field) for e in errors] == [(4, "name")]
    assert "Same name as line 2" in errors[0].message


def test_a_subscription_twice_is_refused_whatever_its_case() -> None:
    sub = str(uuid.uuid4())
    specs, errors = parse_csv("\n".join([HEADER, _row("cx-a", sub), _row("cx-b", sub.upper())]))
    assert [s.name for s in specs] == ["cx-a"]
    assert [(e.line, e.field, e.message) for e in errors] == [(3, "subscription_id", "Duplicate of line 2.")]


def test_a_misspelt_column_refuses_the_file_and_names_the_columns() -> None:
    text = "name,tenant_id,subscription_id,capabilites\n" + f"cx-a,{uuid.uuid4()},{uuid.uuid4()},dspm\n"
    specs, errors = parse_csv(text)
    assert specs == []
    assert [(e.line, e.field) for e in errors] == [(1, "header")]
    assert "capabilites" in errors[0].message and "capabilities" in errors[0].message


def test_more_values_than_columns_and_a_bad_boolean_are_row_errors() -> None:
    text = "\n".join([HEADER + ",audit_logs", _row("cx-a") + ",maybe", _row("cx-b") + ",true,extra"])
    specs, errors = parse_csv(text)
    assert specs == []
    assert [(e.line, e.field) for e in errors] == [(2, "audit_logs"), (3, "row")]


def test_an_unreadable_file_runs_nothing_and_an_empty_one_says_so() -> None:
    """A quote never closed swallows the rest of the file: no row of it may run, the good first row too."""
    broken = "\n".join([HEADER, _row("cx-a"), 'cx-b,"' + "x" * 200_000])
    assert list(read_rows(broken))[-1].fatal
    specs, errors = parse_csv(broken)
    assert specs == [] and [(e.line, e.field) for e in errors] == [(3, "row")]
    assert "never closed" in errors[0].message
    assert [(e.line, e.field) for e in parse_csv("")[1]] == [(1, "header")]


def test_every_column_the_docs_name_is_known_and_blank_rows_are_skipped() -> None:
    text = ",".join(COLUMNS) + "\n" + "," * (len(COLUMNS) - 1) + "\n"
    assert parse_csv(text) == ([], [])
