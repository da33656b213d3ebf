"""The job store's repository: jobs, steps, events and encrypted secrets, through SQLAlchemy 2 Core.

Every change is its own short transaction, so a process killed at any instant leaves the last committed
state, which is what `resume` reads back. Event ids are committed in increasing order (writers are
serialized, see `engine`), so a reader that remembers the last id it saw never misses an event.

A runner's writes are fenced by its lease token inside the write itself: the statement that has to run
anyway (the `updated_at` bump, or the event's insert) carries `lease_token = ?` in its WHERE and its row
count says whether the lease still held; a refused write raises `LeaseLostError` and its transaction
rolls back, so it leaves nothing. A job costs the store about half the statements of a separate
SELECT-then-write fence.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Insert, Table, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from cortexkit.errors import CortexkitError
from cortexkit.onboarding.model import JobSpec, steps_for
from cortexkit.onboarding.records import Event, JobRecord, StepRecord
from cortexkit.onboarding.secrets import KEY_FILE_NAME, Secret, SecretBox
from cortexkit.onboarding.states import TERMINAL_STATES, JobState, StepState
from cortexkit.onboarding.store.engine import (
    default_data_dir,
    default_url,
    is_sqlite,
    make_engine,
    one_statement,
    sqlite_path,
)
from cortexkit.onboarding.store.migrations import current_version, migrate
from cortexkit.onboarding.store.owners import LEASE_SECONDS, Lease, current_owner, owner_alive
from cortexkit.onboarding.store.schema import events, job_secrets, jobs, steps
from cortexkit.onboarding.store_keys import resolve_store_keys

_COUNTED: dict[str, Any] = {"execution_options": {"preserve_rowcount": True}}
"""An INSERT's row count survives its cursor only when asked for (psycopg's reads -1 once closed)."""


class JobNotFoundError(CortexkitError, KeyError):
    """No job has this id (a `KeyError` too, for callers that treat the store as a mapping)."""

    def __str__(self) -> str:
        return f"no job {self.args[0]!r}" if self.args else "no such job"


class JobBusyError(CortexkitError):
    """Another live runner holds the job's lease; running it here too could race its steps."""

    def __init__(self, job_id: str, holder: str) -> None:
        super().__init__(f"job {job_id} is being run by another live runner ({holder})")
        self.job_id = job_id
        self.holder = holder


class JobStateChangedError(CortexkitError):
    """The job left the state a claim expected (another runner or user acted on it meanwhile)."""

    def __init__(self, job_id: str, state: JobState) -> None:
        super().__init__(f"job {job_id[:8]} is {state} now; look at it again before acting on it")
        self.job_id = job_id
        self.state = state


