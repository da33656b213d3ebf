"""Step-level behaviour under the faults a real tenant produces, against the emulator over HTTP with its
fault injection: the add step waits out a blip (Retry-After, jitter) and says what it last saw when it
gives up; an existing account that is not the job's ends `needs_attention`; verify is never fatal on
transient errors; a client secret made but not stored before a crash is removed on resume. Each test runs
on SQLite and on PostgreSQL (the `store_url` fixture: a fresh database on the session's cluster)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from cortexkit.client import Client
from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobStore
from cortexkit.web.joblog import log_text
from tests.integration.onboarding_support import (
    advancing_sleep,
    azure_accounts,
    client_factory,
    crashed_azure_api_job,
    engine,
    subscription_spec,
)
from tests.integration.outage_support import outage, recover, run_in_background
from tests.integration.test_onboarding_outage import make_runner, short_retry_client

Make = Callable[..., RunningEmulator]
ADD_ROUTE = "POST /cas/v1/azure_account"


def fault(running: RunningEmulator, route: str, statuses: list[int], **extra: Any) -> None:
    plan = {"route": route, "statuses": statuses, "count": len(statuses), **extra}
    httpx.post(f"{running.url}/_emulator/faults", json=plan, timeout=10).raise_for_status()


def route_count(running: RunningEmulator, route: str) -> int:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return sum(stats["requests"].get(route, {}).values())


def faults_injected(running: RunningEmulator) -> int:
    return int(httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()["faults_injected"])


def emulated_backoff(running: RunningEmulator) -> Any:
    """Clients whose retry backoffs advance the emulator's clock: a test of many 5xx answers then costs
    no real waiting (about 25 s of `time.sleep` per test before)."""
    return client_factory(running, sleep=advancing_sleep(running))


def logs(store: JobStore, job_id: str) -> list[dict[str, Any]]:
    return [e.payload for e in store.events_after(job_id, 0) if e.type == "log"]


def existing_account(running: RunningEmulator, spec: JobSpec, *, name: str, client_id: str) -> None:
    """Someone else's (or an earlier) onboarding of the same subscription."""
    with client_factory(running)() as client:
        group = _default_group(client)
        client.azure.add_account(
            {
                "cloudAccount": {
                    "accountId": spec.subscription_id,
                    "accountType": "account",
                    "name": name,
                    "enabled": True,
                    "groupIds": [group],
                },
                "clientId": client_id,
                "key": "someone-elses-secret",
                "servicePrincipalId": spec.service_principal_id,
                "tenantId": spec.tenant_id,
                "environmentType": "azure",
                "monitorFlowLogs": False,
                "features": [],
            },
            skip_status_checks=True,
        )


def _default_group(client: Client) -> str:
    group = next(g for g in client.account_groups.list() if g.name == "Default Account Group")
    assert group.id is not None
    return group.id


