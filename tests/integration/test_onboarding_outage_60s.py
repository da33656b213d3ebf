"""Issue 13's proof at full length, in `make soak`: a 20-row CSV bulk through the CLI (its own client,
retries and the default 30 s probe interval) meets 45 s of 503 on every route, then 15 s of dropped
connections; it ends by itself, exit 0, 20 of 20 done, one account per subscription. `make test` runs the
same path with an 8 s + 4 s outage and a 0.5 s probe interval (test_onboarding_resume_all.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.test_onboarding_resume_all import SECRET, Make, bulk_through_outage, onboarded

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
    run = bulk_through_outage(running, env, tmp_path, rows=20, seconds_503=45.0, seconds_drop=15.0)
    states = [j["state"] for j in json.loads(run.out)]
    counts = onboarded(running)
    waits = run.err.count("job waiting: the API answered 503 since") + run.err.count(
        "job waiting: the API could not be reached"
    )
    print(
        f"\nFIGURES exit={run.code} done={states.count('done')}/20 done_before={run.done_before} "
        f"outage_s={run.outage_s} after_recovery_s={run.after_recovery_s} total_s={run.total_s} "
        f"waiting_lines={waits} accounts={sum(counts[s] for s in run.subs)}"
    )
    assert run.code == 0, run.err[-2000:]
    assert states == ["done"] * 20
    assert "20 job(s): 20 done" in run.err
    assert waits >= 1, "the breaker paused jobs, not only the client's retries"
    assert all(counts[s] == 1 for s in run.subs), counts
