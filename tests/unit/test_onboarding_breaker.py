"""The outage breaker's decisions, on a hand-moved clock (no sleeping, no I/O)."""

from __future__ import annotations

import threading

import pytest

from cortexkit.onboarding.breaker import Action, OutageBreaker

WALL = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, **over: float) -> OutageBreaker:
    settings = {"threshold": 3, "retry_interval": 30.0, "budget": 900.0, **over}
    return OutageBreaker(
        threshold=int(settings["threshold"]),
        retry_interval=settings["retry_interval"],
        budget=settings["budget"],
        clock=clock,
        wall=lambda: WALL + clock.now - 100.0,
    )


def test_closed_until_threshold_failures_then_one_probe() -> None:
    b = breaker(Clock())
    b.failure("answered 503")
    b.failure("answered 503")
    assert b.next_action() is Action.GO
    b.failure("answered 503")
    assert b.next_action() is Action.PROBE
    assert b.next_action() is Action.WAIT  # the probe is one job's: the others wait for its answer
    assert not b.is_open


def test_a_success_between_failures_resets_the_count() -> None:
    b = breaker(Clock())
    b.failure("answered 503")
    b.failure("answered 503")
    b.success()
    b.failure("answered 503")
    assert b.next_action() is Action.GO


def test_a_step_that_gave_up_asks_for_a_probe_at_once() -> None:
    b = breaker(Clock())
    b.failure("could not be reached", confirm=True)
    assert b.next_action() is Action.PROBE


def test_a_probe_that_works_tells_a_broken_route_from_an_outage() -> None:
    b = breaker(Clock())
    b.failure("answered 503", confirm=True)
    assert b.next_action() is Action.PROBE
    b.probe_result(True)
    assert not b.is_open and b.next_action() is Action.GO
    assert b.outages == []  # no outage happened


def test_failed_probe_opens_with_a_reason_and_probes_once_per_interval() -> None:
    clock = Clock()
    b = breaker(clock)
    b.failure("answered 503", confirm=True)
    assert b.next_action() is Action.PROBE
    b.probe_result(False, "answered 503")
    assert b.is_open
    assert (
        b.reason() == "the API answered 503 since 08:00:00 UTC; retrying every 30 s (giving up after 15 min)"
    )
    assert b.next_action() is Action.WAIT
    assert b.wait_hint() == 30.0
    clock.now += 29.5
    assert b.next_action() is Action.WAIT and b.wait_hint() == pytest.approx(0.5)
    clock.now += 0.5
    assert b.next_action() is Action.PROBE
    assert b.next_action() is Action.WAIT
    b.probe_result(False, "could not be reached")
    assert "answered 503 since 08:00:00" in b.reason()  # the outage keeps its first cause and start
    clock.now += 30
    assert b.next_action() is Action.PROBE
    b.probe_result(True)
    assert not b.is_open and b.next_action() is Action.GO
    assert b.outages == [60.0]
    assert b.probes == 3


def test_budget_runs_out_after_a_last_probe() -> None:
    clock = Clock()
    b = breaker(clock, retry_interval=30.0, budget=90.0)
    b.failure("answered 503", confirm=True)
    b.next_action()
    b.probe_result(False, "answered 503")
    clock.now += 89.0
    b.next_action()  # the probe due at 60 s
    b.probe_result(False)
    assert b.next_action() is Action.WAIT
    clock.now += 1.0
    assert b.next_action() is Action.GIVE_UP
    assert "longer than the outage budget (90 s)" in b.give_up_reason()
    assert "resume --all" in b.give_up_reason()
    clock.now += 29.0
    assert b.next_action() is Action.PROBE  # a job arriving later still gets one try
    b.probe_result(True)
    assert b.next_action() is Action.GO


def test_failures_while_open_do_not_restart_the_outage() -> None:
    clock = Clock()
    b = breaker(clock)
    b.failure("answered 503", confirm=True)
    b.next_action()
    b.probe_result(False, "answered 503")
    clock.now += 10
    b.failure("could not be reached")
    b.success()  # a call that started before the outage and finished: not a probe, the breaker stays open
    assert b.is_open and b.next_action() is Action.WAIT


def test_only_one_of_many_threads_gets_the_probe() -> None:
    b = breaker(Clock())
    b.failure("answered 503", confirm=True)
    actions: list[Action] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def ask() -> None:
        start.wait()
        action = b.next_action()
        with lock:
            actions.append(action)

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert actions.count(Action.PROBE) == 1 and actions.count(Action.WAIT) == 15


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="threshold"):
        OutageBreaker(threshold=0)
    with pytest.raises(ValueError, match="retry_interval"):
        OutageBreaker(retry_interval=0)