class LeaseLostError(CortexkitError):
    """This runner's claim on the job is gone (its lease expired and another runner took the job over):
    its writes are refused and it must stop before its next side effect."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(
            f"job {lease.job_id}: the lease of {lease.owner} (token {lease.token}) is no longer held"
        )
        self.lease = lease


class JobStore:
    """The engine's persistence; safe to share between threads of one process and between processes."""

    def __init__(
        self,
        url: str | None = None,
        *,
        secret_box: SecretBox | None = None,
        data_dir: Path | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.url = url or default_url()
        self._now = now
        self._lock = threading.RLock()
        db_path = sqlite_path(self.url) if is_sqlite(self.url) else None
        self.data_dir = data_dir or (db_path.parent if db_path else default_data_dir())
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if db_path is not None:
            _create_private(db_path)
        key_file = self.data_dir / KEY_FILE_NAME if is_sqlite(self.url) else None
        self.secrets = secret_box or SecretBox(keys=lambda: resolve_store_keys(self.url, key_file))
        self.engine = make_engine(self.url, write=True)
        self._reader = make_engine(self.url, write=False)
        self._one_statement = one_statement(self.url)
        self._migrate()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._reader.begin() as conn:
            yield conn

    @contextmanager
    def _read_one(self) -> Iterator[Connection]:
        """A reader's connection for one SELECT, without BEGIN and COMMIT around it (`one_statement`)."""
        with self._reader.connect() as conn:
            yield conn.execution_options(**self._one_statement)

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    def _migrate(self) -> None:
        with self._tx() as conn:
            migrate(conn)

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return current_version(conn)

    def integrity_check(self) -> str:
        """SQLite's `PRAGMA integrity_check` answer ("ok" when sound); "ok" for other databases."""
        if not is_sqlite(self.url):
            return "ok"
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    # --- events -------------------------------------------------------------------------------------

    def _event_row(self, job_id: str, type_: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "job_id": job_id,
            "ts": self._now(),
            "type": type_,
            "payload_json": json.dumps(dict(payload), default=str),
        }

    def _emit(
        self,
        conn: Connection,
        job_id: str,
        type_: str,
        payload: Mapping[str, Any],
        lease: Lease | None = None,
    ) -> None:
        """Insert an event; with `lease`, only while the lease holds (`INSERT ... SELECT` from the job's
        row with its lease token: no row, no event, and `LeaseLostError`), the fence and the write in one
        statement."""
        row = self._event_row(job_id, type_, payload)
        if lease is None:
            conn.execute(insert(events).values(**row))
            return
        values = (literal(value, events.c[name].type).label(name) for name, value in row.items())
        fenced = select(*values).where(jobs.c.id == job_id, jobs.c.lease_token == lease.token)
        if conn.execute(insert(events).from_select(list(row), fenced), **_COUNTED).rowcount != 1:
            self._refuse(conn, job_id, lease)

    def emit(
        self, job_id: str, type_: str, payload: Mapping[str, Any], *, lease: Lease | None = None
    ) -> None:
        with self._tx() as conn:
            self._emit(conn, job_id, type_, payload, lease)

    def last_event_id(self) -> int:
        with self._read_one() as conn:
            return int(conn.execute(select(events.c.id).order_by(events.c.id.desc()).limit(1)).scalar() or 0)

    def events_after(self, job_id: str | None, after_id: int, limit: int = 500) -> list[Event]:
        query = select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
        if job_id is not None:
            query = query.where(events.c.job_id == job_id)
        with self._read_one() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Event(int(r["id"]), r["job_id"], float(r["ts"]), r["type"], json.loads(r["payload_json"]))
            for r in rows
        ]

    # --- jobs ---------------------------------------------------------------------------------------

    def job_for_key(self, idempotency_key: str) -> str | None:
        """The id of the job created with this idempotency key, if any (a form sent twice)."""
        with self._tx() as conn:
            found = conn.execute(select(jobs.c.id).where(jobs.c.idempotency_key == idempotency_key)).scalar()
        return str(found) if found else None

    def batch_job_ids(self, batch: str) -> list[str]:
        """The jobs one bulk created (idempotency keys `<batch>:<row>`, CLI and web alike), oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                select(jobs.c.id)
                .where(jobs.c.idempotency_key.startswith(f"{batch}:", autoescape=True))
                .order_by(jobs.c.created_at, jobs.c.id)
            )
            return [str(r) for r in rows.scalars()]

    def keyed_jobs(self, prefix: str) -> dict[str, str]:
        """Idempotency key -> job id for every key starting with `prefix` (a web batch's `<batch>:<row>`
        keys), in one query however many rows the batch has."""
        with self._read() as conn:
            rows = conn.execute(
                select(jobs.c.idempotency_key, jobs.c.id).where(
                    jobs.c.idempotency_key.startswith(prefix, autoescape=True)
                )
            ).all()
        return {str(key): str(job_id) for key, job_id in rows}

    def create_job(
        self, spec: JobSpec, secret: Secret | str | None = None, idempotency_key: str | None = None
    ) -> str:
        """A new pending job; with an `idempotency_key` already used, the existing job's id instead."""
        return self.create_jobs([(spec, idempotency_key)], secret=secret)[0]

    def create_jobs(
        self, items: Iterable[tuple[JobSpec, str | None]], secret: Secret | str | None = None
    ) -> list[str]:
        """New pending jobs (spec, idempotency key) in one transaction: a bulk is created whole or not at
        all (an interrupted CSV leaves no half batch), and 1,000 rows cost one commit and one statement
        per table instead of 1,000 of each. A key already used gives the existing job's id, as
        `create_job` does."""
        specs = [(s if isinstance(s, JobSpec) else JobSpec.model_validate(s), k) for s, k in items]
        job_ids: list[str] = []
        job_rows: list[dict[str, Any]] = []
        secret_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        with self._tx() as conn:
            known = self._keyed_ids(conn, [k for _, k in specs if k])
            for spec, idempotency_key in specs:
                if idempotency_key and idempotency_key in known:
                    job_ids.append(known[idempotency_key])
                    continue
                job_id = str(uuid.uuid4())
                if idempotency_key:
                    known[idempotency_key] = job_id  # a key repeated within the bulk is one job
                now = self._now()
                job_rows.append(
                    {
                        "id": job_id,
                        "spec_json": spec.model_dump_json(),
                        "state": JobState.PENDING,
                        "idempotency_key": idempotency_key,
                        "cancel_requested": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                if secret is not None:
                    ciphertext = self.secrets.encrypt(secret)
                    secret_rows.append({"job_id": job_id, "name": "client_secret", "ciphertext": ciphertext})
                event_rows.append(
                    self._event_row(job_id, "job", {"state": JobState.PENDING, "name": spec.name})
                )
                job_ids.append(job_id)
            for table, rows in ((jobs, job_rows), (job_secrets, secret_rows), (events, event_rows)):
                if rows:
                    conn.execute(insert(table), rows)
        return job_ids

    def _keyed_ids(self, conn: Connection, keys: list[str]) -> dict[str, str]:
        """Job id per idempotency key already used, for these keys (read in chunks of bound parameters)."""
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = conn.execute(
                select(jobs.c.idempotency_key, jobs.c.id).where(jobs.c.idempotency_key.in_(chunk))
            )
            found.update({str(k): str(v) for k, v in rows})
        return found

    def _row(self, conn: Connection, job_id: str) -> RowMapping:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise JobNotFoundError(job_id)
        return row

    def _record(self, conn: Connection, row: RowMapping) -> JobRecord:
        step_rows = conn.execute(select(steps).where(steps.c.job_id == row["id"])).mappings().all()
        by_name = {
            r["name"]: StepRecord(
                name=r["name"],
                state=StepState(r["state"]),
                attempts=int(r["attempts"]),
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                error=r["outcome"] if r["state"] == StepState.FAILED else None,
                output=json.loads(r["output_json"]) if r["output_json"] else {},
            )
            for r in step_rows
        }
        spec = JobSpec.model_validate_json(row["spec_json"])
        return JobRecord(
            id=row["id"],
            spec=spec,
            state=JobState(row["state"]),
            error=row["error"],
            account_id=row["account_id"],
            cancel_requested=bool(row["cancel_requested"]),
            created_at=float(row["created_at"]),
            updated_at=float(row["updated_at"]),
            steps=tuple(by_name.get(name, StepRecord(name)) for name in steps_for(spec)),
            lease_owner=row["owner"],
            lease_expires_at=row["lease_expires_at"],
            runner_alive=row["state"] != JobState.RUNNING
            or (bool(row["owner"]) and _lease_held(row, self._now())),
            paused=row["state"] == JobState.WAITING
            and bool(row["owner"])
            and _held_by_live_runner(row, self._now()),
        )

    def get_job(self, job_id: str) -> JobRecord | None:
        with self._read() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
            return self._record(conn, row) if row is not None else None

    def require_job(self, job_id: str) -> JobRecord:
        job = self.get_job(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def find_job(self, prefix: str) -> JobRecord | None:
        """A job by its id or a unique prefix of it (the CLI shows short ids)."""
        with self._read() as conn:
            ids = (
                conn.execute(select(jobs.c.id).where(jobs.c.id.startswith(prefix, autoescape=True)).limit(2))
                .scalars()
                .all()
            )
        return self.get_job(ids[0]) if len(ids) == 1 else None

    def list_jobs(self, state: JobState | str | None = None) -> list[JobRecord]:
        query = select(jobs).order_by(jobs.c.created_at, jobs.c.id)
        if state is not None:
            query = query.where(jobs.c.state == state)
        with self._read() as conn:
            return [self._record(conn, row) for row in conn.execute(query).mappings().all()]

    def set_state(
        self,
        job_id: str,
        state: JobState,
        error: str | None = None,
        *,
        lease: Lease | None = None,
        release: bool = False,
        **payload: Any,
    ) -> None:
        """Put the job in `state`; with `release` (the runner's last write, its heartbeat stopped), the
        lease ends in the same transaction, as `release` would end it."""
        with self._tx() as conn:
            values: dict[str, Any] = {"state": state, "error": error}
            if state == JobState.RUNNING:
                values["cancel_requested"] = 0
            if release:
                values["lease_expires_at"] = None
            self._touch(conn, job_id, lease, **values)
            body: dict[str, Any] = {"state": state, **payload}
            if error:
                body["error"] = error
            self._emit(conn, job_id, "job", body)

    def claim(
        self,
        job_id: str,
        owner: str | None = None,
        *,
        lease_seconds: float = LEASE_SECONDS,
        force: bool = False,
        states: Collection[JobState] | None = None,
    ) -> Lease:
        """Take the job for `owner` (this process by default) with a lease of `lease_seconds`.

        The claim is a conditional update on the job's fencing token (`lease_token`), checked by its row
        count, so of two runners released together exactly one wins, on SQLite and PostgreSQL alike. A
        job `running` under someone else's unexpired lease is refused (`JobBusyError`); one whose lease
        expired (a crashed host), or whose owner is a dead process on this host, is taken over. A cancel
        requested of a runner that died before honouring it survives the takeover (the new runner stops
        at once) unless `force`; a failed or waiting job's resume starts without it. `states`: take the
        job only while it is in one of them (`JobStateChangedError` otherwise), read in the claim's
        transaction, so a job another runner carried on meanwhile is left alone.
        """
        owner = owner or current_owner()
        with self._tx() as conn:
            row = self._row(conn, job_id)
            now = self._now()
            if states is not None and JobState(row["state"]) not in states:
                raise JobStateChangedError(job_id, JobState(row["state"]))
            holder = row["owner"]
            if holder and holder != owner and _held_by_live_runner(row, now):
                raise JobBusyError(job_id, str(holder))
            seen = int(row["lease_token"])
            lease = Lease(job_id, owner, seen + 1, now + lease_seconds)
            won = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.lease_token == seen)
                .values(
                    state=JobState.RUNNING,
                    error=None,
                    owner=owner,
                    # A cancel the dead runner never honoured stays; a settled job's resume starts clean.
                    cancel_requested=row["cancel_requested"]
                    if row["state"] == JobState.RUNNING and not force
                    else 0,
                    lease_token=lease.token,
                    lease_expires_at=lease.expires_at,
                    updated_at=now,
                )
            ).rowcount
            if won != 1:
                raise JobBusyError(job_id, "a runner that claimed it at the same moment")
            self._emit(conn, job_id, "job", {"state": JobState.RUNNING})
            return lease

    def renew(self, lease: Lease, lease_seconds: float = LEASE_SECONDS) -> Lease:
        """The heartbeat: push the lease's expiry on; `LeaseLostError` when another runner took the job."""
        with self._tx() as conn:
            expires = self._now() + lease_seconds
            held = conn.execute(
                update(jobs)
                .where(jobs.c.id == lease.job_id, jobs.c.lease_token == lease.token)
                .values(lease_expires_at=expires)
            ).rowcount
        if held != 1:
            raise LeaseLostError(lease)
        return Lease(lease.job_id, lease.owner, lease.token, expires)

    def release(self, lease: Lease) -> None:
        """End the lease (the job is at rest); a lost lease is left alone."""
        with self._tx() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == lease.job_id, jobs.c.lease_token == lease.token)
                .values(lease_expires_at=None)
            )

    def _touch(self, conn: Connection, job_id: str, lease: Lease | None, **values: Any) -> float:
        """Bump the job's `updated_at` (with `values`) and return that time; with `lease`, only while the
        lease holds: `lease_token = ?` is in the UPDATE's WHERE, so the fence and the write are one
        statement inside the write's transaction, which holds the store's write lock (no claim can slip
        in between). A refused write raises and its transaction rolls back, leaving nothing."""
        now = self._now()
        query = update(jobs).where(jobs.c.id == job_id)
        if lease is not None:
            query = query.where(jobs.c.lease_token == lease.token)
        if conn.execute(query.values(updated_at=now, **values)).rowcount != 1:
            self._refuse(conn, job_id, lease)
        return now

    def _refuse(self, conn: Connection, job_id: str, lease: Lease | None) -> None:
        """Why a fenced write touched no row: `LeaseLostError` for a runner's write (a claim bumped the
        token), `JobNotFoundError` for an unfenced write to a job that does not exist."""
        if lease is not None:
            raise LeaseLostError(lease)
        raise JobNotFoundError(job_id)

    def set_account_id(self, job_id: str, account_id: str, *, lease: Lease | None = None) -> None:
        with self._tx() as conn:
            self._touch(conn, job_id, lease, account_id=account_id)

    def request_cancel(self, job_id: str) -> bool:
        """Ask a job to stop; final either way. A job whose runner holds its lease stops before its next
        step (or poll); any other unfinished job (pending, waiting, or `running` under a dead or expired
        runner) is cancelled at once, and its fencing token is bumped so a stalled runner that wakes up
        cannot write to it. Returns False when the job had already finished.
        """
        with self._tx() as conn:
            row = self._row(conn, job_id)
            state = JobState(row["state"])
            if state in TERMINAL_STATES:
                return False
            now = self._now()
            if state == JobState.RUNNING and row["owner"] and _lease_held(row, now):
                conn.execute(update(jobs).where(jobs.c.id == job_id).values(cancel_requested=1))
                self._emit(conn, job_id, "job", {"state": JobState.RUNNING, "cancel_requested": True})
            else:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(
                        state=JobState.CANCELLED,
                        cancel_requested=1,
                        lease_token=int(row["lease_token"]) + 1,
                        lease_expires_at=None,
                        updated_at=now,
                    )
                )
                self._emit(conn, job_id, "job", {"state": JobState.CANCELLED})
            return True

    def cancel_requested(self, job_id: str) -> bool:
        """One column: a runner asks before every step and poll (the whole row cost a tenth of a bulk's
        CPU)."""
        with self._read_one() as conn:
            flag = conn.execute(select(jobs.c.cancel_requested).where(jobs.c.id == job_id)).scalar()
        if flag is None:
            raise JobNotFoundError(job_id)
        return bool(flag)

    # --- steps --------------------------------------------------------------------------------------

    def start_step(self, job_id: str, name: str, *, lease: Lease | None = None) -> None:
        with self._tx() as conn:
            now = self._touch(conn, job_id, lease)
            first = self._insert_if_new(steps).values(
                job_id=job_id, name=name, state=StepState.RUNNING, attempts=1, started_at=now
            )
            attempt = 1
            if conn.execute(first, **_COUNTED).rowcount != 1:  # run before: count the attempt on
                where = (steps.c.job_id == job_id, steps.c.name == name)
                attempt = int(conn.execute(select(steps.c.attempts).where(*where)).scalar_one()) + 1
                conn.execute(
                    update(steps)
                    .where(*where)
                    .values(state=StepState.RUNNING, attempts=attempt, started_at=now, finished_at=None)
                )
            self._emit(conn, job_id, "step", {"step": name, "state": StepState.RUNNING, "attempt": attempt})

    def _insert_if_new(self, table: Table) -> Insert:
        """An INSERT that adds nothing when the primary key exists (`ON CONFLICT DO NOTHING`, which both
        databases spell the same but SQLAlchemy builds per dialect); its row count says which."""
        if is_sqlite(self.url):
            return sqlite.insert(table).on_conflict_do_nothing()
        return postgresql.insert(table).on_conflict_do_nothing()

    def checkpoint(
        self, job_id: str, name: str, output: Mapping[str, Any], *, lease: Lease | None = None
    ) -> None:
        """Persist a running step's partial output, so a resumed step knows what it already did."""
        with self._tx() as conn:
            self._emit(conn, job_id, "checkpoint", {"step": name, "keys": sorted(output)}, lease)
            conn.execute(
                update(steps)
                .where(steps.c.job_id == job_id, steps.c.name == name)
                .values(output_json=json.dumps(dict(output), default=str))
            )

    def finish_step(
        self,
        job_id: str,
        name: str,
        state: StepState,
        output: Mapping[str, Any] | None = None,
        outcome: str | None = None,
        *,
        lease: Lease | None = None,
    ) -> None:
        with self._tx() as conn:
            now = self._touch(conn, job_id, lease)
            values: dict[str, Any] = {"state": state, "finished_at": now, "outcome": outcome}
            if output is not None:
                values["output_json"] = json.dumps(dict(output), default=str)
            conn.execute(update(steps).where(steps.c.job_id == job_id, steps.c.name == name).values(**values))
            payload: dict[str, Any] = {"step": name, "state": state}
            if outcome:
                payload["message"] = outcome
            self._emit(conn, job_id, "step", payload)

    def complete_step_externally(self, job_id: str, name: str, output: Mapping[str, Any], note: str) -> None:
        """Record a step as done with output the user supplied (terraform outputs applied elsewhere)."""
        with self._tx() as conn:
            now = self._now()
            exists = conn.execute(
                select(steps.c.name).where(steps.c.job_id == job_id, steps.c.name == name)
            ).scalar()
            values = {
                "state": StepState.DONE,
                "finished_at": now,
                "outcome": note,
                "output_json": json.dumps(dict(output)),
            }
            if exists is None:
                conn.execute(
                    insert(steps).values(job_id=job_id, name=name, attempts=1, started_at=now, **values)
                )
            else:
                conn.execute(
                    update(steps).where(steps.c.job_id == job_id, steps.c.name == name).values(**values)
                )
            self._emit(conn, job_id, "step", {"step": name, "state": StepState.DONE, "message": note})

    # --- secrets ------------------------------------------------------------------------------------

    def _put_secret(self, conn: Connection, job_id: str, name: str, secret: Secret | str) -> None:
        ciphertext = self.secrets.encrypt(secret)
        found = conn.execute(
            select(job_secrets.c.name).where(job_secrets.c.job_id == job_id, job_secrets.c.name == name)
        ).scalar()
        if found is None:
            conn.execute(insert(job_secrets).values(job_id=job_id, name=name, ciphertext=ciphertext))
        else:
            conn.execute(
                update(job_secrets)
                .where(job_secrets.c.job_id == job_id, job_secrets.c.name == name)
                .values(ciphertext=ciphertext)
            )

    def put_secret(self, job_id: str, name: str, secret: Secret | str, *, lease: Lease | None = None) -> None:
        with self._tx() as conn:
            self._emit(conn, job_id, "secret", {"name": name, "stored": "encrypted"}, lease)
            self._put_secret(conn, job_id, name, secret)

    def require_keys(self, jobs: Iterable[JobRecord] | None = None) -> None:
        """Resolve the store's keys now when a secret will be read or written: for `jobs`, when one of
        them has a stored secret or is a Prisma job before its add step (every identity provisioner reads
        or writes one there); with None, unconditionally (a command about to store a new secret).

        `StoreKeyError` (a PostgreSQL store with no key source, a malformed key) then stops a command
        before it claims or changes anything, instead of failing the job half-way through a step.
        """
        if jobs is not None:
            todo = [j for j in jobs if not j.ok]
            if not todo:
                return
            with self._read() as conn:
                stored = set(conn.execute(select(job_secrets.c.job_id).distinct()).scalars())
            if not any(_will_touch_secrets(j, j.id in stored) for j in todo):
                return
        self.secrets.load()

    def get_secret(self, job_id: str, name: str) -> Secret | None:
        with self._read_one() as conn:
            blob = conn.execute(
                select(job_secrets.c.ciphertext).where(
                    job_secrets.c.job_id == job_id, job_secrets.c.name == name
                )
            ).scalar()
        return self.secrets.decrypt(bytes(blob)) if blob is not None else None

    def get_secrets(self, job_id: str) -> dict[str, Secret]:
        """Every secret of the job by name, in one read (a run asks for `key`, then `client_secret`)."""
        with self._read_one() as conn:
            rows = conn.execute(
                select(job_secrets.c.name, job_secrets.c.ciphertext).where(job_secrets.c.job_id == job_id)
            ).all()
        return {str(name): self.secrets.decrypt(bytes(blob)) for name, blob in rows}

    # --- key rotation -------------------------------------------------------------------------------

    def rekey(self, *, dry_run: bool = False) -> RekeySummary:
        """Re-encrypt every stored secret with the newest key, one transaction per job.

        Every secret is first decrypted in a read pass, so a wrong or missing old key is reported
        (`SecretStoreError`) before anything is written. Secrets already under the newest key are left as
        they are, so a rekey interrupted half-way is finished by running it again. `dry_run` only counts.
        """
        with self._read() as conn:
            rows = conn.execute(
                select(job_secrets.c.job_id, job_secrets.c.name, job_secrets.c.ciphertext).order_by(
                    job_secrets.c.job_id, job_secrets.c.name
                )
            ).all()
        stale: dict[str, list[str]] = {}
        for job_id, name, blob in rows:
            token = bytes(blob)
            if not self.secrets.is_current(token):
                self.secrets.rotate(token)  # raises before any write when no key can read it
                stale.setdefault(str(job_id), []).append(str(name))
        summary = RekeySummary(
            secrets=len(rows),
            jobs=len({r[0] for r in rows}),
            reencrypted=sum(len(v) for v in stale.values()),
            source=self.secrets.source,
            dry_run=dry_run,
        )
        if dry_run:
            return summary
        for job_id, names in stale.items():
            with self._tx() as conn:
                for name in names:
                    where = (job_secrets.c.job_id == job_id, job_secrets.c.name == name)
                    blob = conn.execute(select(job_secrets.c.ciphertext).where(*where)).scalar()
                    if blob is None or self.secrets.is_current(bytes(blob)):
                        continue  # removed or rewritten by a runner since the read pass
                    conn.execute(
                        update(job_secrets).where(*where).values(ciphertext=self.secrets.rotate(bytes(blob)))
                    )
                    self._emit(conn, job_id, "secret", {"name": name, "stored": "re-encrypted (rekey)"})
        return summary

    def close(self) -> None:
        self.engine.dispose()
        self._reader.dispose()


