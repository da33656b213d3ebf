"""The Cortex onboarding job deploying for real (the emulator's ARM API) through the CLI: the whole flow
by ARM and by Terraform, SIGKILL at every step then resume (one instance, one deployment), a failed
deployment resumed, and a capability in Error ending `needs_attention` with Cortex's message."""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import CORTEX_STEPS
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
from tests.trials import quick_and_full

pytestmark = pytest.mark.xdist_group("cortex-onboarding-deploy")
FAKE_TERRAFORM = Path(__file__).parents[1] / "fixtures" / "fake_terraform_cortex.py"
EXTRA_POINTS = {"template": ("template:created",), "deploy": ("deploy:put",)}
POINTS = [
    point for step in CORTEX_STEPS for point in (f"{step}:start", *EXTRA_POINTS.get(step, ()), f"{step}:done")
]
"""Every kill point of a Cortex job, in the order a run reaches them (all 16 under `make soak`)."""
SIDE_EFFECT_POINTS = [
    "template:created",
    "template:done",
    "deploy:put",
    "deploy:done",
    "wait_cortex:done",
    "reconcile:done",
]
"""`make test`'s kills (6 of the 16): right after each call that makes something in Cortex or Azure (the
instance, the deployment), and after each step that made or waited for something and after the last
step, before the job records it. The first is in the `onboard azure` run, the others in `onboard resume`
runs, as in the full case."""


emulator = emulator_fixture(13, status_delay=0.5, deployment_delay=0.6, whatif_delay=0.2)


def deployments_named(running: RunningEmulator, name: str) -> list[dict[str, Any]]:
    rows = httpx.get(f"{running.url}/_emulator/azure", timeout=10).json()["deployments"]
    return [d for d in rows if d["id"].endswith(f"/deployments/{name}")]


def sound(data_dir: Path, secret: str) -> None:
    with sqlite3.connect(data_dir / "jobs.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    text = b"".join(
        p.read_bytes() for p in data_dir.iterdir() if p.is_file() and p.name.startswith("jobs.db")
    )
    assert secret.encode() not in text


def arm_args(running: RunningEmulator, name: str, tenant: str | None = None) -> list[str]:
    return onboard_args(tenant or guid(), guid(), name, deploy="arm", client_id=running.access_key_id)


def test_arm_flow_end_to_end(emulator: RunningEmulator, tmp_path: Path) -> None:
    name = f"arm-{guid()[:8]}"
    run = cli(emulator, tmp_path, *arm_args(emulator, name))
    assert run.returncode == 0, run.stderr
    job = summary(run)
    assert job["state"] == "done" and job["provisioner"] == "cortex-arm"
    (instance,) = instances_named(emulator, name)
    assert instance.status == "CONNECTED" and instance.instance_id == job["account_id"]
    record = only_job(tmp_path)
    deploy = record.step("deploy").output
    assert deploy["state"] == "Succeeded" and deploy["deployment"] == f"cortexkit-onboarding-{job['id']}"
    assert {c["change"] for c in deploy["what_if"]} == {"Create"} and len(deploy["what_if"]) >= 4
    assert {r["state"] for r in deploy["resources"]} == {"Succeeded"}
    (made,) = deployments_named(emulator, deploy["deployment"])
    assert made["tracking_guid"] == instance.instance_id
    checks = record.step("preflight").output["checks"]
    assert [c["ok"] for c in checks if c["name"] != "approved tenant"] == [True] * 5  # sign-in + 4 reads
    caps = record.step("wait_cortex").output["capabilities"]
    assert caps and {c["label"] for c in caps} <= {"Connected", "Disabled"}
    reconcile = record.step("reconcile").output
    assert (reconcile["missing"], reconcile["extra"]) == ([], [])
    assert [a["account_id"] for a in reconcile["accounts"]] == [record.spec.subscription_id]
    sound(tmp_path, emulator.secret_key)
    assert emulator.secret_key not in run.stderr + run.stdout


