"""The Cortex onboarding job end to end through the real CLI, on the emulator over HTTP: the manual deploy
(waiting with the links), cancel with cleanup, a lost create answer, an expired link, an unapproved
tenant, bad input and the dry run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cortex_onboarding_support import (
    cli,
    control,
    emulator_fixture,
    guid,
    instances_named,
    onboard_args,
    only_job,
    summary,
)

pytestmark = pytest.mark.xdist_group("cortex-onboarding")
ONBOARD = "/public_api/v1/cloud_onboarding"


emulator = emulator_fixture(11, status_delay=0.5)


def test_manual_deploy_waits_with_the_links_and_cancel_deletes_the_pending_instance(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"manual-{guid()[:8]}"
    run = cli(emulator, tmp_path, *onboard_args(guid(), guid(), name, deploy="manual"))
    assert run.returncode == 1, run.stderr
    job = summary(run)
    assert (job["state"], job["kind"], job["provisioner"]) == ("waiting", "cortex", "cortex-manual")
    assert "az deployment sub create" in job["error"] and "onboard resume" in job["error"]
    (pending,) = instances_named(emulator, name, "PENDING")
    assert job["account_id"] == pending.instance_id  # the instance id is the job's recorded id
    record = only_job(tmp_path)
    files = record.step("download").output["files"]
    assert set(files) == {"ARM", "TF"}
    work = Path(record.step("download").output["work_dir"])
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    for entry in files.values():
        assert len(entry["sha256"]) == 64 and Path(entry["path"]).is_file()
    # without Cortex credentials, resume refuses before touching the job
    refused = cli(emulator, tmp_path, "onboard", "resume", job["id"], without_cortex=True)
    assert refused.returncode == 2 and "Cortex Cloud credentials" in refused.stderr
    assert only_job(tmp_path).state == "waiting"
    # resuming while Cortex still shows PENDING waits again (no second instance)
    again = cli(emulator, tmp_path, "onboard", "resume", job["id"])
    assert summary(again)["state"] == "waiting"
    assert len(instances_named(emulator, name)) == 1
    listed = cli(emulator, tmp_path, "cloud-instances", "list", "--mine")
    assert listed.returncode == 0, listed.stderr
    assert [(r["instance_id"], r["job"]) for r in json.loads(listed.stdout)] == [
        (pending.instance_id, job["id"])
    ]
    cancelled = cli(emulator, tmp_path, "onboard", "cancel", job["id"])
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"deleted the PENDING Cortex instance {pending.instance_id}" in cancelled.stderr
    assert instances_named(emulator, name) == []
    listing = json.loads(cli(emulator, tmp_path, "onboard", "list").stdout)
    assert [(r["id"], r["name"], r["state"]) for r in listing] == [(job["id"], name, "cancelled")]


@pytest.mark.parametrize("when", ["after", "before"])
def test_a_lost_create_answer_is_reconciled_to_one_instance(
    emulator: RunningEmulator, tmp_path: Path, when: str
) -> None:
    """`after`: Cortex made the instance and the answer was lost (adopted by lookup); `before`: it made
    nothing (the lookup finds none, so the create is sent again, not blindly)."""
    name = f"lost-{when}-{guid()[:8]}"
    faults = f"{emulator.url}/_emulator/faults"
    route = f"POST {ONBOARD}/create_instance_template"
    plan = {"route": route, "statuses": [503], "count": 1, "when": when}
    httpx.post(faults, json=plan).raise_for_status()
    try:
        run = cli(emulator, tmp_path, *onboard_args(guid(), guid(), name, deploy="manual"))
    finally:
        httpx.delete(faults)
    assert summary(run)["state"] == "waiting", run.stderr
    (only,) = instances_named(emulator, name)
    assert only_job(tmp_path).account_id == only.instance_id


def test_a_failed_edit_after_a_lost_create_answer_is_sent_again(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The lost create is reconciled by lookup and `edit_instance` (fresh links); a 503 on that edit
    failed the job and left its PENDING instance (the 100-row bench at 5 % faults). The same edit is
    safe to send again, so the job sends it again and carries on."""
    name = f"edit503-{guid()[:8]}"
    faults = f"{emulator.url}/_emulator/faults"
    lost = {"route": f"POST {ONBOARD}/create_instance_template", "statuses": [503], "when": "after"}
    refused = {"route": f"POST {ONBOARD}/edit_instance", "statuses": [503], "count": 1}
    for plan in (lost, refused):
        httpx.post(faults, json=plan).raise_for_status()
    try:
        run = cli(emulator, tmp_path, *onboard_args(guid(), guid(), name, deploy="manual"))
    finally:
        httpx.delete(faults)
    assert summary(run)["state"] == "waiting", run.stderr
    (only,) = instances_named(emulator, name)
    assert only_job(tmp_path).account_id == only.instance_id
    events = cli(emulator, tmp_path, "onboard", "show", only_job(tmp_path).id, "--events").stdout
    assert "sending the same edit again" in events and "reconciled after a lost answer" in events


