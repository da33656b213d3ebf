"""The scripted onboarding `cortexkit demo --headless` runs against an already running emulator.

It starts nothing itself (the caller owns the emulator), picks ids that cannot collide with the
emulator's generated accounts, and runs one subscription through every step with the `existing`
provisioner, so a new user sees the whole flow end to end in a few seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.records import JobRecord

DEMO_NAMESPACE = uuid.UUID("6f1c1d5e-9a0b-4c47-8d8e-2f6c0f3a5b11")


def demo_spec(seed: str = "demo") -> JobSpec:
    """A subscription with stable, obviously synthetic ids derived from `seed`."""

    def guid(label: str) -> str:
        return str(uuid.uuid5(DEMO_NAMESPACE, f"{seed}:{label}"))

    return JobSpec(
        name=f"cortexkit demo subscription ({seed})",
        subscription_id=guid("subscription"),
        tenant_id=guid("tenant"),
        client_id=guid("client"),
        service_principal_id=guid("service-principal"),
        provisioner="existing",
        features=("Remediation",),
    )


def run_headless(
    api_url: str,
    access_key_id: str,
    secret_key: str,
    data_dir: Path | str | None = None,
    *,
    store_url: str | None = None,
    seed: str | None = None,
    verify_timeout: float = 30.0,
    poll_interval: float = 1.0,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> JobRecord:
    """Onboard one demo subscription on the emulator at `api_url`; returns the finished job.

    `data_dir` (or `store_url`) holds the job database and its key file; `seed` makes a fresh demo
    account per run when omitted, so running the demo twice on one emulator does not adopt the first.
    Verification stops after `verify_timeout` seconds: components still pending are listed, not fatal,
    so the demo ends promptly even on an emulator whose status takes minutes to settle.
    """
    from cortexkit.client import Client
    from cortexkit.errors import ConfigurationError
    from cortexkit.onboarding.runner import Runner
    from cortexkit.onboarding.store import JobStore

    if store_url is None:
        if data_dir is None:
            raise ConfigurationError("run_headless needs data_dir or store_url")
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        store_url = f"sqlite:///{directory / 'jobs.db'}"
    store = JobStore(store_url, data_dir=Path(data_dir) if data_dir is not None else None)
    spec = demo_spec(seed or uuid.uuid4().hex[:8])
    # The demo's "existing" service principal secret: synthetic, encrypted at rest like any other.
    job_id = store.create_job(spec, secret=f"demo-{uuid.uuid4().hex}")

    def factory(_profile: Any = None) -> Client:
        return Client(api_url=api_url, access_key_id=access_key_id, secret_key=secret_key)

    settings = RunnerSettings(verify_timeout=verify_timeout, poll_interval=poll_interval)
    hook: Callable[[str], None] | None = None
    if on_event is not None:
        seen = [0]

        def hook(_point: str) -> None:
            for event in store.events_after(job_id, seen[0]):
                seen[0] = event.id
                on_event(event.as_dict())

    try:
        return Runner(store, factory, settings=settings, hook=hook).run(job_id)
    finally:
        store.close()
