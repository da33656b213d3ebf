"""Shared helpers of the onboarding integration tests: engine wiring against a running emulator."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.context import AzureEndpoints, RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.runner import Runner
from cortexkit.onboarding.store import JobStore


def advancing_sleep(running: RunningEmulator) -> Any:
    """A `sleep` that moves the emulator's clock instead of waiting: backoffs and polls cost no time."""

    def sleep(seconds: float) -> None:
        httpx.post(f"{running.url}/_emulator/clock", json={"advance": seconds}, timeout=10).raise_for_status()

    return sleep


def client_factory(running: RunningEmulator, **options: Any) -> Any:
    """Clients of the emulator; `options` go to `Client` (e.g. `sleep=advancing_sleep(running)`, so the
    client's own retry backoffs move the emulator's clock instead of waiting)."""

    def factory(_profile: Any = None) -> Client:
        return Client(
            api_url=running.url,
            access_key_id=running.access_key_id,
            secret_key=running.secret_key,
            **options,
        )

    return factory


def engine(
    running: RunningEmulator,
    tmp_path: Path,
    *,
    url: str | None = None,
    clients: Any = None,
    **settings: Any,
) -> tuple[JobStore, Runner]:
    """The store (a SQLite file in `tmp_path` unless `url` names another, e.g. PostgreSQL) and a runner
    (its clients from `clients`, a factory, else `client_factory(running)`)."""
    store = JobStore(url or f"sqlite:///{tmp_path / 'jobs.db'}", data_dir=tmp_path)
    defaults: dict[str, Any] = {
        "verify_timeout": 600.0,
        "poll_interval": 10.0,
        "azure_endpoints": AzureEndpoints.for_emulator(running.url),
    }
    runner = Runner(
        store,
        clients or client_factory(running),
        settings=RunnerSettings(**{**defaults, **settings}),
        sleep=advancing_sleep(running),
        monotonic=running.emulator.clock.now,  # deadlines on the same clock the sleeps advance
    )
    return store, runner


def guid() -> str:
    return str(uuid.uuid4())


def subscription_spec(**over: Any) -> JobSpec:
    data: dict[str, Any] = {
        "name": f"sub-{uuid.uuid4().hex[:8]}",
        "subscription_id": guid(),
        "tenant_id": guid(),
        "client_id": guid(),
        "service_principal_id": guid(),
        "features": ["Remediation"],
    }
    data.update(over)
    return JobSpec.model_validate(data)


def tenant_spec(**over: Any) -> JobSpec:
    return subscription_spec(account_type="tenant", subscription_id=None, features=[], **over)


def azure_accounts(running: RunningEmulator, account_id: str) -> list[dict[str, Any]]:
    with client_factory(running)() as client:
        accounts = client.request("GET", "/cloud") or []
    return [a for a in accounts if a.get("cloudType") == "azure" and a.get("accountId") == account_id]


def crashed_azure_api_job(
    running: RunningEmulator, tmp_path: Path, store_url: str, point: str
) -> tuple[JobStore, Runner, str]:
    """An `azure-api` job whose first run stopped at `point` as a crash there would (the runner's hook
    raises; Azure replicates at once): the store, the runner (its hook cleared again) and the job id."""
    from cortexkit.emulator.routes.azure_identity import identity_state
    from cortexkit.onboarding.states import JobState

    identity_state(running.emulator).propagation_delay = 0.0
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec(
        provisioner="azure-api", client_id=running.access_key_id, service_principal_id=None
    )
    job_id = store.create_job(spec, secret=running.secret_key)

    def crash(reached: str) -> None:
        if reached == point:
            raise RuntimeError(f"simulated crash at {point}")

    runner.hook = crash
    assert runner.run(job_id).state is JobState.FAILED
    runner.hook = lambda _point: None
    return store, runner, job_id
