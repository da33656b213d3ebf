"""The embedded governor: a bucket state file shared by processes, under flock, failing open."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from cortexkit.governor import GovernorUnavailableError, SharedLimiter, prisma_budget
from cortexkit.governor_file import FileBucketStore
from cortexkit.ratelimit import SAFETY, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_two_stores_on_one_file_share_one_bucket(tmp_path: Path) -> None:
    clock = Clock()
    a = FileBucketStore(tmp_path, "g", clock=clock)
    b = FileBucketStore(tmp_path, "g", clock=clock)
    waits = [s.reserve("GET /alert/{id}", 5, 10) for s in (a, b) * 6]
    assert waits[:9] == [0.0] * 9  # one burst (less one) between both, not one each
    assert waits[9:] == pytest.approx([n / (5 * SAFETY) for n in (1, 2, 3)])


def test_a_429_seen_by_one_slows_the_other(tmp_path: Path) -> None:
    clock = Clock()
    a = FileBucketStore(tmp_path, "g", clock=clock)
    b = FileBucketStore(tmp_path, "g", clock=clock)
    for _ in range(9):
        b.reserve("GET /alert/{id}", 5, 10)
    a.respond("GET /alert/{id}", 5, 10, 429, (None, None, None))
    # b's next slot is paced at the cut rate (0.7 x), not the ceiling
    assert b.reserve("GET /alert/{id}", 5, 10) == pytest.approx(1 / (5 * SAFETY * 0.7))


def test_a_released_slot_goes_back_to_every_process(tmp_path: Path) -> None:
    clock = Clock()
    a = FileBucketStore(tmp_path, "g", clock=clock)
    b = FileBucketStore(tmp_path, "g", clock=clock)
    waits = [a.reserve("GET /alert/{id}", 5, 10) for _ in range(10)]
    assert waits[-1] > 0  # the tenth waits
    a.release("GET /alert/{id}", 5, 10)  # its caller was cancelled: the slot is back
    assert b.reserve("GET /alert/{id}", 5, 10) == pytest.approx(waits[-1])


def test_headers_move_the_shared_ceiling(tmp_path: Path) -> None:
    clock = Clock()
    a = FileBucketStore(tmp_path, "g", clock=clock)
    a.reserve("GET /alert/{id}", 5, 10)
    a.respond("GET /alert/{id}", 5, 10, 200, (20.0, 10.0, None))
    b = FileBucketStore(tmp_path, "g", clock=clock)
    assert b.load()["GET /alert/{id}"].ceiling == pytest.approx(20 * SAFETY)


def test_state_file_is_private_and_names_no_key(tmp_path: Path) -> None:
    store = FileBucketStore(tmp_path / "cache", "governor-prisma-abc")
    store.reserve("GET /cloud", 20, 40)
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "cache").stat().st_mode & 0o777) == "0o700"


def test_corrupt_state_is_set_aside_and_the_limiter_falls_back_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    store = FileBucketStore(tmp_path, "g", clock=clock)
    store.path.write_text("{not json")
    with pytest.raises(GovernorUnavailableError):
        store.load()
    assert store.path.with_suffix(".corrupt").exists()

    store.path.write_text('{"version": 1, "buckets": {"GET /cloud": {"rate": "x"}}}')
    fallback = RateLimiter()
    limiter = SharedLimiter(store, prisma_budget, fallback, clock=clock, retry_shared=30)
    with caplog.at_level(logging.WARNING, logger="cortexkit"):
        first = limiter.reserve("GET", "/cloud", 0.0)
        second = limiter.reserve("GET", "/cloud", 0.0)
    assert (first, second) == (0.0, 0.0)  # no call lost: the process's own bucket answered
    assert fallback.snapshot()  # and it was the fallback that did
    assert limiter.failures == 1 and not limiter.shared
    warnings = [r for r in caplog.records if "shared rate budget" in r.getMessage()]
    assert len(warnings) == 1
    clock.now += 31  # the shared store is tried again, and works now that the bad file is gone
    assert limiter.shared
    limiter.reserve("GET", "/cloud", 0.0)
    assert "GET /cloud" in store.load()


def test_unwritable_directory_fails_open(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root ignores permissions: a file where the directory should be fails for everyone
        (tmp_path / "blocked").write_text("")
        store = FileBucketStore(tmp_path / "blocked", "g")
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        store = FileBucketStore(tmp_path / "ro", "g")
    limiter = SharedLimiter(store, prisma_budget, RateLimiter())
    assert limiter.reserve("GET", "/cloud", 0.0) == 0.0
    assert limiter.failures == 1


def _reserve_many(directory: str, n: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = FileBucketStore(Path(directory), "g")
    out.put([store.reserve("GET /x", 10, 1) for _ in range(n)])


def test_processes_queue_on_one_budget(tmp_path: Path) -> None:
    """Four processes reserving at once get slots spaced at one rate, as if they were one."""
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    started = time.time()
    procs = [ctx.Process(target=_reserve_many, args=(str(tmp_path), 10, out)) for _ in range(4)]
    for p in procs:
        p.start()
    waits = sorted(w for _ in procs for w in out.get(timeout=60))
    for p in procs:
        p.join(timeout=10)
    elapsed = time.time() - started
    # 40 slots at 9.8/s from one bucket of burst 1: the last one about 39/9.8 = 4 s out (less the
    # time the processes took to start, which refilled the bucket).
    assert waits[-1] == pytest.approx(39 / (10 * SAFETY), abs=elapsed)
    assert waits[-1] > 39 / (10 * SAFETY) - elapsed
    gaps = [b - a for a, b in itertools.pairwise(waits)]
    assert max(gaps) < 0.1 + elapsed  # no process got a private budget


def _hold_lock(lock_path: str) -> None:
    import fcntl

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    Path(lock_path + ".held").write_text("yes")
    time.sleep(600)


def test_a_process_killed_while_holding_the_lock_releases_it(tmp_path: Path) -> None:
    store = FileBucketStore(tmp_path, "g")
    ctx = multiprocessing.get_context("spawn")
    holder = ctx.Process(target=_hold_lock, args=(str(store.lock_path),))
    holder.start()
    held = Path(str(store.lock_path) + ".held")
    deadline = time.monotonic() + 30
    while not held.exists():
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.01)
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    killed = time.monotonic()
    assert store.reserve("GET /x", 10, 10) == 0.0
    assert time.monotonic() - killed < 1.0
    holder.join(timeout=5)
