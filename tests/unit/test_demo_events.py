"""The headless demo's progress lines: one space between the parts, whatever the event carries."""

from __future__ import annotations

from cortexkit.cli.demo import describe_event


def test_a_log_line_has_one_space_after_its_step() -> None:
    event = {"type": "log", "payload": {"step": "validate", "message": "no account group given"}}
    assert describe_event(event) == "validate: no account group given"


def test_an_event_kind_is_named_before_its_text() -> None:
    event = {"type": "checkpoint", "payload": {"step": "add_account", "message": "posting"}}
    assert describe_event(event) == "add_account: checkpoint posting"


def test_a_jobless_line_has_no_leading_space() -> None:
    assert describe_event({"type": "log", "payload": {"message": "hello"}}) == "hello"


def test_steps_and_statuses_read_as_before() -> None:
    assert describe_event({"type": "step", "payload": {"step": "verify", "state": "done"}}) == "verify: done"
    components = [{"name": "Config", "status": "ok"}]
    status = {"type": "log", "payload": {"step": "verify", "components": components}}
    assert describe_event(status) == "verify: account status: Config ok"