def test_a_crash_after_create_adopts_the_instance_instead_of_creating_another(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"adopt-{guid()[:8]}"
    killed = cli(
        emulator, tmp_path, *onboard_args(guid(), guid(), name, deploy="manual"), kill_at="template:created"
    )
    assert killed.returncode < 0
    assert len(instances_named(emulator, name)) == 1
    job = only_job(tmp_path)
    resumed = cli(emulator, tmp_path, "onboard", "resume", job.id)
    assert summary(resumed)["state"] == "waiting", resumed.stderr
    (only,) = instances_named(emulator, name)
    assert only_job(tmp_path).account_id == only.instance_id
    assert (
        "adopted after an interrupted create"
        in cli(emulator, tmp_path, "onboard", "show", job.id, "--events").stdout
    )


def test_an_expired_link_is_refreshed_through_edit_instance(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"expired-{guid()[:8]}"
    killed = cli(
        emulator, tmp_path, *onboard_args(guid(), guid(), name, deploy="manual"), kill_at="download:start"
    )
    assert killed.returncode < 0
    job = only_job(tmp_path)
    old = job.step("template").output["links"]["ARM"]
    assert httpx.get(old).status_code == 200
    control(emulator, "clock", {"advance": 8 * 86400})
    assert httpx.get(old).status_code == 400  # ExpiredToken
    resumed = cli(emulator, tmp_path, "onboard", "resume", job.id)
    assert summary(resumed)["state"] == "waiting", resumed.stderr
    done = only_job(tmp_path).step("download").output
    assert done["links"]["ARM"] != old and set(done["files"]) == {"ARM", "TF"}
    assert "fresh links from edit_instance" in resumed.stderr
    assert len(instances_named(emulator, name)) == 1


def test_an_unapproved_tenant_fails_the_preflight_with_the_consent_link(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    tenant = guid()
    name = f"unapproved-{guid()[:8]}"
    control(emulator, "cortex", {"approved_tenants": {tenant: False}})
    run = cli(emulator, tmp_path, *onboard_args(tenant, guid(), name, deploy="manual"))
    assert run.returncode == 1
    job = summary(run)
    assert job["state"] == "failed"
    assert (
        "approved tenant" in job["error"]
        and f"login.microsoftonline.com/{tenant}/adminconsent" in job["error"]
    )
    assert instances_named(emulator, name) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scope", "galaxy"], "--scope"),
        (["--scope", "management-group"], "--management-group-id"),
        (["--deploy", "arm"], "--client-id"),
        (["--capability", "warp"], "--capability"),
        (["--tag", "novalue"], "--tag"),
    ],
)
def test_bad_input_is_one_sentence_exit_2_and_creates_nothing(
    emulator: RunningEmulator, tmp_path: Path, args: list[str], says: str
) -> None:
    base = ["onboard", "azure", "--tenant-id", guid(), "--subscription-id", guid(), "--name", "bad"]
    run = cli(emulator, tmp_path, *base, *args)
    assert run.returncode == 2, run.stderr
    assert says in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "jobs.db").exists()


def test_dry_run_lists_the_calls_without_credentials_or_a_store(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    args = onboard_args(guid(), guid(), "plan", deploy="arm", client_id=guid())
    run = cli(emulator, tmp_path, *args, "--dry-run")
    assert run.returncode == 0, run.stderr
    steps = [(c["step"], c["method"]) for c in json.loads(run.stdout)]
    assert ("template", "POST") in steps and ("deploy", "PUT") in steps
    assert emulator.secret_key not in run.stdout
    assert not (tmp_path / "jobs.db").exists()
