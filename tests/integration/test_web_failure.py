"""The job page's words for a failure, a stopped job's account, the console link, the log download,
and the lease-based `orphaned` of the engine's record (on a real store: SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from cortexkit import errors as api_errors
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobStore
from cortexkit.web.failure import cause_of
from cortexkit.web.joblog import log_text
from cortexkit.web.jobview import console_url, failure_cause, left_account
from tests.integration.web_support import SP_SECRET, finish, run_step, running_job


def _api_error(status: int, keys: tuple[str, ...], request_id: str = "req-42") -> str:
    exc = api_errors.error_class(status)(
        status, keys, request_id=request_id, method="POST", path="/cas/v1/azure_account"
    )
    return f"adding the account failed: {exc}"


def test_status_keys_and_request_id_come_out_of_the_engines_sentence() -> None:
    cause = cause_of("add_account", _api_error(409, ("duplicate_cloud_account_name",)))
    assert (cause.status, cause.keys, cause.request_id) == (409, ("duplicate_cloud_account_name",), "req-42")
    assert cause.field == "name" and cause.needs_new_input
    assert "req-42" not in cause.text, "the request id is shown once, in its own line"


def test_a_server_error_is_resumable_and_says_so() -> None:
    text = "the account could not be added after 5 attempts; the API last answered 503 (request id r-9)"
    cause = cause_of("add_account", text)
    assert (cause.status, cause.request_id, cause.field) == (503, "r-9", None)
    assert "Resume" in cause.fix


@pytest.mark.parametrize(
    ("error", "field"),
    [
        ("the 'existing' provisioner needs the client secret (AZURE_CLIENT_SECRET)", "client_secret"),
        ("the job has no Azure client secret stored; resume it with the secret supplied", "client_secret"),
        ("Azure sign-in failed for client 0b6f3f39-8a53-4d4e-9c43-6a3c1b0e2f10: invalid_client", "client_id"),
        ("account group(s) not found: g1", "account_group_ids"),
        ("unexpected ValueError: boom", None),
    ],
)
def test_failures_that_need_new_input_name_their_field(error: str, field: str | None) -> None:
    assert cause_of("identity", error).field == field
    assert not cause_of("identity", error).text.startswith("unexpected ValueError")


@pytest.mark.parametrize(
    ("api", "console"),
    [
        ("https://api2.prismacloud.io", "https://app2.prismacloud.io/settings/cloud-accounts"),
        ("https://api.eu.prismacloud.io/", "https://app.eu.prismacloud.io/settings/cloud-accounts"),
        ("https://api.prismacloud.cn", "https://app.prismacloud.cn/settings/cloud-accounts"),
        ("http://127.0.0.1:8080", ""),
        ("https://api.example.com", ""),
    ],
)
def test_the_console_link_is_the_api_host_with_app(api: str, console: str) -> None:
    assert console_url(api) == console


def test_a_job_that_dies_without_its_lease_is_orphaned_and_resumable(tmp_path: Path, store_url: str) -> None:
    from cortexkit.onboarding.model import JobSpec
    from tests.integration.web_support import spec_data

    store = JobStore(store_url, data_dir=tmp_path)
    job_id = store.create_job(JobSpec.model_validate(spec_data("n")), secret=SP_SECRET)
    store.claim(job_id, owner="gone-host:1#x", lease_seconds=0.5)
    held = store.require_job(job_id)
    assert held.state is JobState.RUNNING and not held.orphaned and not held.can_resume
    time.sleep(0.6)
    orphan = store.require_job(job_id)
    assert orphan.orphaned and orphan.can_resume and orphan.summary()["orphaned"] is True
    assert orphan.lease_owner == "gone-host:1#x"
    store.close()


def test_failed_step_cause_and_the_account_left_behind(tmp_path: Path, store_url: str) -> None:
    store = JobStore(store_url, data_dir=tmp_path)
    job_id = running_job(store)
    run_step(store, job_id, "validate")
    store.set_account_id(job_id, "acc-1")
    store.start_step(job_id, "verify")
    store.finish_step(job_id, "verify", StepState.FAILED, {}, _api_error(503, ()))
    finish(store, job_id, JobState.FAILED, _api_error(503, ()))
    job = store.require_job(job_id)
    cause = failure_cause(job)
    assert cause is not None and cause.step == "verify" and cause.status == 503
    left = left_account(job, lambda _id: SimpleNamespace(name="Prod", enabled=False))
    assert left is not None and (left.account_id, left.name, left.status) == ("acc-1", "Prod", "disabled")
    assert "Resume" in left.todo and "DELETE /cloud/azure/acc-1" in left.todo
    unknown = left_account(job, lambda _id: (_ for _ in ()).throw(api_errors.APIConnectionError("down")))
    assert unknown is not None and unknown.status.startswith("unknown")
    store.close()


def test_the_log_download_groups_by_step_and_masks_the_jobs_secret(tmp_path: Path, store_url: str) -> None:
    store = JobStore(store_url, data_dir=tmp_path)
    job_id = running_job(store)
    store.start_step(job_id, "validate")
    store.emit(job_id, "log", {"step": "validate", "message": f"echo {SP_SECRET} by mistake"})
    store.finish_step(job_id, "validate", StepState.DONE, {})
    job = store.require_job(job_id)
    events = store.events_after(job_id, 0)
    text = log_text(job, events, (SP_SECRET,))
    assert "== Validate input (done" in text and "echo" in text
    assert SP_SECRET not in text
    assert text.index("== Validate input") < text.index("== Verify ingestion") < text.index("== job ==")
    store.close()