def test_terraform_flow_end_to_end(emulator: RunningEmulator, tmp_path: Path) -> None:
    name = f"tf-{guid()[:8]}"
    args = onboard_args(guid(), guid(), name, deploy="terraform", client_id=emulator.access_key_id)
    run = cli(emulator, tmp_path, *args, "--terraform", f"{sys.executable} {FAKE_TERRAFORM}")
    assert run.returncode == 0, run.stderr
    (instance,) = instances_named(emulator, name)
    assert instance.status == "CONNECTED"
    assert len(deployments_named(emulator, f"cortex-{instance.instance_id}")) == 1
    record = only_job(tmp_path)
    assert record.step("deploy").output["state"] == "applied"
    folder = Path(record.step("deploy").output["work_dir"])
    assert json.loads((folder / "cortexkit.auto.tfvars.json").read_text()) == {
        "subscription_id": record.spec.subscription_id
    }
    events = cli(emulator, tmp_path, "onboard", "show", record.id, "--events").stdout
    assert "Apply complete!" in events and emulator.secret_key not in events
    sound(tmp_path, emulator.secret_key)


@quick_and_full("points", SIDE_EFFECT_POINTS, POINTS, ("side-effect-points", "every-point"))
def test_killed_at_every_point_then_resumed_makes_one_instance_and_one_deployment(
    points: list[str], emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"crash-{guid()[:8]}"
    first, *rest = points
    killed = cli(emulator, tmp_path, *arm_args(emulator, name), kill_at=first)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    job = only_job(tmp_path)
    for point in rest:
        assert only_job(tmp_path).state == "running"
        sound(tmp_path, emulator.secret_key)
        assert len(instances_named(emulator, name)) <= 1
        assert len(deployments_named(emulator, f"cortexkit-onboarding-{job.id}")) <= 1
        killed = cli(emulator, tmp_path, "onboard", "resume", job.id, kill_at=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
    resumed = cli(emulator, tmp_path, "onboard", "resume", job.id)
    assert resumed.returncode == 0, resumed.stderr
    assert summary(resumed)["state"] == "done"
    (instance,) = instances_named(emulator, name)
    assert instance.status == "CONNECTED"
    (deployment,) = deployments_named(emulator, f"cortexkit-onboarding-{job.id}")
    assert deployment["provisioningState"] == "Succeeded"
    done = only_job(tmp_path)
    assert all(s.attempts >= 1 for s in done.steps)
    assert done.step("template").output["instance_id"] == instance.instance_id


def test_a_failed_deployment_fails_the_job_and_resume_deploys_again(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"fail-{guid()[:8]}"
    control(
        emulator, "azure", {"deployment_failure": {"code": "PolicyViolation", "message": "denied by policy"}}
    )
    run = cli(emulator, tmp_path, *arm_args(emulator, name))
    assert run.returncode == 1
    job = summary(run)
    assert job["state"] == "failed" and "PolicyViolation" in job["error"] and "resume" in job["error"]
    resumed = cli(emulator, tmp_path, "onboard", "resume", job["id"])
    assert resumed.returncode == 0, resumed.stderr
    (deployment,) = deployments_named(emulator, f"cortexkit-onboarding-{job['id']}")
    assert deployment["provisioningState"] == "Succeeded"
    assert len(instances_named(emulator, name)) == 1


def test_a_capability_in_error_ends_needs_attention_with_cortex_message(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    name = f"error-{guid()[:8]}"
    outcome = {"status": "Error", "message": "the managed identity lacks Reader", "instance_name": name}
    control(emulator, "cortex", {"capability_outcome": outcome})
    run = cli(emulator, tmp_path, *arm_args(emulator, name))
    assert run.returncode == 1
    job = summary(run)
    assert job["state"] == "needs_attention"
    assert "the managed identity lacks Reader" in job["error"] and "Error" in job["error"]
    record = only_job(tmp_path)
    assert any(c["label"] == "Error" for c in record.step("wait_cortex").output["capabilities"])
