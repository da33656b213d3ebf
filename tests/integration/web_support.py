"""The web UI's real stack for tests: the engine's store on a temporary SQLite file, its runner, and
clients on an emulator over loopback HTTP, wired the way `cortexkit demo` wires them.

Tests that need a page to see an exact sequence (a job frozen mid-step, a given event id) write it
through the real `JobStore` API the runner itself uses (`claim`, `start_step`, `emit`, `finish_step`,
`set_state`), so the pages only ever see what the engine can produce.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cortexkit.emulator.server import RunningEmulator, run_emulator
from cortexkit.onboarding.context import AzureEndpoints, RunnerSettings
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobStore
from cortexkit.web.app import create_app
from cortexkit.web.backend import Engine, close_engine, engine_for, fixed_client_factory
from cortexkit.web.server import RunningUI, serve_in_thread
from cortexkit.web.settings import ProfileInfo, WebSettings

GOOD = "11111111-2222-4333-8444-555555555555"
CLIENT_ID = "0b6f3f39-8a53-4d4e-9c43-6a3c1b0e2f10"
SP_ID = "7d2c5e8a-1f3b-4c6d-9e0a-2b4c6d8e0f12"
SP_SECRET = "service-principal-secret-for-web-tests"
PROFILE = "emulator"
WEB_EMULATOR_CONFIG: dict[str, Any] = {
    "seed": 42,
    "rate_limits": "off",
    "fault_rate": 0.0,
    "status_delay": 0.0,
}
"""Account statuses settle at once, so a job a page starts finishes in a second or two."""


@contextmanager
def web_emulator() -> Iterator[RunningEmulator]:
    """An emulator of the web tests' own (the jobs they start add accounts to it)."""
    with run_emulator(**WEB_EMULATOR_CONFIG) as running:
        yield running


class DroppingStore(JobStore):
    """The real store with one injected fault: `drop_next_read` makes one event read fail, which breaks
    an open SSE stream like a dropped link; `reads_after` records where each read started."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.drop_next_read = False
        self.reads_after: list[int] = []
        self._fault_lock = threading.Lock()

    def events_after(self, job_id: str | None, after_id: int, limit: int = 500) -> Any:
        with self._fault_lock:
            self.reads_after.append(after_id)
            if self.drop_next_read:
                self.drop_next_read = False
                raise ConnectionError("injected: the stream's read fails once")
        return super().events_after(job_id, after_id, limit)


@dataclass
class WebStack:
    settings: WebSettings
    engine: Engine

    @property
    def store(self) -> JobStore:
        return self.engine.store

    def close(self) -> None:
        """Stop what the test started: cancel unfinished jobs, wait for their threads, close the store."""
        for job in self.store.list_jobs():
            if not job.finished:
                self.store.request_cancel(job.id)
            self.engine.runner.join(job.id, 60)
        close_engine(self.engine)


def web_stack(
    emulator: RunningEmulator,
    tmp_path: Path,
    token: str,
    *,
    secret_key: str | None = None,
    poll_interval: float = 0.01,
    store_class: type[JobStore] = JobStore,
    max_workers: int | None = None,
    store_url: str | None = None,
) -> WebStack:
    """The UI's engine on a SQLite file in `tmp_path`, or on `store_url` (PostgreSQL)."""
    factory = fixed_client_factory(emulator.url, emulator.access_key_id, secret_key or emulator.secret_key)
    profile = ProfileInfo(PROFILE, emulator.url, emulator.access_key_id, is_default=True)
    store = store_class(store_url or f"sqlite:///{tmp_path / 'jobs.db'}")
    settings = RunnerSettings(
        verify_timeout=30.0, poll_interval=0.05, azure_endpoints=AzureEndpoints.for_emulator(emulator.url)
    )
    engine = engine_for(
        store,
        factory,
        profiles=lambda: [profile],
        runner_settings=settings,
        max_workers=max_workers,
        default_profile=PROFILE,
    )
    settings = WebSettings(
        backend=engine.backend(),
        session_token=token,
        emulator_url=emulator.url,
        default_profile=PROFILE,
        poll_interval=poll_interval,
    )
    return WebStack(settings, engine)


