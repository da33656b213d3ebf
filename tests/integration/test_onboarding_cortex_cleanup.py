"""Cancelling a Cortex job that already ended (failed, needs attention) cleans up what it made, through the
real CLI on the emulator over HTTP: the PENDING instance it created is deleted; a refused deletion is
listed with the reason (exit 1); an instance it adopted or that Cortex connected is kept; a job that made
nothing says so. Each ends `cancelled`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import run_in_process
from tests.integration.cortex_onboarding_support import (
    cli,
    control,
    emulator_fixture,
    env_for,
    guid,
    instances_named,
    onboard_args,
    only_job,
    summary,
)

pytestmark = pytest.mark.xdist_group("cortex-onboarding-cleanup")
POLICY_FAILURE = {"deployment_failure": {"code": "PolicyViolation", "message": "denied by policy"}}


emulator = emulator_fixture(17, status_delay=0.2, deployment_delay=0.2, whatif_delay=0.05)


def arm_job(running: RunningEmulator, data_dir: Path, name: str) -> dict[str, object]:
    """An ARM job whose deployment Azure fails: it ends `failed` after the template step made its
    PENDING instance."""
    control(running, "azure", POLICY_FAILURE)
    run = cli(
        running,
        data_dir,
        *onboard_args(guid(), guid(), name, deploy="arm", client_id=running.access_key_id),
    )
    assert run.returncode == 1, run.stderr
    job = summary(run)
    assert job["state"] == "failed" and "PolicyViolation" in str(job["error"])
    return job


def listed(running: RunningEmulator, data_dir: Path) -> dict[str, object]:
    """The job's row in `onboard list`, run through typer's runner in this process: a read of the store,
    where another interpreter start would only add seconds (the onboard and cancel runs stay processes)."""
    done = run_in_process(["onboard", "list", "-o", "json"], env_for(running, data_dir))
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert isinstance(row, dict)
    return row


def test_cancelling_a_failed_job_deletes_the_pending_instance_it_created(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"failed-{guid()[:8]}"
    job = arm_job(emulator, tmp_path, name)
    (pending,) = instances_named(emulator, name, "PENDING")
    assert pending.instance_id == job["account_id"]
    before = listed(emulator, tmp_path)
    assert before["can_cancel"] is True and before["cancel_cleans_up"] is True

    cancel = cli(emulator, tmp_path, "onboard", "cancel", str(job["id"]))

    assert cancel.returncode == 0, cancel.stderr
    assert f"deleted the PENDING Cortex instance {pending.instance_id} this job created" in cancel.stderr
    assert instances_named(emulator, name) == []
    answer = json.loads(cancel.stdout)
    assert answer["state"] == "cancelled" and answer["cleanup"]["outcome"] == "deleted"
    after = listed(emulator, tmp_path)
    assert after["state"] == "cancelled" and after["can_cancel"] is False
    assert "cancelled after it failed" in str(after["error"])
    events = [e for e in only_job_events(tmp_path) if e.get("step") == "cleanup"]
    assert [e["instance_id"] for e in events] == [pending.instance_id]
    again = cli(emulator, tmp_path, "onboard", "cancel", str(job["id"]))
    assert again.returncode == 1 and "already finished (cancelled)" in again.stderr


def only_job_events(data_dir: Path) -> list[dict[str, object]]:
    from cortexkit.onboarding.store import JobStore

    store = JobStore(f"sqlite:///{data_dir / 'jobs.db'}")
    try:
        (job,) = store.list_jobs()
        return [dict(e.payload) for e in store.events_after(job.id, 0, limit=5000)]
    finally:
        store.close()


def test_a_refused_deletion_is_listed_with_the_reason_and_exit_1(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"refused-{guid()[:8]}"
    job = arm_job(emulator, tmp_path, name)
    control(emulator, "cortex", {"role": "read_only"})  # the key may read but not delete
    try:
        cancel = cli(emulator, tmp_path, "onboard", "cancel", str(job["id"]))
    finally:
        control(emulator, "cortex", {"role": "admin"})

    assert cancel.returncode == 1
    instance = str(job["account_id"])
    assert f"the PENDING Cortex instance {instance} this job created could not be deleted" in cancel.stderr
    assert "does not have permission" in cancel.stderr and "Settings > Data Sources" in cancel.stderr
    assert "Traceback" not in cancel.stderr
    (left,) = instances_named(emulator, name)
    assert left.status == "PENDING"
    assert json.loads(cancel.stdout)["cleanup"]["outcome"] == "refused"
    assert listed(emulator, tmp_path)["state"] == "cancelled"


def test_a_failed_job_that_created_nothing_says_there_is_nothing_to_clean(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    tenant = guid()
    name = f"nothing-{guid()[:8]}"
    control(emulator, "cortex", {"approved_tenants": {tenant: False}})
    run = cli(emulator, tmp_path, *onboard_args(tenant, guid(), name, deploy="manual"))
    assert run.returncode == 1 and summary(run)["state"] == "failed"

    cancel = cli(emulator, tmp_path, "onboard", "cancel", str(summary(run)["id"]))

    assert cancel.returncode == 0, cancel.stderr
    assert "nothing to clean up: this job created no Cortex instance" in cancel.stderr
    assert json.loads(cancel.stdout)["cleanup"]["outcome"] == "nothing"
    assert listed(emulator, tmp_path)["state"] == "cancelled"
    assert instances_named(emulator, name) == []


def test_an_instance_the_job_adopted_is_never_deleted(emulator: RunningEmulator, tmp_path: Path) -> None:
    name = f"adopted-{guid()[:8]}"
    first = cli(emulator, tmp_path / "first", *onboard_args(guid(), guid(), name, deploy="manual"))
    assert summary(first)["state"] == "waiting", first.stderr
    (theirs,) = instances_named(emulator, name, "PENDING")
    job = arm_job(emulator, tmp_path / "second", name)
    assert job["account_id"] == theirs.instance_id
    assert only_job(tmp_path / "second").step("template").output["owned"] is False

    cancel = cli(emulator, tmp_path / "second", "onboard", "cancel", str(job["id"]))

    assert cancel.returncode == 0, cancel.stderr
    assert f"Cortex instance {theirs.instance_id} was there before this job" in cancel.stderr
    assert [i.instance_id for i in instances_named(emulator, name, "PENDING")] == [theirs.instance_id]
    assert listed(emulator, tmp_path / "second")["state"] == "cancelled"


def test_a_needs_attention_job_keeps_the_instance_cortex_connected(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"attention-{guid()[:8]}"
    outcome = {"status": "Error", "message": "the managed identity lacks Reader", "instance_name": name}
    control(emulator, "cortex", {"capability_outcome": outcome})
    run = cli(
        emulator,
        tmp_path,
        *onboard_args(guid(), guid(), name, deploy="arm", client_id=emulator.access_key_id),
    )
    job = summary(run)
    assert job["state"] == "needs_attention", run.stderr
    assert listed(emulator, tmp_path)["can_cancel"] is True

    cancel = cli(emulator, tmp_path, "onboard", "cancel", str(job["id"]))

    assert cancel.returncode == 0, cancel.stderr
    assert "(Cortex connected it), so it was kept" in cancel.stderr
    (kept,) = instances_named(emulator, name)
    assert kept.status != "PENDING"
    after = listed(emulator, tmp_path)
    assert after["state"] == "cancelled" and "cancelled after it needed attention" in str(after["error"])