def test_add_step_waits_out_a_503_blip_honouring_retry_after(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    fault(running, ADD_ROUTE, [503, 503, 503], retry_after=1)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec()
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state is JobState.DONE, job.error
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1
    waits = [p for p in logs(store, job.id) if "trying the add again in" in p["message"]]
    assert len(waits) == 3
    assert all(w["wait"] >= 1.0 for w in waits)  # never sooner than the server asked
    assert len({w["wait"] for w in waits}) == 3  # jittered, growing: not a fixed beat
    assert all(w["status"] == 503 and w["request_id"] for w in waits)


def test_add_step_gives_up_with_the_last_status_key_and_request_id(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    fault(running, ADD_ROUTE, [503] * 20, retry_after=1)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec()
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state is JobState.FAILED
    assert job.error is not None
    assert "503" in job.error and "service_unavailable" in job.error and "request id" in job.error
    assert job.step("add_account").state is StepState.FAILED
    gave_up = [p for p in logs(store, job.id) if "could not be added" in p["message"]]
    assert gave_up and gave_up[-1]["status"] == 503 and gave_up[-1]["request_id"]
    assert azure_accounts(running, spec.prisma_account_id) == []
    assert 3 <= faults_injected(running) <= 8  # each POST met one planned 503: bounded, not a hot loop


def test_a_failed_jobs_log_says_its_failure_once_per_record(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    """The add step gives up on 503s while the API answers (the probe gets through, so no outage): the
    step is recorded failed once, not first `pending (stopped: ...)` and then `failed` with the same
    words, and the downloaded log shows the failure once in the step and once as the job's end."""
    running = make_emulator(status_delay=1)
    fault(running, ADD_ROUTE, [503] * 20, retry_after=1)
    store, runner = engine(running, tmp_path, url=store_url)
    job = runner.run(store.create_job(subscription_spec(), secret="azure-client-secret"))
    assert job.state is JobState.FAILED and job.error is not None
    events = store.events_after(job.id, 0, limit=10_000)
    add_states = [e.payload for e in events if e.type == "step" and e.payload["step"] == "add_account"]
    assert [p["state"] for p in add_states] == ["running", "failed"], add_states
    assert add_states[-1]["message"] == job.error
    text = log_text(job, events)
    assert "stopped:" not in text
    assert text.count(f"failed ({job.error})") == 1 and text.count(f"job failed: {job.error}") == 1


def test_a_step_stopped_by_a_real_outage_shows_pending_while_the_job_waits(
    make_emulator: Make, tmp_path: Path
) -> None:
    """The other side of the test above: when the probe fails too (the API is down), the step that gave
    up is shown `pending (stopped: ...)` once while the job waits, then runs again to `done`."""
    running = make_emulator(status_delay=0.5)
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    job_id = store.create_job(subscription_spec(), secret="azure-client-secret")
    outage(running, 503)
    with short_retry_client(running) as client:
        thread, jobs = run_in_background(make_runner(store, client), [job_id])
        deadline = time.monotonic() + 60
        while store.require_job(job_id).state is not JobState.WAITING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.require_job(job_id).state is JobState.WAITING
        recover(running)
        thread.join(60)
    assert [j.state for j in jobs] == [JobState.DONE]
    stopped = [
        e.payload
        for e in store.events_after(job_id, 0, limit=10_000)
        if e.type == "step" and str(e.payload.get("message", "")).startswith("stopped:")
    ]
    assert len(stopped) == 1 and stopped[0]["state"] == "pending", stopped
    assert store.require_job(job_id).step(stopped[0]["step"]).state is StepState.DONE
    store.close()


def test_existing_account_with_another_name_or_client_needs_attention(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec()
    existing_account(running, spec, name="someone else's", client_id="99999999-9999-4999-8999-999999999999")
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state is JobState.NEEDS_ATTENTION, job.error
    assert job.error is not None
    assert "someone else's" in job.error and spec.name in job.error
    assert "99999999-9999-4999-8999-999999999999" in job.error and spec.client_id in (job.error or "")
    assert route_count(running, ADD_ROUTE) == 1  # only the test's own add: the job posted nothing
    assert job.step("verify").state is not StepState.DONE
    assert "someone-elses-secret" not in str(logs(store, job.id))


def test_existing_account_matching_the_spec_is_adopted(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec()
    assert spec.client_id is not None
    existing_account(running, spec, name=spec.name, client_id=spec.client_id)
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state is JobState.DONE, job.error
    assert job.step("add_account").output["adopted"] is True
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_verify_rides_out_transient_errors(make_emulator: Make, tmp_path: Path, store_url: str) -> None:
    running = make_emulator(status_delay=30)
    fault(running, "GET /account/{id}/config/status", [503, 500, 502, 429])
    fault(running, "GET /cloud/azure/{id}", [503])
    store, runner = engine(running, tmp_path, url=store_url, clients=emulated_backoff(running))
    spec = subscription_spec()
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state is JobState.DONE, job.error
    assert job.step("verify").output["settled"] is True


def test_verify_waits_instead_of_failing_when_the_api_stays_down(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    store, runner = engine(
        running, tmp_path, url=store_url, clients=emulated_backoff(running), verify_timeout=60.0
    )
    spec = subscription_spec()
    fault(running, "GET /account/{id}/config/status", [503] * 200)
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state is JobState.WAITING, job.error
    assert job.error is not None and "resume" in job.error
    assert job.step("add_account").state is StepState.DONE
    httpx.delete(f"{running.url}/_emulator/faults", timeout=10).raise_for_status()
    job = runner.run(job.id)
    assert job.state is JobState.DONE, job.error
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_a_secret_made_but_not_stored_before_a_crash_is_removed_on_resume(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    azure = identity_state(running.emulator)
    # crashed between Azure's answer and the encrypted write
    store, runner, job_id = crashed_azure_api_job(running, tmp_path, store_url, "identity:password-added")
    app = next(iter(azure.applications.values()))
    assert len(app["passwordCredentials"]) == 1 and store.get_secret(job_id, "key") is None
    orphan = app["passwordCredentials"][0]["keyId"]

    job = runner.run(job_id)
    assert job.state is JobState.DONE, job.error
    credentials = app["passwordCredentials"]
    assert len(credentials) == 1 and credentials[0]["keyId"] != orphan  # the orphan is gone
    key = store.get_secret(job_id, "key")
    assert key is not None and azure.passwords[app["appId"]] == [key.reveal()]
    removed = [p for p in logs(store, job_id) if "removed" in p["message"]]
    assert removed and removed[0]["key_id"] == orphan
