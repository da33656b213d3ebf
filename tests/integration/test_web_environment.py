"""`cortexkit ui` honours the environment `cortexkit onboard` honours (issue 14).

`CORTEXKIT_AZURE_{LOGIN,GRAPH,ARM}_URL`, `CORTEXKIT_AZURE_CA_BUNDLE` and `CORTEXKIT_TERRAFORM` are read by
one function (`cortexkit.onboarding.runenv.runner_settings`) for both. The proof runs the real
`cortexkit ui` process with the Azure URLs pointed at the emulator and onboards with the azure-api
provisioner from a form post: before, the UI ignored them and the job failed at identity trying to
reach login.microsoftonline.com.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.runenv import runner_settings, terraform_command
from cortexkit.web.security import csrf_token

GOOD = "11111111-2222-4333-8444-555555555555"


def test_terraform_comes_from_the_option_then_the_environment() -> None:
    env = {"CORTEXKIT_TERRAFORM": "python3 /opt/fake terraform.py"}
    assert terraform_command(None, env) == ("python3", "/opt/fake", "terraform.py")
    assert terraform_command("tf", env) == ("tf",)
    assert terraform_command(None, {}) is None


def test_runner_settings_take_the_azure_urls_and_ca_bundle_and_keep_the_tunables() -> None:
    env = {
        "CORTEXKIT_AZURE_LOGIN_URL": "https://login.example",
        "CORTEXKIT_AZURE_GRAPH_URL": "https://graph.example",
        "CORTEXKIT_AZURE_ARM_URL": "https://arm.example",
        "CORTEXKIT_AZURE_CA_BUNDLE": "/etc/ca.pem",
    }
    settings = runner_settings(environ=env, verify_timeout=7.0)
    assert settings.azure_endpoints == AzureEndpoints(
        "https://login.example", "https://graph.example", "https://arm.example", "/etc/ca.pem"
    )
    assert settings.verify_timeout == 7.0 and settings.terraform_command is None
    assert runner_settings(environ={}).azure_endpoints is None, "no URLs: each job's own cloud"


@pytest.mark.slow
def test_the_ui_onboards_with_the_azure_api_through_the_environments_azure_urls(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    emulator = make_emulator(status_delay=1.0)
    azure = AzureEndpoints.for_emulator(emulator.url)
    env = {
        **os.environ,
        **emulator.client_env(),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "CORTEXKIT_AZURE_LOGIN_URL": azure.login,
        "CORTEXKIT_AZURE_GRAPH_URL": azure.graph,
        "CORTEXKIT_AZURE_ARM_URL": azure.arm,
    }
    command = [sys.executable, "-m", "cortexkit.cli.main", "ui", "--port", "0"]
    command += ["--store", f"sqlite:///{tmp_path / 'jobs.db'}"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        base, token = url.split("/?", 1)[0], url.rsplit("=", 1)[1]
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as http:
            http.get(url)
            form = {
                "csrf_token": csrf_token(token),
                "account_type": "account",
                "environment": "azure",
                "provisioner": "azure-api",
                "name": f"Env {uuid.uuid4().hex[:6]}",
                "tenant_id": GOOD,
                "subscription_id": str(uuid.uuid4()),
                "client_id": emulator.access_key_id,  # the emulator's Azure takes its key pair as operator
                "client_secret": emulator.secret_key,
            }
            created = http.post("/onboard", data=form)
            assert created.status_code == 303, created.text[:2000]
            job_url = "/api" + created.headers["location"]
            deadline = time.monotonic() + 300
            job = http.get(job_url).json()
            while job["state"] not in ("done", "failed", "cancelled", "needs_attention"):
                assert time.monotonic() < deadline, [(s["name"], s["state"]) for s in job.get("steps", [])]
                time.sleep(0.5)
                job = http.get(job_url).json()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert job["state"] == "done", job
