"""Cortex counts every request of a tenant against one limit (10/s): four `CortexClient` processes with
library defaults share that budget through the governor, and meet no 429."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import run_emulator
from tests.integration.process_support import release_together

JITTER = 4
"""429s a loaded machine may cause by delaying paced requests into a bunch (of 48 calls: 3 in one CI run at
load 2-3, 2 in one of six runs with three busy loops beside them, before and after the limiter's 429
change alike); without the governor they meet about 20. The bench measures the real figure (0)."""

MEMBER = """
import sys, time
from pathlib import Path
from cortexkit.cortex.client import CortexClient
with CortexClient() as client:
    print("ready", flush=True)
    go = Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.005)
    for _ in range(int(sys.argv[2])):
        client.system.validate_key()
    print(client.stats.throttled, flush=True)
"""


def run_members(tmp: Path, governor: str, processes: int = 4, calls: int = 12) -> tuple[int, list[int]]:
    """(429s the server sent, 429s each process saw) for `processes` processes released together."""
    with run_emulator(rate_limits="documented") as running:
        env = {**os.environ, **running.cortex_env(), "CORTEXKIT_GOVERNOR": governor}
        env["CORTEXKIT_CACHE_DIR"] = str(tmp / f"cache-{governor}")
        go = tmp / f"go-{governor}"
        command = [sys.executable, "-c", MEMBER, str(go), str(calls)]
        lines = release_together([(command, env)] * processes, go)
        seen = [int(line) for line in lines]
        stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return int(stats.get("throttled", 0)), seen


@pytest.mark.slow
def test_cortex_processes_share_the_tenant_budget(tmp_path: Path) -> None:
    throttled, seen = run_members(tmp_path, "on")
    # 0 on a quiet machine (make bench measures it); a loaded one can stall the emulator long enough to
    # bunch a few paced requests together, so a little jitter is tolerated. Alone, they meet about 20.
    assert throttled <= JITTER and sum(seen) == throttled
    assert list((tmp_path / "cache-on").glob("governor-cortex-*.json"))


@pytest.mark.slow
def test_cortex_processes_alone_overdraw_the_tenant(tmp_path: Path) -> None:
    """The comparison: each process with its own 10/s bucket sends its first 9 at once, 4 x 9 against the
    server's 10 (a loaded machine staggers the starts, so only "some" is asserted; about 20 when quiet)."""
    throttled, seen = run_members(tmp_path, "off")
    assert throttled > 0
    assert sum(seen) == throttled
