"""The confirmation rule and the request bodies of dismiss/snooze/reopen."""

from __future__ import annotations

import pytest

from cortexkit.cli.changes import CHUNK, Decision, Plan, apply, chunks, collect_ids, decide
from cortexkit.resources import alerts
from cortexkit.resources._base import relative


@pytest.mark.parametrize(
    ("yes", "dry_run", "interactive", "expected"),
    [
        (False, True, True, Decision.PREVIEW),
        (True, True, False, Decision.PREVIEW),
        (True, False, False, Decision.PROCEED),
        (False, False, True, Decision.ASK),
        (False, False, False, Decision.REFUSE),
    ],
)
def test_decide(yes: bool, dry_run: bool, interactive: bool, expected: Decision) -> None:
    assert decide(yes=yes, dry_run=dry_run, interactive=interactive) is expected


def test_summary_shows_count_and_sample() -> None:
    plan = Plan("dismiss", tuple(f"P-{i}" for i in range(12)))
    assert plan.summary() == "dismiss 12 alerts: P-0, P-1, P-2, P-3, P-4 and 7 more"
    assert Plan("reopen", ("P-9",)).summary() == "reopen 1 alert: P-9"


def test_collect_ids_stops_one_past_the_cap() -> None:
    items = ({"id": f"P-{i}"} for i in range(100))
    assert len(collect_ids(items, 10)) == 11


def test_ids_are_chunked_and_the_resource_carries_note_snooze_and_range() -> None:
    plan = Plan("snooze", tuple(f"P-{i}" for i in range(CHUNK + 5)))
    parts = chunks(plan)
    assert [len(c) for c in parts] == [CHUNK, 5]
    tr = {"type": "relative", "value": {"amount": 7, "unit": "day"}}
    body = alerts.snooze_call(
        parts[1], snooze_for=relative(2, "day"), note="maintenance", within=tr
    ).spec.json
    assert body["alerts"] == list(parts[1]) and body["dismissalNote"] == "maintenance"
    assert body["dismissalTimeRange"] == {"type": "relative", "value": {"amount": 2, "unit": "day"}}
    assert body["filter"]["timeRange"] == tr
    assert alerts.reopen_call(["P-1"]).spec.json["filter"]["timeRange"] == {
        "type": "to_now",
        "value": "epoch",
    }
    sent: list[tuple[str, ...]] = []
    assert apply(sent.append, parts) == CHUNK + 5
    assert len(sent) == 2
