"""Fault decisions: reproducible from the seed, plans consumed in order, validation of plans."""

from __future__ import annotations

import pytest

from cortexkit.emulator.faults import RANDOM_KINDS, FaultInjector, parse_plan, template_matches


def _sequence(seed: int, rate: float, n: int = 300) -> list[str | None]:
    injector = FaultInjector(rate, seed)
    out: list[str | None] = []
    for i in range(n):
        fault = injector.decide("GET", f"/alert/{i}")
        out.append(None if fault is None else fault.kind)
    return out


def test_same_seed_same_faults() -> None:
    assert _sequence(7, 0.3) == _sequence(7, 0.3)


def test_different_seed_different_faults() -> None:
    assert _sequence(7, 0.3) != _sequence(8, 0.3)


def test_fault_rate_is_respected_roughly_and_covers_every_kind() -> None:
    seq = _sequence(42, 0.25, n=4000)
    share = sum(k is not None for k in seq) / len(seq)
    assert 0.2 < share < 0.3
    assert {k for k in seq if k is not None} == set(RANDOM_KINDS)


def test_zero_rate_never_faults_and_full_rate_always_does() -> None:
    assert set(_sequence(1, 0.0)) == {None}
    assert None not in _sequence(1, 1.0)


def test_random_503_carries_retry_after_and_504_drop_happen_after() -> None:
    injector = FaultInjector(1.0, 3, retry_after=2)
    seen = {}
    for _ in range(500):
        fault = injector.decide("POST", "/v2/alert")
        assert fault is not None
        seen[fault.kind] = fault
    assert seen["503"].retry_after == 2
    assert seen["504"].when == "after" and seen["drop"].when == "after"
    assert seen["500"].when == "before"
    assert 0.05 <= seen["latency"].delay <= 1.5


def test_plan_cycles_statuses_for_count_calls_then_disappears() -> None:
    injector = FaultInjector(0.0, 42)
    injector.add_plan({"route": "POST /cas/v1/azure_account", "statuses": [503, 429], "count": 3})
    kinds = [injector.decide("POST", "/cas/v1/azure_account") for _ in range(4)]
    assert [f.kind if f else None for f in kinds] == ["503", "429", "503", None]
    assert injector.plans() == []


def test_plan_matches_method_and_template_only() -> None:
    injector = FaultInjector(0.0, 42)
    plan = injector.add_plan(
        {"route": "PUT /cas/v1/azure_account/{id}", "statuses": ["drop"], "when": "after"}
    )
    assert injector.decide("GET", "/cas/v1/azure_account/abc") is None
    assert injector.decide("PUT", "/cas/v1/azure_account") is None
    fault = injector.decide("PUT", "/cas/v1/azure_account/abc")
    assert fault is not None and fault.kind == "drop" and fault.when == "after"
    assert fault.source == f"plan:{plan.id}"


def test_plans_do_not_disturb_the_random_sequence_of_other_routes() -> None:
    injector = FaultInjector(0.0, 42)
    injector.add_plan({"route": "GET /cloud", "statuses": [500]})
    first = injector.decide("GET", "/cloud")
    assert first is not None and first.kind == "500" and first.retry_after is None
    injector.clear()
    assert injector.decide("GET", "/cloud") is None


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/cloud/{type}/{id}", "/cloud/azure/123", True),
        ("/cloud/{type}/{id}", "/cloud/azure", False),
        ("/cloud/name", "/cloud/azure", False),
        ("/cas/*", "/cas/v1/azure_account", True),
        ("/v2/alert", "/v2/alert?limit=5", True),
    ],
)
def test_template_matches(template: str, path: str, expected: bool) -> None:
    assert template_matches(template, path) is expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"statuses": [503]}, "route"),
        ({"route": "/v2/alert", "statuses": [503]}, "route"),
        ({"route": "GET /v2/alert"}, "statuses"),
        ({"route": "GET /v2/alert", "statuses": [200]}, "unsupported"),
        ({"route": "GET /v2/alert", "statuses": ["teapot"]}, "unsupported"),
        ({"route": "GET /v2/alert", "statuses": [503], "count": 0}, "count"),
        ({"route": "GET /v2/alert", "statuses": [503], "when": "during"}, "when"),
        ({"route": "GET /v2/alert", "statuses": [503], "latency": -1}, "latency"),
    ],
)
def test_invalid_plans_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_plan(data, 1)


def test_set_rate_with_seed_restarts_sequence() -> None:
    injector = FaultInjector(0.0, 1)
    injector.set_rate(0.5, seed=9)
    first = [injector.decide("GET", "/x") for _ in range(50)]
    injector.set_rate(0.5, seed=9)
    second = [injector.decide("GET", "/x") for _ in range(50)]
    assert first == second
    with pytest.raises(ValueError):
        injector.set_rate(1.5)