def _will_touch_secrets(job: JobRecord, has_stored: bool) -> bool:
    """Whether running this job's remaining steps reads or writes a secret (see `require_keys`)."""
    if has_stored:
        return True
    return job.spec.cortex is None and job.step("add_account").state is not StepState.DONE


def _held_by_live_runner(row: RowMapping, now: float) -> bool:
    """A `running` job under a live lease, or a `waiting` one its runner still holds: paused by an API
    outage, it carries on by itself when the API answers (a released waiting job has no expiry)."""
    if row["state"] == JobState.RUNNING:
        return _lease_held(row, now)
    return row["state"] == JobState.WAITING and row["lease_expires_at"] is not None and _lease_held(row, now)


@dataclass(frozen=True)
class RekeySummary:
    """What `rekey` found and did: counts and the key source's name, never a key."""

    secrets: int
    jobs: int
    reencrypted: int
    source: str
    dry_run: bool

    @property
    def current(self) -> int:
        return self.secrets - self.reencrypted

    def as_dict(self) -> dict[str, Any]:
        return {
            "secrets": self.secrets,
            "jobs": self.jobs,
            "reencrypted": self.reencrypted,
            "already_current": self.current,
            "key_source": self.source,
            "dry_run": self.dry_run,
        }


def _create_private(path: Path) -> None:
    """Create a SQLite database file 0600 before SQLite does (it would follow the umask, often 0644);
    its -wal and -shm files take the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _lease_held(row: RowMapping, now: float) -> bool:
    """Whether the job's owner still holds it: its lease has not expired, and if the owner is a process
    on this host, that process is alive (a killed local runner's job is taken over at once). A row
    claimed before leases existed (no expiry) falls back to the owner check alone."""
    owner = str(row["owner"])
    expires = row["lease_expires_at"]
    if expires is None:
        return owner_alive(owner, float(row["updated_at"]), now)
    return float(expires) > now and owner_alive(owner, float(row["updated_at"]), now, lease_expired=False)
