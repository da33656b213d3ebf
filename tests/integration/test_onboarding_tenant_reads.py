"""A bulk's jobs share the reads that are the same for every job of a tenant (account-group names,
supported features) over real HTTP: one read per bulk instead of one per job, and a group created in the
console while the bulk runs is still found (the shared answer is read again before a job fails on it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.bulk import run_all
from cortexkit.onboarding.states import JobState
from tests.integration.onboarding_support import client_factory, engine, subscription_spec, tenant_spec

Make = Callable[..., RunningEmulator]
GROUP_NAMES = "GET /cloud/group/name"
FEATURES = "POST /cas/v1/features/cloud/{cloud_type}"


def count(running: RunningEmulator, route: str) -> int:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return sum(stats["requests"].get(route, {}).values())


def test_a_bulk_reads_the_group_names_and_features_once(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=0)
    store, runner = engine(running, tmp_path)
    job_ids = store.create_jobs([(subscription_spec(), None) for _ in range(6)], secret="sp-secret")
    jobs = run_all(job_ids, runner.run, 3)
    assert [j.state for j in jobs] == [JobState.DONE] * 6, [j.error for j in jobs]
    assert count(running, GROUP_NAMES) == 1  # was one per job
    assert count(running, FEATURES) == 1


def test_a_group_created_during_a_bulk_is_found(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=0)
    store, runner = engine(running, tmp_path)
    first = runner.run(store.create_job(subscription_spec(), secret="sp-secret"))
    assert first.state is JobState.DONE, first.error
    with client_factory(running)() as client:
        group = client.request("POST", "/cloud/group", json={"name": "created-mid-bulk", "accountIds": []})
    job = runner.run(store.create_job(subscription_spec(account_group_ids=[group["id"]]), secret="sp-secret"))
    assert job.state is JobState.DONE, job.error
    assert job.step("validate").output["account_group_ids"] == [group["id"]]
    assert count(running, GROUP_NAMES) == 2  # the shared answer lacked it: read again, then found


def test_a_group_that_does_not_exist_still_fails_the_job(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=0)
    store, runner = engine(running, tmp_path)
    runner.run(store.create_job(subscription_spec(), secret="sp-secret"))
    missing = "00000000-0000-4000-8000-000000000000"
    job = runner.run(store.create_job(subscription_spec(account_group_ids=[missing]), secret="sp-secret"))
    assert job.state is JobState.FAILED
    assert job.error is not None and f"account group(s) not found: {missing}" in job.error


def test_a_feature_the_shared_answer_lacks_is_asked_again_before_the_job_fails(
    make_emulator: Make, tmp_path: Path
) -> None:
    # A tenant without root sync offers only the base feature: the second job's request is read again
    # (the licence may have changed since the bulk's answer), then refused with what is offered.
    running = make_emulator(status_delay=0)
    store, runner = engine(running, tmp_path)
    first = runner.run(store.create_job(tenant_spec(), secret="sp-secret"))
    assert first.state is JobState.DONE, first.error
    job = runner.run(
        store.create_job(
            subscription_spec(account_type="tenant", subscription_id=None, features=["Remediation"]),
            secret="sp-secret",
        )
    )
    assert job.state is JobState.FAILED
    assert job.error is not None and "feature(s) not supported here: Remediation" in job.error
    assert count(running, FEATURES) == 2  # the bulk's answer, then the fresh one before failing
