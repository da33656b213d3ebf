"""The `existing` provisioner end to end on the emulator, for subscriptions and tenants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.demo import run_headless
from tests.integration.onboarding_support import azure_accounts, engine, subscription_spec, tenant_spec

Make = Callable[..., RunningEmulator]
SECRET = "existing-sp-secret-value"


def test_subscription_onboards_and_settles(make_emulator: Make, tmp_path: Path, store_url: str) -> None:
    running = make_emulator(status_delay=60)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec(monitor_flow_logs=True)
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state == "done", job.error
    assert job.account_id == spec.subscription_id
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1
    verify = job.step("verify").output
    assert verify["settled"] is True and all(c["status"] == "ok" for c in verify["components"])
    assert SECRET not in str([e.payload for e in store.events_after(job.id, 0)])


def test_tenant_with_management_groups_onboards(make_emulator: Make, tmp_path: Path, store_url: str) -> None:
    running = make_emulator(status_delay=30)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = tenant_spec(root_sync_enabled=True)
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state == "done", job.error
    assert job.account_id == spec.tenant_id
    assert len(azure_accounts(running, spec.tenant_id)) == 1


def test_warnings_are_reported_with_remediation_at_the_time_limit(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=30)
    store, runner = engine(running, tmp_path, url=store_url, verify_timeout=120.0)
    job = runner.run(store.create_job(subscription_spec(name="warn-me"), secret=SECRET))
    assert job.state == "done", job.error
    statuses = {c.status for c in job.account_status}
    assert "warning" in statuses
    logs = [
        e.payload for e in store.events_after(job.id, 0) if e.type == "log" and e.payload["step"] == "verify"
    ]
    assert logs, "each warning is shown to the user"


def test_second_job_for_the_same_subscription_adopts_it(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec()
    first = runner.run(store.create_job(spec, secret=SECRET))
    second = runner.run(store.create_job(spec, secret=SECRET))
    assert first.state == second.state == "done"
    assert second.step("add_account").output["how"] == "found before adding"
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_headless_demo_onboards_one_subscription(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=0.5)
    job = run_headless(
        running.url, running.access_key_id, running.secret_key, tmp_path, poll_interval=0.2, verify_timeout=60
    )
    assert job.ok, job.error
    assert len(azure_accounts(running, job.spec.prisma_account_id)) == 1
