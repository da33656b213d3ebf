"""The fence carried by the write itself: a runner's write whose lease a claim took over is refused and
leaves nothing (no event, no step change, no job change), on SQLite and PostgreSQL; the final state and
the release in one transaction; a run's secrets read once and kept only in the run's `FencedIO`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from cortexkit.onboarding.fencing import FencedIO, Heartbeat
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import Secret
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobNotFoundError, JobStore, LeaseLostError
from cortexkit.onboarding.store.engine import is_sqlite, make_engine, one_statement
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[JobStore]:
    opened = JobStore(store_url, data_dir=tmp_path)
    yield opened
    opened.close()


def _spec() -> JobSpec:
    return JobSpec(
        name="prod", subscription_id=SUB, tenant_id=TENANT, client_id=CLIENT, service_principal_id=SP
    )


def test_every_write_of_a_stale_runner_is_refused_and_leaves_nothing(store: JobStore) -> None:
    job_id = store.create_job(_spec())
    stale = store.claim(job_id, "h:1#stale", lease_seconds=0.0)  # expired at once
    fresh = store.claim(job_id, "h:2#fresh")
    store.start_step(job_id, "validate", lease=fresh)
    before = store.require_job(job_id)
    mark = store.last_event_id()
    writes = {
        "emit": lambda: store.emit(job_id, "log", {"message": "stale"}, lease=stale),
        "checkpoint": lambda: store.checkpoint(job_id, "validate", {"half": True}, lease=stale),
        "finish_step": lambda: store.finish_step(job_id, "validate", StepState.DONE, {"x": 1}, lease=stale),
        "start_step again": lambda: store.start_step(job_id, "validate", lease=stale),
        "start_step new": lambda: store.start_step(job_id, "features", lease=stale),
        "set_account_id": lambda: store.set_account_id(job_id, "stale-account", lease=stale),
        "put_secret": lambda: store.put_secret(job_id, "key", "stale-key", lease=stale),
        "set_state": lambda: store.set_state(job_id, JobState.DONE, lease=stale, release=True),
    }
    for name, write in writes.items():
        with pytest.raises(LeaseLostError):
            write()
        assert store.events_after(job_id, mark) == [], f"{name} wrote an event"
    after = store.require_job(job_id)
    assert after == before  # steps (state, attempts, output), account, state, updated_at, lease
    assert store.get_secret(job_id, "key") is None

    store.emit(job_id, "log", {"message": "fresh"}, lease=fresh)
    store.checkpoint(job_id, "validate", {"half": True}, lease=fresh)
    store.start_step(job_id, "validate", lease=fresh)  # a retry counts the attempt on
    assert [(e.type, e.payload.get("attempt")) for e in store.events_after(job_id, mark)] == [
        ("log", None),
        ("checkpoint", None),
        ("step", 2),
    ]
    step = store.require_job(job_id).step("validate")
    assert (step.state, step.attempts, step.output) == (StepState.RUNNING, 2, {"half": True})


def test_an_unfenced_write_to_a_missing_job_says_so(store: JobStore) -> None:
    with pytest.raises(JobNotFoundError):
        store.set_state("no-such-job", JobState.FAILED, "boom")
    with pytest.raises(JobNotFoundError):
        store.set_account_id("no-such-job", "acct")


def test_the_final_state_releases_the_lease_in_the_same_write(store: JobStore) -> None:
    job_id = store.create_job(_spec())
    lease = store.claim(job_id, "other-host:1#r1")
    store.set_state(job_id, JobState.WAITING, "apply the folder", lease=lease, release=True)
    job = store.require_job(job_id)
    assert (job.state, job.lease_expires_at, job.paused) == (JobState.WAITING, None, False)
    taken = store.claim(job_id, "other-host:2#r2")  # at rest: no live runner holds it
    assert taken.token == lease.token + 1


def test_a_runs_secret_is_read_once_kept_wrapped_and_read_again_by_the_next_run(store: JobStore) -> None:
    job_id = store.create_job(_spec(), secret="first-secret-value")
    lease = store.claim(job_id, "h:1#r1")
    io = FencedIO(store, Heartbeat(store, lease))
    first = io.get_secret(job_id, "client_secret")
    assert first == Secret("first-secret-value")
    assert "first-secret-value" not in repr(first) and "first-secret-value" not in repr(vars(io))
    store.put_secret(job_id, "client_secret", "changed-behind-the-run")  # nobody does while a lease holds
    assert io.get_secret(job_id, "client_secret") == first, "read from the store once per run"
    assert io.get_secret(job_id, "key") is None
    io.put_secret(job_id, "key", "written-by-the-step")
    assert io.get_secret(job_id, "key") == Secret("written-by-the-step")
    assert store.get_secrets(job_id) == {
        "client_secret": Secret("changed-behind-the-run"),
        "key": Secret("written-by-the-step"),
    }
    io.forget_secrets()  # the run ended
    assert vars(io)["_secrets"] == {}
    resumed = FencedIO(store, Heartbeat(store, lease))
    assert resumed.get_secret(job_id, "client_secret") == Secret("changed-behind-the-run")


def _in_transaction(conn: Connection) -> bool:
    driver: Any = conn.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    return bool(driver.info.transaction_status != 0)  # psycopg: 0 is IDLE


def test_a_one_statement_read_leaves_the_pooled_connection_as_it_found_it(store_url: str) -> None:
    """No BEGIN around a single SELECT, and nothing of that carried into the pool: the next read of
    several statements still runs in a transaction (SQLAlchemy's AUTOCOMMIT would have put a SQLite
    connection back in implicit-transaction mode; PostgreSQL's autocommit must not outlive the read)."""
    reader = make_engine(store_url, write=False)
    try:
        for _ in range(2):
            with reader.connect() as conn:
                conn.execution_options(**one_statement(store_url))
                assert conn.execute(text("SELECT 1")).scalar() == 1
                assert not _in_transaction(conn)
            with reader.begin() as conn:
                conn.execute(text("SELECT 1"))
                assert _in_transaction(conn)
        with reader.connect() as conn:
            driver: Any = conn.connection.driver_connection
            if is_sqlite(store_url):
                assert driver.isolation_level is None
            else:
                assert driver.autocommit is False
    finally:
        reader.dispose()
