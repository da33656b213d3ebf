from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import Secret, SecretBox, SecretStoreError
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import (
    MIGRATIONS,
    JobBusyError,
    JobStateChangedError,
    JobStore,
    LeaseLostError,
)
from tests.trials import trial_counts
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT

SECRET = "very-secret-client-value-123"


def spec(name: str = "prod") -> JobSpec:
    return JobSpec(
        name=name, subscription_id=SUB, tenant_id=TENANT, client_id=CLIENT, service_principal_id=SP
    )


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[JobStore]:
    """The store on SQLite and on PostgreSQL (the key file lives in `tmp_path` either way)."""
    opened = JobStore(store_url, data_dir=tmp_path)
    yield opened
    opened.close()


def test_new_job_is_pending_with_every_step_pending(store: JobStore) -> None:
    job_id = store.create_job(spec(), secret=SECRET)
    job = store.require_job(job_id)
    assert job.state == "pending"
    assert [s.state for s in job.steps] == ["pending"] * 6
    assert store.list_jobs("pending")[0].id == job_id
    assert store.find_job(job_id[:6]) is not None


def test_idempotency_key_returns_the_same_job(store: JobStore) -> None:
    first = store.create_job(spec(), idempotency_key="form-1")
    assert store.create_job(spec("other"), idempotency_key="form-1") == first
    assert len(store.list_jobs()) == 1


def test_a_bulk_is_created_whole_in_one_transaction(store: JobStore) -> None:
    first = store.create_job(spec("before"), idempotency_key="b:0")
    ids = store.create_jobs([(spec("a"), "b:0"), (spec("b"), "b:1"), (spec("c"), None)], secret="s3cret")
    assert ids[0] == first  # a key already used is that job, as with create_job
    assert len(set(ids)) == 3
    assert [store.get_job(i).spec.name for i in ids] == ["before", "b", "c"]
    assert store.get_secret(ids[2], "client_secret") is not None


