"""Crash and resume, extending tests/integration/test_onboarding_crash.py rather than repeating it.

That file kills an `existing`-provisioner job once at every point, and the other provisioners once at one
point. Here: the `azure-api` provisioner (which creates an app registration, a service principal and a
secret before the add call) killed at every point in turn, its own `identity:app-created` point included,
and one job killed right after the add call, then again and again as the resumed add step starts. Every job
must end `done` with exactly one account (and one app registration), and the SQLite store must pass
`PRAGMA integrity_check` after every kill.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from tests.integration.onboarding_support import azure_accounts, guid
from tests.integration.test_onboarding_crash import (
    POINTS,
    check_sound,
    cli,
    crash_emulator,
    job_state,
    onboard_args,
)

__all__ = ["crash_emulator"]  # the fixture, re-used from the onboarding crash tests
AZURE_API_POINTS = [*POINTS[:5], "identity:app-created", *POINTS[5:]]
REPEATS = 3
SP_SECRET = "repeat-sp-secret-7d1c"


def _kill(running: RunningEmulator, data: Path, args: list[str], point: str, secret: str) -> str:
    killed = cli(running, data, *args, secret=secret, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-500:])
    check_sound(data, secret)
    job_id, state = job_state(data)
    assert state == "running", (point, state)
    return job_id


def _finish(running: RunningEmulator, data: Path, job_id: str, subscription: str, secret: str) -> None:
    resumed = cli(running, data, "resume", job_id, secret=secret)
    assert resumed.returncode == 0, resumed.stderr[-500:]
    assert json.loads(resumed.stdout)[0]["state"] == "done"
    assert len(azure_accounts(running, subscription)) == 1
    check_sound(data, secret)


@pytest.mark.slow
def test_azure_api_job_killed_at_every_point_in_turn(
    crash_emulator: RunningEmulator, tmp_path: Path, record_figures: Callable[[str, dict[str, Any]], None]
) -> None:
    running = crash_emulator
    secret = running.secret_key  # the emulated Entra accepts the emulator's key pair as the operator
    subscription = guid()
    first, *rest = AZURE_API_POINTS
    job_id = _kill(running, tmp_path, onboard_args("azure-api", subscription, running), first, secret)
    for point in rest:
        assert len(azure_accounts(running, subscription)) <= 1
        job_id = _kill(running, tmp_path, ["resume", job_id], point, secret)
    _finish(running, tmp_path, job_id, subscription, secret)
    apps = [
        a
        for a in identity_state(running.emulator).applications.values()
        if a["displayName"].endswith(job_id[:8])
    ]
    assert len(apps) == 1, "a resumed job must reuse its app registration, not create another"
    record_figures(
        "crash_resume_azure_api",
        {
            "kill_points": len(AZURE_API_POINTS),
            "kills": len(AZURE_API_POINTS),
            "resumes": len(AZURE_API_POINTS),
            "accounts": 1,
            "app_registrations": len(apps),
            "integrity_checks": len(AZURE_API_POINTS) + 1,
        },
    )


@pytest.mark.slow
def test_killed_after_the_add_call_then_at_each_resume(
    crash_emulator: RunningEmulator, tmp_path: Path, record_figures: Callable[[str, dict[str, Any]], None]
) -> None:
    running = crash_emulator
    subscription = guid()
    job_id = _kill(
        running, tmp_path, onboard_args("existing", subscription, running), "add_account:posted", SP_SECRET
    )
    for _ in range(REPEATS - 1):
        # A resumed add step reconciles instead of posting again, so it is killed as it starts.
        job_id = _kill(running, tmp_path, ["resume", job_id], "add_account:start", SP_SECRET)
        assert len(azure_accounts(running, subscription)) == 1
    _finish(running, tmp_path, job_id, subscription, SP_SECRET)
    record_figures("crash_resume_repeated", {"kills": REPEATS, "resumes": REPEATS, "accounts": 1})
