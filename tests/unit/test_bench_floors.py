"""The floor formulas the benchmark ratios rest on (issue 7: floor = (N - burst) / rate)."""

from __future__ import annotations

import pytest
from bench.floors import (
    bucket_floor,
    cortexkit_refresh_interval,
    expected_extends,
    pages_needed,
    parallel_floor,
    ratio,
)


def test_bucket_floor_is_requests_past_the_burst_over_the_rate() -> None:
    assert bucket_floor(310, 20.0, 10) == pytest.approx(15.0)
    assert bucket_floor(60, 5.0, 10) == pytest.approx(10.0)


def test_bucket_floor_is_zero_when_the_burst_covers_everything() -> None:
    assert bucket_floor(10, 5.0, 10) == 0.0
    assert bucket_floor(3, 5.0, 10) == 0.0


def test_bucket_floor_rejects_a_non_positive_rate() -> None:
    with pytest.raises(ValueError):
        bucket_floor(10, 0.0, 1)


def test_pages_needed_rounds_up_and_costs_one_request_when_empty() -> None:
    assert pages_needed(200_000, 1000) == 200
    assert pages_needed(200_001, 1000) == 201
    assert pages_needed(0, 500) == 1
    with pytest.raises(ValueError):
        pages_needed(10, 0)


def test_parallel_floor_takes_the_slowest_bucket_not_the_sum() -> None:
    buckets = [(50, 10.0, 10), (110, 20.0, 10), (5, 1.0, 10)]
    assert parallel_floor(buckets) == pytest.approx(5.0)
    assert parallel_floor([]) == 0.0


def test_ratio_handles_missing_and_zero_floors() -> None:
    assert ratio(15.75, 15.0) == pytest.approx(1.05)
    assert ratio(None, 15.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None


def test_expected_extends_and_the_documented_refresh_interval() -> None:
    # A 3 s server TTL with whole-second claims leaves 2 s of certain life, extended at half-life.
    assert cortexkit_refresh_interval(3.0) == pytest.approx(1.0)
    # A 10-minute token: 599 s of life, extended 99.8 s (life / 6) before it ends.
    assert cortexkit_refresh_interval(600.0) == pytest.approx(599 - 599 / 6)
    assert expected_extends(60.0, 1.0) == pytest.approx(60.0)
    with pytest.raises(ValueError):
        expected_extends(60.0, 0.0)