def spec_data(name: str = "Prod EU", **over: Any) -> dict[str, Any]:
    """A valid `existing`-provisioner subscription spec, as the form or a CSV row gives it."""
    data: dict[str, Any] = {
        "name": name,
        "account_type": "account",
        "subscription_id": GOOD,
        "tenant_id": GOOD,
        "client_id": CLIENT_ID,
        "service_principal_id": SP_ID,
    }
    data.update(over)
    return data


_LEASES: dict[str, Any] = {}
"""The leases `running_job` took, for `finish` to release (the runner releases its lease at rest)."""


def running_job(store: JobStore, name: str = "n", **over: Any) -> str:
    """A job the test drives by hand: claimed by the test (state `running`), no step started yet."""
    from cortexkit.onboarding.model import JobSpec

    job_id = store.create_job(JobSpec.model_validate(spec_data(name, **over)), secret=SP_SECRET)
    lease = store.claim(job_id, owner="test-driver")
    if lease is not None:
        _LEASES[job_id] = lease
    return job_id


def run_step(store: JobStore, job_id: str, step: str, *lines: str) -> None:
    """One step from start to done, with `lines` as its output events, as the runner records it."""
    store.start_step(job_id, step)
    for line in lines:
        store.emit(job_id, "output", {"step": step, "line": line})
    store.finish_step(job_id, step, StepState.DONE, {})


def finish(store: JobStore, job_id: str, state: JobState = JobState.DONE, error: str | None = None) -> None:
    """End the job as the runner does: the state, then (at rest) the test's lease released, so a
    `waiting` job reads as waiting for the user, not as paused under a live runner."""
    store.set_state(job_id, state, error)
    lease = _LEASES.pop(job_id, None)
    if lease is not None and state.at_rest:
        store.release(lease)


@contextmanager
def demo_ui(
    emulator: RunningEmulator, store: Path, poll_interval: float | None = None
) -> Iterator[RunningUI]:
    """The UI `cortexkit demo` serves (its settings: the real engine, keys of `emulator`) on the SQLite
    file `store`, on a free loopback port."""
    from cortexkit.cli.demo import demo_settings

    settings = demo_settings(emulator, f"sqlite:///{store}")
    if poll_interval is not None:
        settings.poll_interval = poll_interval
    with serve_in_thread(create_app(settings), settings.session_token) as running:
        yield running


@contextmanager
def session_http(ui: RunningUI) -> Iterator[httpx.Client]:
    """A client holding the session cookie, as the browser does after opening the printed URL."""
    with httpx.Client(base_url=ui.base_url, follow_redirects=False, timeout=60) as client:
        assert client.get(ui.url).status_code == 303
        yield client


def job_count(store: Path) -> int:
    """Jobs in the SQLite store file (0 before the store made its tables)."""
    with sqlite3.connect(store) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return int(db.execute("SELECT count(*) FROM jobs").fetchone()[0]) if "jobs" in tables else 0


def wizard_form(ui: RunningUI, label: str, **overrides: str) -> dict[str, str]:
    """The wizard's fields for a valid `existing`-provisioner subscription with this UI's CSRF token: fresh
    ids, and a name starting with `label`, so two forms never clash."""
    import uuid

    from cortexkit.web.security import csrf_token

    form = {
        "csrf_token": csrf_token(ui.token),
        "account_type": "account",
        "environment": "azure",
        "provisioner": "existing",
        "name": f"{label} {uuid.uuid4().hex[:6]}",
        "tenant_id": GOOD,
        "subscription_id": str(uuid.uuid4()),
        "client_id": str(uuid.uuid4()),
        "service_principal_id": str(uuid.uuid4()),
        "client_secret": f"{label.lower().replace(' ', '-')}-secret",
    }
    return {**form, **overrides}
