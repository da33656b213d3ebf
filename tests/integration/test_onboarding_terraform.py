"""The `terraform` provisioner with a stand-in executable (tests/fixtures/fake_terraform.py).

Real terraform cannot reach its provider registry on this machine, so the stand-in prints terraform's
machine-readable lines and writes outputs shaped like the template's; the engine's side (template
fetch, work folder, streaming, output mapping, waiting and resuming) is what these tests exercise.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.provisioners.terraform import TEMPLATE_FILE
from tests.integration.onboarding_support import azure_accounts, engine, subscription_spec, tenant_spec

Make = Callable[..., RunningEmulator]
FAKE = (sys.executable, str(Path(__file__).resolve().parents[1] / "fixtures" / "fake_terraform.py"))


@pytest.mark.parametrize("kind", ["subscription", "tenant"])
def test_template_applied_and_outputs_mapped(
    make_emulator: Make, tmp_path: Path, kind: str, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    store, runner = engine(running, tmp_path, url=store_url, terraform_command=FAKE)
    spec = (
        subscription_spec(provisioner="terraform", client_id=None, service_principal_id=None)
        if kind == "subscription"
        else tenant_spec(
            provisioner="terraform", client_id=None, service_principal_id=None, root_sync_enabled=True
        )
    )
    job = runner.run(store.create_job(spec))
    assert job.state == "done", job.error
    work = Path(job.step("identity").output["work_dir"])
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    template = json.loads((work / TEMPLATE_FILE).read_text())
    assert "azuread_application" in template["resource"]
    outputs = json.loads((work / "terraform.tfstate").read_text())["outputs"]
    key = store.get_secret(job.id, "key")
    assert key is not None and key.reveal() in outputs.values()
    tf_events = [e.payload for e in store.events_after(job.id, 0) if e.type == "terraform"]
    assert any(p.get("type") == "apply_complete" for p in tf_events)
    assert key.reveal() not in json.dumps(tf_events), "the outputs line is streamed without its values"
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_failed_apply_fails_the_job_with_terraforms_message(
    make_emulator: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "apply")
    running = make_emulator()
    store, runner = engine(running, tmp_path, url=store_url, terraform_command=FAKE)
    job = runner.run(store.create_job(subscription_spec(provisioner="terraform")))
    assert job.state == "failed" and "could not acquire access token" in (job.error or "")


def test_without_terraform_the_job_waits_then_resumes_from_outputs(
    make_emulator: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    running = make_emulator(status_delay=1)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec(provisioner="terraform", client_id=None, service_principal_id=None)
    job = runner.run(store.create_job(spec))
    assert job.state == "waiting"
    assert "--terraform-outputs" in (job.error or "")
    work = Path(job.step("identity").output["work_dir"])
    assert (work / TEMPLATE_FILE).exists()

    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "c__application_client_id": {"value": "0b6f3f39-8a53-4d4e-9c43-6a3c1b0e2f10"},
                "d__application_client_secret": {"value": "applied-elsewhere-secret"},
                "e__enterprise_application_object_id": {"value": "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"},
            }
        )
    )
    env = {**os.environ, **running.client_env(), "CORTEXKIT_DATA_DIR": str(tmp_path)}
    if not store_url.startswith("sqlite"):
        env["CORTEXKIT_STORE_URL"] = store_url  # and CORTEXKIT_STORE_KEY, set by the store_url fixture
    import subprocess

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cortexkit.cli.main",
            "onboard",
            "resume",
            job.id[:8],
            "--terraform-outputs",
            str(outputs),
            "--poll-interval",
            "0.2",
            "-o",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["state"] == "done"
    assert "applied-elsewhere-secret" not in done.stdout + done.stderr
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1
