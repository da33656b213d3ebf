"""Issue 13's proof at full length, in `make soak`: a 20-row CSV bulk through the CLI (its own client,
retries and the default 30 s probe interval) meets 45 s of 503 on every route, then 15 s of dropped
connections; it ends by itself, exit 0, 20 of 20 done, one account per subscription. `make test` runs the
same path with an 8 s + 4 s outage and a 0.5 s probe interval (test_onboarding_resume_all.py)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.store import JobStore
from tests.integration.test_onboarding_resume_all import SECRET, Make, csv_file, invoke, onboarded

pytestmark = pytest.mark.xdist_group("outage")


@pytest.fixture
def running(make_emulator: Make) -> RunningEmulator:
    return make_emulator(status_delay=0.3)


@pytest.fixture
def env(running: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """The CLI's defaults: its client's retries and the 30 s probe interval."""
    return {**running.client_env(), "CORTEXKIT_DATA_DIR": str(tmp_path), "AZURE_CLIENT_SECRET": SECRET}


@pytest.mark.soak
def test_cli_bulk_rides_out_a_sixty_second_outage_at_the_default_probe_interval(
    running: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    path, subs = csv_file(tmp_path, 20)
    result: list[tuple[int, str, str]] = []
    t0 = time.monotonic()
    command = threading.Thread(
        target=lambda: result.append(
            invoke(env, "onboard", "azure", "--from-csv", str(path), "--poll-interval", "0.1", "-o", "json")
        ),
        daemon=True,
    )
    command.start()
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(j.ok for j in store.list_jobs()) < 2:
        time.sleep(0.05)
    done_before = sum(j.ok for j in store.list_jobs())
    faults = f"{running.url}/_emulator/faults"
    t_out = time.monotonic()
    httpx.post(
        faults, json={"route": "* /*", "statuses": [503], "count": 10**9}, timeout=10
    ).raise_for_status()
    time.sleep(45.0)
    httpx.delete(faults, timeout=10).raise_for_status()
    httpx.post(
        faults, json={"route": "* /*", "statuses": ["drop"], "count": 10**9}, timeout=10
    ).raise_for_status()
    time.sleep(15.0)
    httpx.delete(faults, timeout=10).raise_for_status()
    t_back = time.monotonic()
    command.join(300)
    assert not command.is_alive() and result, "the bulk did not end by itself after the outage"
    t_end = time.monotonic()
    code, out, err = result[0]
    states = [j["state"] for j in json.loads(out)]
    counts = onboarded(running)
    waits = err.count("job waiting: the API answered 503 since") + err.count(
        "job waiting: the API could not be reached"
    )
    print(
        f"\nFIGURES exit={code} done={states.count('done')}/20 done_before={done_before} "
        f"outage_s={t_back - t_out:.1f} after_recovery_s={t_end - t_back:.1f} total_s={t_end - t0:.1f} "
        f"waiting_lines={waits} accounts={sum(counts[s] for s in subs)}"
    )
    assert code == 0, err[-2000:]
    assert states == ["done"] * 20
    assert "20 job(s): 20 done" in err
    assert waits >= 1, "the breaker paused jobs, not only the client's retries"
    assert all(counts[s] == 1 for s in subs), counts
