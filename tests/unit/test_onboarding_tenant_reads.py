"""The reads every job of a bulk makes alike, made once per runner and tenant: single-flight, a time to
live, never caching a failure, and a forced re-read (a group created a moment ago is not 'not found')."""

from __future__ import annotations

import threading
import time

import pytest

from cortexkit.onboarding.tenant_reads import TenantReads


def test_concurrent_jobs_make_one_read() -> None:
    reads = TenantReads()
    calls = []
    gate = threading.Event()

    def fetch() -> list[str]:
        calls.append(1)
        gate.wait(5)
        return ["g1"]

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(reads.get("groups", fetch))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    gate.set()
    for t in threads:
        t.join()
    assert calls == [1]
    assert results == [["g1"]] * 8


def test_a_read_older_than_its_life_is_made_again() -> None:
    now = [0.0]
    reads = TenantReads(ttl=60.0, clock=lambda: now[0])
    answers = iter([["a"], ["a", "b"]])
    assert reads.get("groups", lambda: next(answers)) == ["a"]
    now[0] = 59.0
    assert reads.get("groups", lambda: pytest.fail("read again within its life")) == ["a"]
    now[0] = 61.0
    assert reads.get("groups", lambda: next(answers)) == ["a", "b"]


def test_a_kept_answer_that_is_not_enough_is_read_again_and_kept() -> None:
    reads = TenantReads()
    reads.get("groups", lambda: ["a"])
    assert reads.get("groups", lambda: ["a", "new"], enough=lambda kept: "new" in kept) == ["a", "new"]
    assert reads.get("groups", lambda: pytest.fail("cached")) == ["a", "new"]


def test_an_answer_this_call_read_is_not_read_twice() -> None:
    reads = TenantReads()
    calls: list[int] = []

    def fetch() -> list[str]:
        calls.append(1)
        return ["a"]

    assert reads.get("groups", fetch, enough=lambda kept: "missing" in kept) == ["a"]
    assert calls == [1]  # the caller then fails its job on the answer it got


def test_a_failed_read_is_not_kept() -> None:
    reads = TenantReads()

    def down() -> list[str]:
        raise ConnectionError("API down")

    with pytest.raises(ConnectionError):
        reads.get("groups", down)
    assert reads.get("groups", lambda: ["a"]) == ["a"]


def test_keys_are_separate() -> None:
    reads = TenantReads()
    assert reads.get(("features", "account"), lambda: ["x"]) == ["x"]
    assert reads.get(("features", "tenant"), lambda: ["y"]) == ["y"]
