"""The shared rate budget across real processes: eight `cortexkit` processes on one key against the
emulator's documented limits (GET /alert/{id}: 5/s, burst 10), counting the 429s the server sent."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from tests.integration.process_support import release_together

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 8
CALLS = 5


def alert_ids(running: RunningEmulator, n: int) -> list[str]:
    with Client(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        rate_limit=False,
    ) as client:
        body = client.request("POST", "/v2/alert", json={"limit": n})
    return [str(item["id"]) for item in body["items"]][:n]


def run_processes(
    running: RunningEmulator,
    tmp: Path,
    governor: str,
    env_of: Callable[[int], dict[str, str]] | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Start the workers, let them log in, fire them together; their outputs and the server's counts
    of GET /alert/{id} answers by status."""
    ids = alert_ids(running, CALLS)
    env = {**os.environ, **running.client_env()}
    # The token cache's key: a 0600 file in a temp config dir, never the user's keyring or config.
    env["CORTEXKIT_CONFIG_DIR"] = str(tmp / "config")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    go = tmp / f"go-{governor}"
    worker = [
        sys.executable,
        "-m",
        "tests.integration.governor_worker",
        "--ids",
        ",".join(ids),
        "--go",
        str(go),
    ]
    commands = [
        ([*worker, "--governor", governor, *extra], {**env, **(env_of(n) if env_of else {})})
        for n in range(PROCESSES)
    ]
    lines = release_together(commands, go, cwd=ROOT)
    outputs = [json.loads(line) for line in lines]
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    answers = {k: int(v) for k, v in stats["requests"]["GET /alert/{alert_id}"].items()}
    answers["logins"] = int(stats["requests"]["POST /login"].get("200", 0))
    return outputs, answers


@pytest.mark.slow
def test_eight_processes_share_one_budget_and_meet_no_429(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    running = make_emulator(rate_limits="documented")
    cache = tmp_path / "cache"
    started = time.monotonic()
    outputs, answers = run_processes(
        running, tmp_path, "on", lambda _: {"CORTEXKIT_CACHE_DIR": str(cache)}, ("--session-cache",)
    )
    elapsed = time.monotonic() - started
    assert answers.get("429", 0) == 0, answers
    assert answers.get("200") == PROCESSES * CALLS
    assert sum(o["throttled"] for o in outputs) == 0
    assert elapsed < 120
    assert list(cache.glob("governor-prisma-*.json")), "the budget was not kept in the shared cache dir"
    # Started together, they logged in once: the others adopted that token through the token cache
    # (alert_ids() above made one login of its own, without the cache).
    assert answers["logins"] == 1 + 1, answers
    assert sum(o["logins"] for o in outputs) == 1
    assert sum(o["adopted"] for o in outputs) == PROCESSES - 1


@pytest.mark.slow
def test_without_the_governor_the_same_processes_are_throttled(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    """The comparison that shows what the governor is for: each process alone thinks it has the whole
    burst, so eight of them overdraw the server's bucket (every call still succeeds, after retries)."""
    running = make_emulator(rate_limits="documented")
    outputs, answers = run_processes(running, tmp_path, "off")
    assert answers.get("200") == PROCESSES * CALLS
    assert answers.get("429", 0) > 0, answers
    assert sum(o["throttled"] for o in outputs) == answers["429"]


@pytest.mark.slow
def test_processes_on_four_hosts_share_one_budget_through_redis(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, redis_url: str
) -> None:
    """Four "hosts" (separate cache dirs and HOMEs, so no shared file), two processes each, one Redis."""
    pytest.importorskip("redis")
    running = make_emulator(rate_limits="documented")

    def host(n: int) -> dict[str, str]:
        home = tmp_path / f"host{n % 4}"
        return {
            "HOME": str(home),
            "CORTEXKIT_CACHE_DIR": str(home / "cache"),
            "CORTEXKIT_GOVERNOR_URL": redis_url,
        }

    _outputs, answers = run_processes(running, tmp_path, "on", host)
    assert answers.get("429", 0) == 0, answers
    assert answers.get("200") == PROCESSES * CALLS
    assert not list(tmp_path.glob("host*/cache/governor-*.json")), "Redis, not a file, kept the budget"
