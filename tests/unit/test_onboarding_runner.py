"""The runner and steps over an in-memory API: idempotent add, reconciliation, verify, resume, cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.runner import JobNotResumableError, Runner, shared_client_factory
from cortexkit.onboarding.store import JobStore
from tests.unit.onboarding_fakes import CLIENT, GROUP_ID, SP, SUB, TENANT, FakeApi, FakeClock

SECRET = "client-secret-value-xyz"


def spec(**over: object) -> JobSpec:
    data: dict[str, object] = {
        "name": "prod",
        "subscription_id": SUB,
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "service_principal_id": SP,
        "features": ["Remediation"],
    }
    data.update(over)
    return JobSpec.model_validate(data)


class Crash(Exception):
    pass


def make(
    tmp_path: Path, api: FakeApi, *, hook_at: str | None = None, timeout: float = 30.0
) -> tuple[JobStore, Runner]:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    clock = FakeClock()

    def hook(point: str) -> None:
        if point == hook_at:
            raise Crash(point)

    runner = Runner(
        store,
        shared_client_factory(lambda: api),
        settings=RunnerSettings(verify_timeout=timeout, poll_interval=5.0),
        hook=hook,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    return store, runner


def test_happy_path_records_every_step_and_one_account(tmp_path: Path) -> None:
    api = FakeApi(statuses=[[{"name": "Config", "status": "pending"}], [{"name": "Config", "status": "ok"}]])
    store, runner = make(tmp_path, api)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "done", job.error
    assert [s.state for s in job.steps] == ["done"] * 6
    assert job.account_id == SUB and api.adds() == 1
    assert job.step("add_account").output == {"account_id": SUB, "adopted": False, "how": "created"}
    assert job.step("validate").output == {"account_group_ids": [GROUP_ID]}
    add_body = api.bodies[api.calls.index(("POST", "/cas/v1/azure_account"))]
    assert add_body["key"] == SECRET and add_body["features"] == [{"name": "Remediation", "state": "enabled"}]
    types = [e.type for e in store.events_after(job.id, 0)]
    assert types.count("status") == 2 and types[-1] == "job"
    assert SECRET not in str([e.payload for e in store.events_after(job.id, 0)])


@pytest.mark.parametrize(
    ("fault", "how"),
    [
        ("unknown-after", "reconciled after an unknown outcome"),
        ("duplicate", "reconciled after duplicate_cloud_account"),
    ],
)
def test_ambiguous_add_is_reconciled_by_lookup_not_resent(tmp_path: Path, fault: str, how: str) -> None:
    api = FakeApi(add_fault=fault)
    store, runner = make(tmp_path, api)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "done", job.error
    assert api.adds() == 1 and len(api.accounts) == 1
    assert job.step("add_account").output["how"] == how


def test_unknown_outcome_with_nothing_created_posts_again_after_lookup(tmp_path: Path) -> None:
    api = FakeApi(add_fault="unknown-before")
    store, runner = make(tmp_path, api)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "done"
    assert api.adds() == 2 and len(api.accounts) == 1
    first, second = [i for i, c in enumerate(api.calls) if c == ("POST", "/cas/v1/azure_account")]
    assert ("GET", "/cloud") in api.calls[first:second]


def test_existing_account_is_adopted_without_posting(tmp_path: Path) -> None:
    # The same name as the job's: an account that differs needs attention (the fake's by-id read now
    # answers with the account's real name, as the emulator does).
    api = FakeApi(accounts=[{"accountId": SUB, "name": spec().name, "cloudType": "azure"}])
    store, runner = make(tmp_path, api)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "done" and api.adds() == 0
    assert job.step("add_account").output["adopted"] is True


def test_api_failure_fails_the_job_with_a_reason(tmp_path: Path) -> None:
    api = FakeApi(add_fault="server", fault_count=10)  # a lasting 500; a blip is waited out
    store, runner = make(tmp_path, api)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "failed"
    assert job.error is not None and "500" in job.error
    assert job.step("add_account").state == "failed"


def test_crash_after_post_then_resume_adopts_the_account(tmp_path: Path) -> None:
    api = FakeApi()
    store, runner = make(tmp_path, api, hook_at="add_account:posted")
    job_id = store.create_job(spec(), secret=SECRET)
    failed = runner.run(job_id)
    assert failed.state == "failed" and failed.step("add_account").state == "failed"
    _, resumed_runner = make(tmp_path, api)
    job = resumed_runner.run(job_id)
    assert job.state == "done" and api.adds() == 1
    assert job.step("add_account").output["how"] == "found before adding"
    assert job.step("features").attempts == 1  # finished steps are not run again


def test_unsupported_feature_fails_at_features_step(tmp_path: Path) -> None:
    store, runner = make(tmp_path, FakeApi())
    job = runner.run(store.create_job(spec(features=["Data Security"]), secret=SECRET))
    assert job.state == "failed" and "Data Security" in (job.error or "")
    assert job.step("identity").state == "pending"


def test_preflight_error_stops_before_adding(tmp_path: Path) -> None:
    api = FakeApi(precheck_status="error")
    store, runner = make(tmp_path, api)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "failed" and "bad key" in (job.error or "") and api.adds() == 0


def test_unknown_account_group_fails_validation(tmp_path: Path) -> None:
    store, runner = make(tmp_path, FakeApi())
    job = runner.run(store.create_job(spec(account_group_ids=["nope"]), secret=SECRET))
    assert job.state == "failed" and "nope" in (job.error or "")


def test_verify_time_limit_with_warnings_finishes_and_shows_remediation(tmp_path: Path) -> None:
    warning = {"name": "Flow Logs", "status": "warning", "message": "missing", "remediation": "grant X"}
    store, runner = make(tmp_path, FakeApi(statuses=[[warning]]), timeout=20.0)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "done"
    assert job.step("verify").output["settled"] is False
    assert job.account_status[0].remediation == "grant X"
    logs = [e.payload for e in store.events_after(job.id, 0) if e.type == "log"]
    assert any(p.get("remediation") == "grant X" for p in logs)


def test_verify_time_limit_with_errors_fails(tmp_path: Path) -> None:
    error = {"name": "Auth", "status": "error", "message": "expired", "remediation": "renew"}
    store, runner = make(tmp_path, FakeApi(statuses=[[error]]), timeout=10.0)
    job = runner.run(store.create_job(spec(), secret=SECRET))
    assert job.state == "failed" and "renew" in (job.error or "")


def test_cancel_requested_while_running_stops_between_steps(tmp_path: Path) -> None:
    api = FakeApi()
    store, runner = make(tmp_path, api)
    job_id = store.create_job(spec(), secret=SECRET)

    def cancel_after_features(point: str) -> None:
        if point == "features:done":
            store.request_cancel(job_id)

    runner.hook = cancel_after_features
    job = runner.run(job_id)
    assert job.state == "cancelled"
    assert job.step("features").state == "done" and job.step("identity").state == "pending"
    assert api.adds() == 0


def test_missing_secret_fails_identity_clearly(tmp_path: Path) -> None:
    store, runner = make(tmp_path, FakeApi())
    job = runner.run(store.create_job(spec()))
    assert job.state == "failed" and "AZURE_CLIENT_SECRET" in (job.error or "")


def test_cancelled_job_resumes_only_when_forced(tmp_path: Path) -> None:
    api = FakeApi()
    store, runner = make(tmp_path, api)
    job_id = store.create_job(spec(), secret=SECRET)
    store.request_cancel(job_id)
    with pytest.raises(JobNotResumableError, match="--force"):
        runner.run(job_id)
    assert api.adds() == 0
    job = runner.run(job_id, force=True)
    assert job.state == "done" and not job.cancel_requested and api.adds() == 1
    assert runner.run(job_id).state == "done" and api.adds() == 1  # a done job is left alone


def test_background_start_runs_the_job(tmp_path: Path) -> None:
    store, runner = make(tmp_path, FakeApi())
    job_id = store.create_job(spec(), secret=SECRET)
    runner.start(job_id)
    runner.start(job_id)  # a second start while running is ignored
    runner.join(job_id, timeout=30)
    assert store.require_job(job_id).state == "done"


def test_shared_factory_makes_one_client_per_profile() -> None:
    made: list[str | None] = []

    def get(profile: str | None) -> object:
        made.append(profile)
        return object()

    factory = shared_client_factory(get, per_profile=True)
    with factory(None) as a, factory(None) as b, factory("eu") as c, factory("eu") as d:
        assert a is b and c is d and a is not c
    assert made == [None, "eu"]
