"""Condensing the emulator's counters and the onboarding floor built from them."""

from __future__ import annotations

import pytest
from bench.emu import condense, ok_by_route
from bench.model import RunResult
from bench.workloads.onboarding import route_floor, subscription_ids
from bench.workloads.overhead import cpu_per_request_us

STATS = {
    "requests": {
        "POST /login": {"200": 1},
        "GET /alert/{id}": {"200": 300, "429": 4},
        "GET /_emulator/stats": {"200": 2},
        "POST /cas/v1/azure_account": {"201": 200, "503": 9},
    },
    "logins": 1,
    "extends": 3,
    "unauthorized": 0,
    "throttled": 4,
}


def test_condense_leaves_out_the_control_plane() -> None:
    assert condense(STATS) == {"requests": 514, "ok": 501, "r429": 4, "r401": 0, "logins": 1, "extends": 3}


def test_ok_by_route_counts_only_2xx() -> None:
    assert ok_by_route(STATS) == {"POST /login": 1, "GET /alert/{id}": 300, "POST /cas/v1/azure_account": 200}


def test_route_floor_uses_documented_limits_and_ignores_auth() -> None:
    # GET /alert/{id} is documented at 5/s burst 10: (300 - 10) / 5 = 58 s; the default-rate route
    # (20/s, burst 40) needs (200 - 40) / 20 = 8 s; the slower bucket is the floor.
    assert route_floor(ok_by_route(STATS), 1.0) == pytest.approx(58.0)
    assert route_floor(ok_by_route(STATS), 2.0) == pytest.approx(29.0)
    assert route_floor({"POST /login": 500}, 1.0) == 0.0


def test_subscription_ids_are_stable_and_distinct() -> None:
    ids = subscription_ids(200)
    assert ids == subscription_ids(200)
    assert len(set(ids)) == 200


def test_cpu_per_request_uses_the_loop_for_libraries_and_the_process_for_the_cli() -> None:
    lib = RunResult("cortexkit", "ok", items=1000, work_cpu_s=0.5, cpu_s=2.0)
    cli = RunResult("prismacloud-cli", "ok", items=10, work_cpu_s=0.01, cpu_s=10.0)
    assert cpu_per_request_us(lib) == pytest.approx(500.0)
    assert cpu_per_request_us(cli) == pytest.approx(1_000_000.0)
    assert cpu_per_request_us(RunResult("pcpi", "timeout", items=5, work_cpu_s=1.0)) is None


def test_cpu_per_request_prefers_the_best_slice_when_the_worker_reported_one() -> None:
    run = RunResult("httpx", "ok", items=1000, work_cpu_s=0.9, extra={"best_chunk_cpu_us": 610.5})
    assert cpu_per_request_us(run) == pytest.approx(610.5)


def test_needed_by_route_adds_the_lookup_404s_but_no_replay_throttle_or_fault() -> None:
    from bench.emu import needed_by_route

    stats = {
        "requests": {
            "GET /cloud/{cloud_type:cloudtype}/{account_id}": {
                "200": 5,
                "404": 3,
                "401": 1,
                "429": 2,
                "503": 4,
            },
            "POST /cas/v1/azure_account": {"200": 2, "400": 1, "0": 1, "504": 1},
            "POST /_emulator/clock": {"200": 9},
        }
    }
    assert needed_by_route(stats) == {
        "GET /cloud/{cloud_type:cloudtype}/{account_id}": 8,
        "POST /cas/v1/azure_account": 3,
    }


def test_the_onboarding_miss_note_blames_the_cpu_only_when_it_was_short() -> None:
    from bench.workloads.onboarding import miss_reason

    assert "CPU-bound (one core" in miss_reason(0.95, [1.0, 1.1], 2)
    assert "machine was busy" in miss_reason(0.5, [1.2, 14.0], 2)
    assert miss_reason(0.57, [1.1, 0.9], 2).startswith("not CPU-bound")
