"""Fault soak: thousands of mixed calls at a 10 % fault rate with tokens that live a few seconds.

Short version (~2,000 requests, 5 minutes of emulated time) in `make test`; `make soak` runs 20,000
requests over 30 minutes of emulated time. The emulator clock is moved forward between batches instead
of waiting, so token expiry costs no wall time. What must hold: no read fails or returns a wrong answer,
no subscription is created twice (checked in the emulator's own state and stats), and every error that
reaches the caller is a typed cortexkit error that explains itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.errors import CortexkitError, OutcomeUnknownError
from tests.reliability.soak_workload import Outcome, control, soak

CREATE_ROUTE = "POST /cas/v1/azure_account"
SOAK_TOKEN_TTL = 8


def check(running: RunningEmulator, outcome: Outcome, requests: int) -> dict[str, Any]:
    stats = control(running, "stats")
    assert outcome.failed_reads == []
    # Stable reads answered the same every time, faults or not.
    for key, answers in outcome.answers.items():
        assert len(set(answers)) == 1, f"{key} answered differently under faults: {Counter(answers)}"
    # Every error that surfaced is typed and says what happened; only creates may surface one.
    for exc in outcome.surfaced:
        assert isinstance(exc, CortexkitError), repr(exc)
        assert isinstance(exc, OutcomeUnknownError), repr(exc)
        assert len(str(exc)) > 20
    # Exactly one account per subscription, as the emulator itself records it.
    wanted = set(outcome.subscriptions)
    azure_ids = [a.account_id for a in running.emulator.state.accounts if a.account_id in wanted]
    duplicates = sum(count - 1 for count in Counter(azure_ids).values())
    assert duplicates == 0
    assert sorted(azure_ids) == sorted(outcome.subscriptions)
    create_statuses: dict[str, int] = stats["requests"].get(CREATE_ROUTE, {})
    assert "400" not in create_statuses, f"a create was refused (duplicate?): {create_statuses}"
    assert outcome.reads + outcome.creates >= requests * 0.95
    assert stats["faults_injected"] >= stats["total"] * 0.05
    assert stats["unauthorized"] > 0  # the clock jumps really expired tokens
    return {
        "operations": outcome.reads + outcome.creates,
        "http_requests": stats["total"],
        "reads": outcome.reads,
        "creates": outcome.creates,
        "faults_injected": stats["faults_injected"],
        "faults_by_kind": stats["faults"],
        "expired_token_401s": stats["unauthorized"],
        "logins": stats["logins"],
        "extends": stats["extends"],
        "failed_reads": len(outcome.failed_reads),
        "duplicated_creates": duplicates,
        "unknown_outcomes_reconciled": outcome.reconciled,
        "resent_after_reconcile": outcome.resent_after_reconcile,
        "surfaced_errors": dict(Counter(type(e).__name__ for e in outcome.surfaced)),
    }


def run_soak(
    make_emulator: Callable[..., RunningEmulator],
    record_figures: Callable[[str, dict[str, Any]], None],
    suite: str,
    *,
    requests: int,
    batches: int,
    emulated_seconds: float,
) -> None:
    # 8 s tokens: the 30 s clock jumps between batches still expire every one, while a machine at load
    # 30 (seen in CI) can stall a login-then-replay for more than 4 s and expire the fresh token too.
    running = make_emulator(fault_rate=0.1, seed=2026, token_ttl=SOAK_TOKEN_TTL, alerts=400)
    outcome = soak(running, requests=requests, batches=batches, emulated_seconds=emulated_seconds)
    figures = check(running, outcome, requests)
    record_figures(
        suite,
        {**figures, "emulated_seconds": emulated_seconds, "token_ttl": SOAK_TOKEN_TTL, "fault_rate": 0.1},
    )


@pytest.mark.slow
def test_short_fault_soak(
    make_emulator: Callable[..., RunningEmulator], record_figures: Callable[[str, dict[str, Any]], None]
) -> None:
    run_soak(
        make_emulator, record_figures, "fault_soak_short", requests=2000, batches=10, emulated_seconds=300
    )


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_long_fault_soak(
    make_emulator: Callable[..., RunningEmulator], record_figures: Callable[[str, dict[str, Any]], None]
) -> None:
    run_soak(
        make_emulator, record_figures, "fault_soak_long", requests=20_000, batches=100, emulated_seconds=1800
    )
