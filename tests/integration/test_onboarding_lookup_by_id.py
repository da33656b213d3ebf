"""The add step's lookups against the emulator over HTTP: the happy path reads the account by id and
never lists the tenant (whose size would set its cost; validate reads group names, not every group with
its members); the rare paths (a by-id miss after a 2xx add, an
unknown outcome, a `duplicate_cloud_account` refusal, a resume after a post) fall back to the listing
with pending accounts, so an account Prisma hides from the by-id read while pending (the emulator's
`pending_by_id=False`) is still found and adopted, never created twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import JobState
from tests.integration.onboarding_support import azure_accounts, engine, subscription_spec, tenant_spec
from tests.integration.test_onboarding_faults import ADD_ROUTE, emulated_backoff, existing_account, fault

Make = Callable[..., RunningEmulator]
LIST_ROUTE = "GET /cloud"
BY_ID_ROUTE = "GET /cloud/{cloud_type:cloudtype}/{account_id}"
SECRET = "lookup-sp-secret"


def requests(running: RunningEmulator) -> dict[str, dict[str, int]]:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return {route: {str(k): int(v) for k, v in by.items()} for route, by in stats["requests"].items()}


def count(running: RunningEmulator, route: str, status: str | None = None) -> int:
    by_status = requests(running).get(route, {})
    return sum(n for s, n in by_status.items() if status is None or s == status)


@pytest.mark.parametrize("make_spec", [subscription_spec, tenant_spec], ids=["subscription", "tenant"])
def test_a_happy_path_add_reads_by_id_and_sends_no_listing(
    make_emulator: Make, tmp_path: Path, make_spec: Callable[[], JobSpec]
) -> None:
    running = make_emulator(status_delay=30)
    store, runner = engine(running, tmp_path)
    spec = make_spec()
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.DONE, job.error
    assert job.account_id == spec.prisma_account_id
    assert job.step("add_account").output["how"] == "created"
    assert count(running, LIST_ROUTE) == 0  # the tenant's list is never read on the happy path
    assert count(running, "GET /cloud/group") == 0  # nor every group with its members: names only
    assert count(running, "GET /cloud/group/name") == 1
    assert count(running, ADD_ROUTE) == 1
    assert count(running, BY_ID_ROUTE, "404") == 1  # the look-up before the add
    assert count(running, BY_ID_ROUTE, "200") >= 2  # the confirmation after it, then verify's polls
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_verify_takes_the_add_steps_fresh_read_instead_of_reading_the_account_again(
    make_emulator: Make, tmp_path: Path
) -> None:
    # The add step confirms the account with a by-id read; verify's first poll ran the same read a moment
    # later. Reusing it saves a third of the by-id route's calls in a bulk (its slowest bucket).
    running = make_emulator(status_delay=0)
    store, runner = engine(running, tmp_path)
    spec = subscription_spec()
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.DONE, job.error
    assert count(running, BY_ID_ROUTE, "404") == 1  # the look-up before the add
    assert count(running, BY_ID_ROUTE, "200") == 1  # the confirmation, and no second read in verify
    assert count(running, "GET /account/{account_id}/config/status") == 1
    verified = job.step("verify").output
    assert verified["settled"] is True
    assert verified["enabled"] is True


def test_a_resumed_verify_reads_the_account_again(make_emulator: Make, tmp_path: Path) -> None:
    # The hand-over lives within one run: a job that stopped after its add (status unreadable, so it
    # waits) and is resumed later reads the account itself.
    running = make_emulator(status_delay=0)
    store, runner = engine(running, tmp_path, clients=emulated_backoff(running), verify_timeout=60.0)
    spec = subscription_spec()
    fault(running, "GET /account/{id}/config/status", [503] * 200)
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.WAITING, job.error
    httpx.delete(f"{running.url}/_emulator/faults", timeout=10).raise_for_status()
    before = count(running, BY_ID_ROUTE, "200")
    job = runner.run(job.id)
    assert job.state is JobState.DONE, job.error
    assert count(running, BY_ID_ROUTE, "200") == before + 1  # the resumed verify's own read
    assert job.step("verify").output["enabled"] is True


def test_a_pending_account_hidden_from_the_by_id_read_is_confirmed_through_the_listing(
    make_emulator: Make, tmp_path: Path
) -> None:
    running = make_emulator(status_delay=30, pending_by_id=False)
    store, runner = engine(running, tmp_path)
    spec = subscription_spec()
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.DONE, job.error
    assert job.step("add_account").output == {
        "account_id": spec.prisma_account_id,
        "adopted": False,
        "how": "created",
    }
    assert count(running, LIST_ROUTE) == 1  # the by-id miss after the 2xx add, and only it
    assert count(running, ADD_ROUTE) == 1
    assert job.step("verify").output["settled"] is True  # verify polls past the pending window
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_an_unknown_outcome_on_a_pending_account_is_reconciled_through_the_listing(
    make_emulator: Make, tmp_path: Path
) -> None:
    running = make_emulator(status_delay=30, pending_by_id=False)
    store, runner = engine(running, tmp_path)
    fault(running, ADD_ROUTE, [504], when="after")  # created, but the answer is lost
    spec = subscription_spec()
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.DONE, job.error
    assert job.step("add_account").output["how"] == "reconciled after an unknown outcome"
    assert count(running, ADD_ROUTE) == 1 and count(running, LIST_ROUTE) == 1
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_someone_elses_pending_account_is_adopted_after_the_duplicate_refusal(
    make_emulator: Make, tmp_path: Path
) -> None:
    running = make_emulator(status_delay=30, pending_by_id=False)
    store, runner = engine(running, tmp_path)
    spec = subscription_spec()
    assert spec.client_id is not None
    existing_account(running, spec, name=spec.name, client_id=spec.client_id)
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.DONE, job.error
    assert job.step("add_account").output["how"] == "reconciled after duplicate_cloud_account"
    assert count(running, ADD_ROUTE, "200") == 1 and count(running, ADD_ROUTE, "400") == 1
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_someone_elses_differing_pending_account_needs_attention(make_emulator: Make, tmp_path: Path) -> None:
    running = make_emulator(status_delay=30, pending_by_id=False)
    store, runner = engine(running, tmp_path)
    spec = subscription_spec()
    assert spec.client_id is not None
    existing_account(running, spec, name="someone else's", client_id=spec.client_id)
    job = runner.run(store.create_job(spec, secret=SECRET))
    assert job.state is JobState.NEEDS_ATTENTION, job.error
    assert "someone else's" in (job.error or "") and spec.name in (job.error or "")
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


class Crash(Exception):
    """The runner's hook raising at a kill point: the step stops there, as a killed process would."""


def test_a_resume_after_a_post_looks_through_the_listing_before_posting_again(
    make_emulator: Make, tmp_path: Path
) -> None:
    running = make_emulator(status_delay=30, pending_by_id=False)
    store, runner = engine(running, tmp_path)
    spec = subscription_spec()
    job_id = store.create_job(spec, secret=SECRET)

    def crash(point: str) -> None:
        if point == "add_account:posted":
            raise Crash(point)

    runner.hook = crash
    first = runner.run(job_id)
    assert first.state is JobState.FAILED and "Crash" in (first.error or "")
    runner.hook = lambda _point: None
    job = runner.run(job_id)
    assert job.state is JobState.DONE, job.error
    assert job.step("add_account").output["how"] == "found before adding"
    assert count(running, ADD_ROUTE) == 1  # the account exists once: the resume did not post again
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1