def test_a_bulk_that_fails_midway_leaves_no_job(store: JobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # Interrupted creation (a write error on row 3 here) must not leave half a batch to run or resume.
    real = store._put_secret
    calls = []

    def failing(conn: Any, job_id: str, name: str, secret: Any) -> None:
        calls.append(job_id)
        if len(calls) == 3:
            raise OSError("disk full")
        real(conn, job_id, name, secret)

    monkeypatch.setattr(store, "_put_secret", failing)
    with pytest.raises(OSError):
        store.create_jobs([(spec(f"row-{i}"), f"x:{i}") for i in range(5)], secret="s3cret")
    assert store.list_jobs() == []
    assert store.job_for_key("x:0") is None


def test_event_ids_increase_across_jobs(store: JobStore) -> None:
    a = store.create_job(spec("a"))
    b = store.create_job(spec("b"))
    store.start_step(a, "validate")
    store.finish_step(a, "validate", "done", {"x": 1})
    store.set_state(b, "failed", "boom")
    ids = [e.id for e in store.events_after(None, 0)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 5
    assert [e.type for e in store.events_after(a, ids[1])] == ["step", "step"]
    assert store.events_after(None, ids[-1]) == []


def test_steps_record_start_end_output_and_attempts(tmp_path: Path) -> None:
    ticks = iter(range(100, 200))
    store = JobStore(f"sqlite:///{tmp_path / 'j.db'}", now=lambda: float(next(ticks)))
    job_id = store.create_job(spec())
    store.start_step(job_id, "features")
    store.checkpoint(job_id, "features", {"partial": True})
    assert store.require_job(job_id).step("features").output == {"partial": True}
    store.finish_step(job_id, "features", "failed", outcome="no")
    store.start_step(job_id, "features")
    store.finish_step(job_id, "features", "done", {"supported": ["A"]})
    step = store.require_job(job_id).step("features")
    assert (step.state, step.attempts, step.output, step.error) == ("done", 2, {"supported": ["A"]}, None)
    assert step.started_at is not None and step.finished_at is not None and step.finished_at > step.started_at


def test_cancel_pending_is_immediate_running_is_requested(store: JobStore) -> None:
    pending = store.create_job(spec("a"))
    assert store.request_cancel(pending)
    assert store.require_job(pending).state == "cancelled"
    assert not store.request_cancel(pending)
    running = store.create_job(spec("b"))
    store.claim(running, "another-host:1#live")  # a live runner's lease: it stops by itself
    assert store.request_cancel(running)
    job = store.require_job(running)
    assert job.state == "running" and job.cancel_requested
    orphan = store.create_job(spec("c"))
    store.set_state(orphan, JobState.RUNNING)  # running with no runner holding it: cancelled at once
    assert store.request_cancel(orphan)
    assert store.require_job(orphan).state == "cancelled"


def test_secret_is_encrypted_at_rest_and_key_file_is_private(tmp_path: Path, store: JobStore) -> None:
    job_id = store.create_job(spec(), secret=SECRET)
    assert store.get_secret(job_id, "client_secret") == Secret(SECRET)
    store.close()
    for path in tmp_path.iterdir():
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.name
    key = tmp_path / "jobs.key"
    if store.url.startswith("sqlite"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "jobs.db").stat().st_mode) == 0o600
        assert store.secrets.source == str(key)
    else:  # a shared store takes the team's key, never a per-machine file
        assert not key.exists()
        assert store.secrets.source == "CORTEXKIT_STORE_KEY"
    assert "very" not in repr(Secret(SECRET)) and "very" not in str(Secret(SECRET))


def test_readable_key_file_is_refused(tmp_path: Path) -> None:
    box = SecretBox(tmp_path / "k")
    box.encrypt("x")
    os.chmod(tmp_path / "k", 0o644)
    with pytest.raises(SecretStoreError, match="chmod 600"):
        SecretBox(tmp_path / "k").encrypt("y")


def test_secret_from_another_key_is_reported(tmp_path: Path) -> None:
    token = SecretBox(tmp_path / "a").encrypt("x")
    with pytest.raises(SecretStoreError, match="cannot be decrypted"):
        SecretBox(tmp_path / "b").decrypt(token)


def test_migrations_apply_once_and_database_is_sound(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    first = JobStore(url)
    job_id = first.create_job(spec())
    assert first.schema_version == len(MIGRATIONS)
    again = JobStore(url)
    assert again.schema_version == len(MIGRATIONS)
    assert again.require_job(job_id).spec.name == "prod"
    assert again.integrity_check() == "ok"
    with again.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_as_dict_has_no_secret(store: JobStore) -> None:
    job_id = store.create_job(spec(), secret=SECRET)
    assert SECRET not in str(store.require_job(job_id).as_dict())


def test_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, insert

    from cortexkit.onboarding.store import SCHEMA_VERSION, _migrate_1, schema_version

    assert len(MIGRATIONS) == SCHEMA_VERSION
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        schema_version.create(conn)
        _migrate_1(conn)
        conn.execute(insert(schema_version).values(version=1))
        conn.exec_driver_sql(
            "INSERT INTO jobs (id, spec_json, state, cancel_requested, created_at, updated_at) "
            f"VALUES ('old-job', '{spec().model_dump_json()}', 'failed', 0, 1.0, 2.0)"
        )
    engine.dispose()
    store = JobStore(url)
    assert store.schema_version == SCHEMA_VERSION
    assert store.require_job("old-job").state == "failed"
    assert store.claim("old-job").token == 1


def test_a_live_owner_keeps_the_job_a_dead_one_loses_it(store: JobStore) -> None:
    import socket
    import subprocess
    import sys

    job_id = store.create_job(spec())
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as live:
        holder = f"{socket.gethostname()}:{live.pid}#other"
        store.claim(job_id, holder)
        with pytest.raises(JobBusyError) as busy:
            store.claim(job_id)  # refused while that process lives and its lease holds
        assert busy.value.holder == holder
        live.kill()
        live.wait()
    assert store.claim(job_id).owner != holder  # the killed process's job is taken over at once
    assert store.require_job(job_id).state == "running"


def test_another_hosts_job_is_taken_over_only_when_its_lease_expires(store_url: str, tmp_path: Path) -> None:
    clock = [1000.0]
    store = JobStore(store_url, data_dir=tmp_path, now=lambda: clock[0])
    job_id = store.create_job(spec())
    crashed = store.claim(job_id, "other-host:4242#r1", lease_seconds=30)
    clock[0] += 29
    with pytest.raises(JobBusyError):
        store.claim(job_id, "this-host:1#r2")
    clock[0] += 2
    taker = store.claim(job_id, "this-host:1#r2", lease_seconds=30)
    assert taker.token == crashed.token + 1
    with pytest.raises(LeaseLostError):
        store.renew(crashed)  # the crashed host's heartbeat, had it woken up: refused
    store.close()


def test_a_claim_limited_to_states_leaves_a_job_that_moved_on_alone(store: JobStore) -> None:
    """Cancel-with-cleanup of a failed job claims it only while it is still failed: a resume that carried
    it on meanwhile is not undone (the state is read inside the claim's transaction)."""
    job_id = store.create_job(spec())
    lease = store.claim(job_id, "this-host:1#r1")
    store.set_state(job_id, JobState.DONE, lease=lease)
    store.release(lease)
    with pytest.raises(JobStateChangedError, match="is done now"):
        store.claim(job_id, "this-host:1#r2", states={JobState.FAILED, JobState.NEEDS_ATTENTION})
    assert store.require_job(job_id).state == JobState.DONE
    other = store.create_job(spec("other"))
    first = store.claim(other, "this-host:1#r1")
    store.set_state(other, JobState.FAILED, "boom", lease=first)
    store.release(first)
    taken = store.claim(other, "this-host:1#r2", force=True, states={JobState.FAILED})
    assert taken.token == first.token + 1 and store.require_job(other).state == JobState.RUNNING


def test_a_stale_runners_writes_are_refused(store: JobStore) -> None:
    job_id = store.create_job(spec())
    stale = store.claim(job_id, "h:1#stale", lease_seconds=0.0)  # expired at once
    fresh = store.claim(job_id, "h:2#fresh")
    with pytest.raises(LeaseLostError):
        store.start_step(job_id, "validate", lease=stale)
    with pytest.raises(LeaseLostError):
        store.put_secret(job_id, "key", "stale-key", lease=stale)
    with pytest.raises(LeaseLostError):
        store.set_state(job_id, JobState.DONE, lease=stale)
    assert store.get_secret(job_id, "key") is None
    store.start_step(job_id, "validate", lease=fresh)
    store.finish_step(job_id, "validate", StepState.DONE, {}, lease=fresh)
    job = store.require_job(job_id)
    assert job.state is JobState.RUNNING and job.step("validate").attempts == 1
    assert store.renew(fresh).expires_at >= fresh.expires_at


@trial_counts(quick=30, full=300)
def test_of_two_runners_released_together_exactly_one_claims(
    store_url: str, tmp_path: Path, trials: int
) -> None:
    """The claim race of issue 13 (read-then-update let both win on PostgreSQL), 300 trials per database
    under `make soak`: two stores (two connection pools, as two processes have) released by a barrier on
    one stale job."""
    import threading

    stores = [JobStore(store_url, data_dir=tmp_path) for _ in range(2)]
    job_ids = [stores[0].create_job(spec(f"race-{i}")) for i in range(trials)]
    for job_id in job_ids:  # every job left `running` by a runner whose lease has expired
        stores[0].claim(job_id, "gone-host:1#dead", lease_seconds=-1)
    doubles = []
    for job_id in job_ids:
        barrier = threading.Barrier(2)
        won: list[str] = []

        def contend(
            i: int, job_id: str = job_id, barrier: threading.Barrier = barrier, won: list[str] = won
        ) -> None:
            barrier.wait()
            with contextlib.suppress(JobBusyError):
                won.append(stores[i].claim(job_id, f"h:{i}#runner").owner)

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if len(won) != 1:
            doubles.append((job_id, won))
    assert doubles == []
    for s in stores:
        s.close()


def test_a_waiting_job_its_runner_still_holds_is_paused_not_at_rest(store: JobStore) -> None:
    """An outage pause: `waiting` under a live lease carries on by itself (not at rest, not resumable
    here, and another runner's claim is refused); released, the same state is an ordinary waiting job."""
    job_id = store.create_job(spec())
    lease = store.claim(job_id, "another-host:11#paused", lease_seconds=600)
    store.set_state(job_id, JobState.WAITING, "the API answered 503 since 12:04:05 UTC", lease=lease)
    job = store.require_job(job_id)
    assert job.paused and not job.at_rest and not job.can_resume
    assert job.summary()["paused"] is True and job.error == "the API answered 503 since 12:04:05 UTC"
    with pytest.raises(JobBusyError):
        store.claim(job_id, "another-host:12#resumer")
    store.release(lease)
    job = store.require_job(job_id)
    assert not job.paused and job.at_rest and job.can_resume
    store.claim(job_id, "another-host:12#resumer")


def test_keys_are_required_only_for_jobs_that_will_touch_a_secret(tmp_path: Path) -> None:
    """`require_keys` resolves the keys (here: a source that has none) only when a job to run reads or
    writes a secret: one with a stored secret, or a Prisma job before its add step."""
    from cortexkit.onboarding.store_keys import StoreKeyError

    asked: list[int] = []

    def no_key() -> Any:
        asked.append(1)
        raise StoreKeyError("no key here")

    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}", secret_box=SecretBox(keys=no_key))
    fresh = store.require_job(store.create_job(spec("fresh")))
    added = store.create_job(spec("added"))
    for name in ("validate", "features", "identity", "preflight", "add_account"):
        store.start_step(added, name)
        store.finish_step(added, name, "done", {})
    done = store.create_job(spec("done"))
    store.set_state(done, "done")

    store.require_keys([store.require_job(added), store.require_job(done)])
    assert asked == []  # past the add step with no stored secret, or finished: no key needed
    with pytest.raises(StoreKeyError):
        store.require_keys([fresh])  # its identity and add steps will read the client secret
    with pytest.raises(StoreKeyError):
        store.require_keys()  # a command about to store a new secret
    assert len(asked) == 2
    store.close()
