"""The confirmation rule and the request bodies of dismiss/snooze/reopen."""

from __future__ import annotations

from typing import Any

import pytest

from cortexkit.cli.changes import CHUNK, Decision, Plan, apply, collect_ids, decide, request_bodies


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


def test_bodies_are_chunked_and_carry_note_and_snooze() -> None:
    plan = Plan("snooze", tuple(f"P-{i}" for i in range(CHUNK + 5)))
    tr = {"type": "to_now", "value": "epoch"}
    bodies = request_bodies(plan, note="maintenance", time_range=tr, snooze={"amount": 2, "unit": "day"})
    assert [len(b["alerts"]) for b in bodies] == [CHUNK, 5]
    assert bodies[0]["dismissalNote"] == "maintenance"
    assert bodies[1]["dismissalTimeRange"] == {"type": "relative", "value": {"amount": 2, "unit": "day"}}
    assert bodies[0]["filter"]["timeRange"] == tr
    sent: list[dict[str, Any]] = []
    assert apply(sent.append, bodies) == CHUNK + 5
    assert len(sent) == 2
