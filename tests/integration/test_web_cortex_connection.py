"""`cortexkit ui` on a Cortex connection (CORTEXCLOUD_* in its environment) runs Cortex jobs with a
`CortexClient`, as `cortexkit onboard` does: a Cortex job the CLI left behind (killed with SIGKILL once
its deployment was sent) is resumed from the UI's job page and reaches done. Before, the UI handed every
job a Prisma `Client`, which cannot load Prisma credentials from a Cortex environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cortexkit.cortex.client import CortexClient
from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.backend import profile_client_factory
from cortexkit.web.security import csrf_token
from tests.integration.cortex_onboarding_support import (
    cli,
    emulator_fixture,
    env_for,
    guid,
    onboard_args,
    only_job,
)

pytestmark = pytest.mark.xdist_group("cortex-onboarding")


emulator = emulator_fixture(19, status_delay=0.5)


def test_the_factory_gives_a_cortex_client_for_cortexcloud_settings(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = env_for(emulator, tmp_path)
    for key in [k for k in os.environ if k.startswith(("PRISMA_", "PC_", "CORTEXKIT_PROFILE"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with profile_client_factory()(None) as client:
        assert isinstance(client, CortexClient)
        assert client.api_url == env["CORTEXCLOUD_API_URL"]
        list(client.cloud_onboarding.instances(max_items=1))  # raises when the URL or the key is wrong


@pytest.mark.slow
def test_the_ui_resumes_a_cortex_job_the_cli_left_behind(emulator: RunningEmulator, tmp_path: Path) -> None:
    args = onboard_args(guid(), guid(), f"ui-{guid()[:8]}", client_id=emulator.access_key_id)
    killed = cli(emulator, tmp_path, *args, kill_at="deploy:put")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    job_id = only_job(tmp_path).id
    env = {**env_for(emulator, tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    command = [sys.executable, "-m", "cortexkit.cli.main", "ui", "--port", "0"]
    command += ["--store", f"sqlite:///{tmp_path / 'jobs.db'}"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        base, token = url.split("/?", 1)[0], url.rsplit("=", 1)[1]
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as http:
            http.get(url)
            wizard = http.get("/onboard")
            assert (wizard.status_code, wizard.headers["location"]) == (303, "/onboard/cortex")
            connection = http.get("/")  # CORTEXCLOUD_* listed like an unnamed profile, checked as Cortex
            assert f"key id {env['CORTEXCLOUD_API_KEY_ID']}" in connection.text
            report = http.get("/api/connection", params={"profile": ""}).json()
            assert (report["ok"], report["dialect"]) == (True, "cortex"), report
            assert env["CORTEXCLOUD_API_KEY"] not in connection.text + str(report)
            page = http.get(f"/jobs/{job_id}")
            assert page.status_code == 200 and 'id="cortex-card"' in page.text
            resumed = http.post(f"/jobs/{job_id}/resume", data={"csrf_token": csrf_token(token)})
            assert resumed.status_code == 303, resumed.text[:2000]
            deadline = time.monotonic() + 180
            job = http.get(f"/api/jobs/{job_id}").json()
            while job["state"] not in ("done", "failed", "cancelled", "needs_attention"):
                assert time.monotonic() < deadline, [(s["name"], s["state"]) for s in job["steps"]]
                time.sleep(0.3)
                job = http.get(f"/api/jobs/{job_id}").json()
            assert job["state"] == "done", job.get("error")
            done = http.get(f"/jobs/{job_id}").text
            assert "data-label>Connected<" in done and "matching the subscriptions" in done
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert emulator.secret_key not in done
