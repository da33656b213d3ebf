"""`cortexkit onboard azure --from-csv ... --outage-budget` and `onboard resume --all|--batch`, in-process
through the root app against the emulator: the budget runs out during an outage (jobs end failed,
resumable, with the cause), then one command carries every resumable job on."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from tests.integration.onboarding_support import guid, subscription_spec

pytestmark = pytest.mark.xdist_group("outage")

Make = Callable[..., RunningEmulator]
SECRET = "cli-sp-secret-value"


@pytest.fixture
def running(make_emulator: Make) -> RunningEmulator:
    return make_emulator(status_delay=0.3)


@pytest.fixture
def env(running: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return {
        **running.client_env(),
        "CORTEXKIT_DATA_DIR": str(tmp_path),
        "AZURE_CLIENT_SECRET": SECRET,
        "CORTEXKIT_OUTAGE_RETRY_INTERVAL": "0.5",
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def csv_file(tmp_path: Path, rows: int) -> tuple[Path, list[str]]:
    tenant, client, sp = guid(), guid(), guid()
    subs = [guid() for _ in range(rows)]
    lines = ["name,subscription_id,tenant_id,client_id,service_principal_id,features"]
    lines += [f"cli-outage-{i},{sub},{tenant},{client},{sp},Remediation" for i, sub in enumerate(subs)]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, subs


def onboarded(running: RunningEmulator) -> Counter[str]:
    return Counter(a.account_id for a in running.emulator.state.accounts if a.cloud_type == "azure")


def test_budget_runs_out_then_resume_batch_finishes_the_bulk(
    running: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    path, subs = csv_file(tmp_path, 6)
    plan = {"route": "* /*", "statuses": [503], "count": 10**9}
    httpx.post(f"{running.url}/_emulator/faults", json=plan, timeout=10).raise_for_status()
    started = time.monotonic()
    code, out, err = invoke(
        env, "onboard", "azure", "--from-csv", str(path), "--poll-interval", "0.1",
        "--outage-budget", "2s", "-o", "json",
    )  # fmt: skip
    assert code == 1, err
    assert time.monotonic() - started < 90
    jobs = json.loads(out)
    assert [j["state"] for j in jobs] == ["failed"] * 6
    assert all("longer than the outage budget (2 s)" in j["error"] for j in jobs)
    assert "job waiting: the API answered 503 since" in err  # the pause streamed while it lasted
    batch = re.search(r"batch ([0-9a-f]{12}): 6 job\(s\)", err)
    assert batch is not None, err
    assert f"6 job(s): 6 failed; carry them on with 'cortexkit onboard resume --batch {batch[1]}'" in err
    assert "Traceback" not in err and SECRET not in out + err

    httpx.delete(f"{running.url}/_emulator/faults", timeout=10).raise_for_status()
    code, out, err = invoke(
        env, "onboard", "resume", "--batch", batch[1], "--poll-interval", "0.1", "-o", "json"
    )
    assert code == 0, err
    assert [j["state"] for j in json.loads(out)] == ["done"] * 6
    assert "resuming 6 job(s)" in err and "6 job(s): 6 done" in err
    counts = onboarded(running)
    assert all(counts[s] == 1 for s in subs), counts

    code, out, err = invoke(env, "onboard", "resume", "--all")
    assert code == 0 and "nothing to resume" in err


def test_resume_all_takes_pending_failed_and_orphaned_jobs_but_not_done_ones(
    running: RunningEmulator, env: dict[str, str], tmp_path: Path, store_url: str
) -> None:
    """On SQLite and on PostgreSQL (the CLI on the same store through CORTEXKIT_STORE_URL)."""
    store = JobStore(store_url, data_dir=tmp_path)
    if not store_url.startswith("sqlite"):
        env = {**env, "CORTEXKIT_STORE_URL": store_url}
    pending = store.create_job(subscription_spec(name="never-started"), secret=SECRET)
    orphan = store.create_job(subscription_spec(name="orphaned"), secret=SECRET)
    store.claim(orphan, "another-host:4242#dead", lease_seconds=0.01)  # its host died: the lease ran out
    held = store.create_job(subscription_spec(name="held"), secret=SECRET)
    store.claim(held, "another-host:4243#alive", lease_seconds=600)  # a live runner elsewhere holds it
    time.sleep(0.05)
    assert store.require_job(orphan).state is JobState.RUNNING

    code, out, err = invoke(env, "onboard", "resume", "--all", "--poll-interval", "0.1", "-o", "json")
    assert code == 0, err
    states = {j["name"]: j["state"] for j in json.loads(out)}
    assert states == {"never-started": "done", "orphaned": "done"}
    assert "left alone" in err and "another-host:4243#alive" in err
    assert "2 done, 1 run by another live runner (left alone)" in err
    assert store.require_job(held).state is JobState.RUNNING
    assert store.require_job(pending).account_id is not None

    code, out, err = invoke(env, "onboard", "resume", "--all", "-o", "json")
    assert code == 0 and "resuming 1 job(s)" in err  # only the held one is still a candidate


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["onboard", "resume"], "resume takes one of: a job id, --all or --batch ID"),
        (["onboard", "resume", "--all", "--batch", "abc"], "resume takes one of"),
        (["onboard", "resume", "--batch", "nosuchbatch"], "no job belongs to batch 'nosuchbatch'"),
        (["onboard", "resume", "--all", "--force"], "take one job id"),
        (
            ["onboard", "resume", "--all", "--outage-budget", "soon"],
            "--outage-budget: 'soon' is not a duration",
        ),
    ],
)
def test_resume_many_usage_problems(env: dict[str, str], args: list[str], message: str) -> None:
    code, _out, err = invoke(env, *args)
    assert code == 2, err
    assert message in err and "Traceback" not in err


@dataclass(frozen=True)
class OutageRun:
    """What a CSV bulk through the CLI did across an outage made on every route."""

    code: int
    out: str
    err: str
    subs: list[str]
    done_before: int
    outage_s: float
    after_recovery_s: float
    total_s: float


def bulk_through_outage(
    running: RunningEmulator,
    env: dict[str, str],
    tmp_path: Path,
    *,
    rows: int,
    seconds_503: float,
    seconds_drop: float,
) -> OutageRun:
    """Start `onboard azure --from-csv` of `rows` rows; once 2 jobs are done, every route answers 503 for
    `seconds_503`, then drops connections for `seconds_drop`, then recovers; wait for the command."""
    path, subs = csv_file(tmp_path, rows)
    result: list[tuple[int, str, str]] = []
    started = time.monotonic()
    command = threading.Thread(
        target=lambda: result.append(
            invoke(env, "onboard", "azure", "--from-csv", str(path), "--poll-interval", "0.1", "-o", "json")
        ),
        daemon=True,
    )
    command.start()
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(j.ok for j in store.list_jobs()) < 2:
        time.sleep(0.05)
    done_before = sum(j.ok for j in store.list_jobs())
    faults = f"{running.url}/_emulator/faults"
    outage_started = time.monotonic()
    for status, seconds in ((503, seconds_503), ("drop", seconds_drop)):
        plan = {"route": "* /*", "statuses": [status], "count": 10**9}
        httpx.post(faults, json=plan, timeout=10).raise_for_status()
        time.sleep(seconds)
        httpx.delete(faults, timeout=10).raise_for_status()
    recovered = time.monotonic()
    command.join(180)
    assert not command.is_alive() and result, "the bulk did not end by itself after the outage"
    finished = time.monotonic()
    code, out, err = result[0]
    return OutageRun(
        code,
        out,
        err,
        subs,
        done_before,
        round(recovered - outage_started, 1),
        round(finished - recovered, 1),
        round(finished - started, 1),
    )


def test_cli_bulk_rides_out_a_total_outage_and_exits_0(
    running: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """The issue's proof through the command itself (default client retries, so the outage is longer
    than one call's retries: 503 on every route for 8 s, then dropped connections for 4 s)."""
    run = bulk_through_outage(running, env, tmp_path, rows=20, seconds_503=8.0, seconds_drop=4.0)
    assert run.code == 0, run.err
    assert [j["state"] for j in json.loads(run.out)] == ["done"] * 20
    assert "20 job(s): 20 done" in run.err
    assert "job waiting: the API answered 503 since" in run.err  # the breaker, not only the client's retries
    counts = onboarded(running)
    assert all(counts[s] == 1 for s in run.subs), counts
