"""Crash and resume, extending tests/integration/test_onboarding_crash.py rather than repeating it.

That file kills an `existing`-provisioner job once at every point, and the other provisioners once at one
point. Here: the `azure-api` provisioner (which creates an app registration, a service principal and a
secret before the add call) killed at every point in turn, its own `identity:app-created` point included,
and one job killed right after the add call, then again and again as the resumed add step starts. Every job
must end `done` with exactly one account (and one app registration), and the store must stay sound after
every kill (SQLite: `PRAGMA integrity_check`; both: no secret in clear). Each test runs on SQLite and on
PostgreSQL (a fresh database on the session's cluster, through the `store_url` fixture).
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
from tests.trials import quick_and_full

__all__ = ["crash_emulator"]  # the fixture, re-used from the onboarding crash tests
AZURE_API_POINTS = [*POINTS[:5], "identity:app-created", *POINTS[5:]]
"""Every kill point of an `azure-api` job (all 14 in turn under `make soak`)."""
MAKING_POINTS = [
    "identity:app-created",
    "identity:done",
    "add_account:posted",
    "add_account:done",
    "verify:done",
]
"""`make test`'s kills in turn (5 of the 14): right after the app registration is made and after the
identity step that made it, right after the add call and after its step, and after the last step: where
a resume could make a second app registration or account."""
REPEATS = 3
SP_SECRET = "repeat-sp-secret-7d1c"


def _suite(name: str, url: str) -> str:
    """The figures' file name: SQLite's keeps the name it always had, PostgreSQL's gets a suffix."""
    return name if url.startswith("sqlite") else f"{name}_postgresql"


def _kill(running: RunningEmulator, data: Path, args: list[str], point: str, secret: str, url: str) -> str:
    killed = cli(running, data, *args, secret=secret, kill_at=point, store_url=url)
    assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-500:])
    check_sound(data, secret, url)
    job_id, state = job_state(data, url)
    assert state == "running", (point, state)
    return job_id


def _finish(
    running: RunningEmulator, data: Path, job_id: str, subscription: str, secret: str, url: str
) -> None:
    resumed = cli(running, data, "resume", job_id, secret=secret, store_url=url)
    assert resumed.returncode == 0, resumed.stderr[-500:]
    assert json.loads(resumed.stdout)[0]["state"] == "done"
    assert len(azure_accounts(running, subscription)) == 1
    check_sound(data, secret, url)


@pytest.mark.slow
@quick_and_full("points", MAKING_POINTS, AZURE_API_POINTS, ("making-points", "every-point"))
def test_azure_api_job_killed_at_every_point_in_turn(
    points: list[str],
    crash_emulator: RunningEmulator,
    tmp_path: Path,
    store_url: str,
    record_figures: Callable[[str, dict[str, Any]], None],
) -> None:
    running = crash_emulator
    secret = running.secret_key  # the emulated Entra accepts the emulator's key pair as the operator
    subscription = guid()
    first, *rest = points
    args = onboard_args("azure-api", subscription, running)
    job_id = _kill(running, tmp_path, args, first, secret, store_url)
    for point in rest:
        assert len(azure_accounts(running, subscription)) <= 1
        job_id = _kill(running, tmp_path, ["resume", job_id], point, secret, store_url)
    _finish(running, tmp_path, job_id, subscription, secret, store_url)
    apps = [
        a
        for a in identity_state(running.emulator).applications.values()
        if a["displayName"].endswith(job_id[:8])
    ]
    assert len(apps) == 1, "a resumed job must reuse its app registration, not create another"
    record_figures(
        _suite("crash_resume_azure_api", store_url),
        {
            "kill_points": len(points),
            "kills": len(points),
            "resumes": len(points),
            "accounts": 1,
            "app_registrations": len(apps),
            "integrity_checks": len(points) + 1,
        },
    )


@pytest.mark.slow
def test_killed_after_the_add_call_then_at_each_resume(
    crash_emulator: RunningEmulator,
    tmp_path: Path,
    store_url: str,
    record_figures: Callable[[str, dict[str, Any]], None],
) -> None:
    running = crash_emulator
    subscription = guid()
    args = onboard_args("existing", subscription, running)
    job_id = _kill(running, tmp_path, args, "add_account:posted", SP_SECRET, store_url)
    for _ in range(REPEATS - 1):
        # A resumed add step reconciles instead of posting again, so it is killed as it starts.
        job_id = _kill(running, tmp_path, ["resume", job_id], "add_account:start", SP_SECRET, store_url)
        assert len(azure_accounts(running, subscription)) == 1
    _finish(running, tmp_path, job_id, subscription, SP_SECRET, store_url)
    record_figures(
        _suite("crash_resume_repeated", store_url), {"kills": REPEATS, "resumes": REPEATS, "accounts": 1}
    )
