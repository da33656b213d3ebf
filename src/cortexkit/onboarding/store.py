"""Durable jobs, steps, events and encrypted secrets, through SQLAlchemy 2 Core.

SQLite (the default, in WAL mode) for one machine; a PostgreSQL URL works too. Every change is its own
short transaction, so a process killed at any instant leaves the last committed state, which is what
`resume` reads back.

Migrations are a versioned table (`schema_version`) plus an ordered list of Python functions, applied at
open time in one transaction. Alembic was the alternative; it needs its env.py/ini machinery resolved at
runtime inside a user's data dir, for a schema of four tables. The version table gives the same
guarantees (ordered, recorded, never re-applied) and the list can grow with `ALTER TABLE` steps.

SQLite writes are serialized with `BEGIN IMMEDIATE` and a busy timeout, so concurrent bulk workers queue
instead of failing with "database is locked", and event ids are committed in increasing order: a reader
that remembers the last id it saw never misses an event.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping, make_url

from cortexkit.onboarding.model import STEP_TITLES, STEPS, TERMINAL_STATES, JobSpec
from cortexkit.onboarding.secrets import KEY_FILE_NAME, Secret, SecretBox

SCHEMA_VERSION = 2


def _define(md: MetaData, version: int) -> tuple[Table, Table, Table, Table]:
    """The tables as of schema `version`: migrations build old versions, the code uses the current one."""
    owner = [Column("owner", String(200))] if version >= 2 else []  # "host:pid" running the job
    jobs_table = Table(
        "jobs",
        md,
        Column("id", String(36), primary_key=True),
        Column("spec_json", Text, nullable=False),
        Column("state", String(16), nullable=False),
        Column("error", Text),
        Column("idempotency_key", String(200), unique=True),
        Column("cancel_requested", Integer, nullable=False, default=0),
        Column("account_id", String(200)),
        Column("created_at", Float, nullable=False),
        Column("updated_at", Float, nullable=False),
        *owner,
    )
    steps_table = Table(
        "steps",
        md,
        Column("job_id", String(36), ForeignKey("jobs.id"), primary_key=True),
        Column("name", String(32), primary_key=True),
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("started_at", Float),
        Column("finished_at", Float),
        Column("outcome", Text),
        Column("output_json", Text),
    )
    events_table = Table(
        "events",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("job_id", String(36), ForeignKey("jobs.id"), nullable=False, index=True),
        Column("ts", Float, nullable=False),
        Column("type", String(32), nullable=False),
        Column("payload_json", Text, nullable=False),
        sqlite_autoincrement=True,
    )
    secrets_table = Table(
        "job_secrets",
        md,
        Column("job_id", String(36), ForeignKey("jobs.id"), primary_key=True),
        Column("name", String(32), primary_key=True),
        Column("ciphertext", LargeBinary, nullable=False),
    )
    return jobs_table, steps_table, events_table, secrets_table


metadata = MetaData()
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
jobs, steps, events, job_secrets = _define(metadata, SCHEMA_VERSION)


def _migrate_1(conn: Connection) -> None:
    """Version 1: jobs (without `owner`), steps, events, secrets."""
    v1 = MetaData()
    _define(v1, 1)
    v1.create_all(conn)


def _migrate_2(conn: Connection) -> None:
    """Version 2: `jobs.owner`, so a second process does not run a job another live one is running."""
    conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN owner VARCHAR(200)")


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migrate_1, _migrate_2)
"""Index i holds the migration to version i + 1. Append only; a fresh database gets the current schema
directly and is stamped with the last version."""

STALE_OWNER_SECONDS = 900.0
"""A job run by another host counts as abandoned when it has not changed for this long."""


def current_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str, updated_at: float, now: float) -> bool:
    """Whether the process named by `owner` may still be running the job."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return now - updated_at < STALE_OWNER_SECONDS
    if int(pid) == os.getpid():
        return False  # this process: the runner's own thread guard applies
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("cortexkit", ensure_exists=True)


def default_url() -> str:
    return f"sqlite:///{default_data_dir() / 'jobs.db'}"


@dataclass(frozen=True)
class StepRecord:
    name: str
    state: str = "pending"
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return STEP_TITLES.get(self.name, self.name)


@dataclass(frozen=True)
class JobRecord:
    """A job as read back from the store; holds no secret."""

    id: str
    spec: JobSpec
    state: str
    error: str | None
    account_id: str | None
    cancel_requested: bool
    created_at: float
    updated_at: float
    steps: tuple[StepRecord, ...]

    @property
    def ok(self) -> bool:
        return self.state == "done"

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES

    def step(self, name: str) -> StepRecord:
        return next(s for s in self.steps if s.name == name)

    @property
    def account_status(self) -> list[dict[str, Any]]:
        """The verify step's last component list (name, status, message, remediation)."""
        components = self.step("verify").output.get("components", [])
        return list(components) if isinstance(components, list) else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "error": self.error,
            "account_id": self.account_id,
            "cancel_requested": self.cancel_requested,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "spec": self.spec.model_dump(mode="json"),
            "steps": [
                {
                    "name": s.name,
                    "title": s.title,
                    "state": s.state,
                    "attempts": s.attempts,
                    "started_at": s.started_at,
                    "finished_at": s.finished_at,
                    "error": s.error,
                    "output": s.output,
                }
                for s in self.steps
            ],
            "account_status": self.account_status,
        }


@dataclass(frozen=True)
class Event:
    id: int
    job_id: str
    ts: float
    type: str
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job_id": self.job_id,
            "ts": self.ts,
            "type": self.type,
            "payload": self.payload,
        }


class JobNotFoundError(KeyError):
    pass


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


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
        db_path = _sqlite_path(self.url) if _is_sqlite(self.url) else None
        self.data_dir = data_dir or (db_path.parent if db_path else default_data_dir())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.secrets = secret_box or SecretBox(self.data_dir / KEY_FILE_NAME)
        self.engine = self._make_engine(write=True)
        self._reader = self._make_engine(write=False) if _is_sqlite(self.url) else self.engine
        self._migrate()

    def _make_engine(self, *, write: bool) -> Engine:
        """Writers take the lock up front (`BEGIN IMMEDIATE`); readers use a WAL snapshot and never block."""
        if not _is_sqlite(self.url):
            return create_engine(self.url, pool_pre_ping=True)
        engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._reader.begin() as conn:
            yield conn

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    def _migrate(self) -> None:
        with self._tx() as conn:
            metadata.create_all(conn, tables=[schema_version])
            current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
            if current == 0 and not conn.dialect.has_table(conn, "jobs"):
                metadata.create_all(
                    conn, tables=[jobs, steps, events, job_secrets]
                )  # fresh: the current schema at once
                conn.execute(insert(schema_version).values(version=len(MIGRATIONS)))
                return
            for version in range(current, len(MIGRATIONS)):
                MIGRATIONS[version](conn)
                conn.execute(insert(schema_version).values(version=version + 1))

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)

    def integrity_check(self) -> str:
        """SQLite's `PRAGMA integrity_check` answer ("ok" when sound); "ok" for other databases."""
        if not _is_sqlite(self.url):
            return "ok"
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    # --- events -------------------------------------------------------------------------------------

    def _emit(self, conn: Connection, job_id: str, type_: str, payload: Mapping[str, Any]) -> None:
        conn.execute(
            insert(events).values(
                job_id=job_id, ts=self._now(), type=type_, payload_json=json.dumps(dict(payload), default=str)
            )
        )

    def emit(self, job_id: str, type_: str, payload: Mapping[str, Any]) -> None:
        with self._tx() as conn:
            self._emit(conn, job_id, type_, payload)

    def last_event_id(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)

    def events_after(self, job_id: str | None, after_id: int, limit: int = 500) -> list[Event]:
        query = select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
        if job_id is not None:
            query = query.where(events.c.job_id == job_id)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Event(int(r["id"]), r["job_id"], float(r["ts"]), r["type"], json.loads(r["payload_json"]))
            for r in rows
        ]

    # --- jobs ---------------------------------------------------------------------------------------

    def create_job(
        self, spec: JobSpec, secret: Secret | str | None = None, idempotency_key: str | None = None
    ) -> str:
        """A new pending job; with an `idempotency_key` already used, the existing job's id instead."""
        if not isinstance(spec, JobSpec):
            spec = JobSpec.model_validate(spec)
        with self._tx() as conn:
            if idempotency_key:
                found = conn.execute(
                    select(jobs.c.id).where(jobs.c.idempotency_key == idempotency_key)
                ).scalar()
                if found:
                    return str(found)
            job_id = str(uuid.uuid4())
            now = self._now()
            conn.execute(
                insert(jobs).values(
                    id=job_id,
                    spec_json=spec.model_dump_json(),
                    state="pending",
                    idempotency_key=idempotency_key,
                    cancel_requested=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            if secret is not None:
                self._put_secret(conn, job_id, "client_secret", secret)
            self._emit(conn, job_id, "job", {"state": "pending", "name": spec.name})
        return job_id

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
                state=r["state"],
                attempts=int(r["attempts"]),
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                error=r["outcome"] if r["state"] == "failed" else None,
                output=json.loads(r["output_json"]) if r["output_json"] else {},
            )
            for r in step_rows
        }
        return JobRecord(
            id=row["id"],
            spec=JobSpec.model_validate_json(row["spec_json"]),
            state=row["state"],
            error=row["error"],
            account_id=row["account_id"],
            cancel_requested=bool(row["cancel_requested"]),
            created_at=float(row["created_at"]),
            updated_at=float(row["updated_at"]),
            steps=tuple(by_name.get(name, StepRecord(name)) for name in STEPS),
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

    def list_jobs(self, state: str | None = None) -> list[JobRecord]:
        query = select(jobs).order_by(jobs.c.created_at, jobs.c.id)
        if state is not None:
            query = query.where(jobs.c.state == state)
        with self._read() as conn:
            return [self._record(conn, row) for row in conn.execute(query).mappings().all()]

    def set_state(self, job_id: str, state: str, error: str | None = None, **payload: Any) -> None:
        with self._tx() as conn:
            self._row(conn, job_id)
            values: dict[str, Any] = {"state": state, "error": error, "updated_at": self._now()}
            if state == "running":
                values["cancel_requested"] = 0
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
            body: dict[str, Any] = {"state": state, **payload}
            if error:
                body["error"] = error
            self._emit(conn, job_id, "job", body)

    def claim(self, job_id: str, owner: str | None = None) -> str | None:
        """Mark the job running for `owner` (this process by default).

        Returns None on success, or the owner still running it: a job left `running` by a killed process
        is taken over; one whose process is alive is not, so two resumes cannot run it at once.
        """
        owner = owner or current_owner()
        with self._tx() as conn:
            row = self._row(conn, job_id)
            holder = row["owner"]
            now = self._now()
            if (
                row["state"] == "running"
                and holder
                and holder != owner
                and owner_alive(holder, float(row["updated_at"]), now)
            ):
                return str(holder)
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(state="running", error=None, owner=owner, cancel_requested=0, updated_at=now)
            )
            self._emit(conn, job_id, "job", {"state": "running"})
            return None

    def set_account_id(self, job_id: str, account_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                update(jobs).where(jobs.c.id == job_id).values(account_id=account_id, updated_at=self._now())
            )

    def request_cancel(self, job_id: str) -> bool:
        """Ask a job to stop. A job not running is cancelled at once; a running one stops between steps.

        Returns False when the job had already finished.
        """
        with self._tx() as conn:
            row = self._row(conn, job_id)
            if row["state"] in TERMINAL_STATES:
                return False
            if row["state"] == "running":
                conn.execute(update(jobs).where(jobs.c.id == job_id).values(cancel_requested=1))
                self._emit(conn, job_id, "job", {"state": "running", "cancel_requested": True})
            else:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(state="cancelled", cancel_requested=1, updated_at=self._now())
                )
                self._emit(conn, job_id, "job", {"state": "cancelled"})
            return True

    def cancel_requested(self, job_id: str) -> bool:
        with self._read() as conn:
            return bool(self._row(conn, job_id)["cancel_requested"])

    # --- steps --------------------------------------------------------------------------------------

    def start_step(self, job_id: str, name: str) -> None:
        with self._tx() as conn:
            now = self._now()
            existing = conn.execute(
                select(steps.c.attempts).where(steps.c.job_id == job_id, steps.c.name == name)
            ).scalar()
            if existing is None:
                conn.execute(
                    insert(steps).values(
                        job_id=job_id, name=name, state="running", attempts=1, started_at=now
                    )
                )
            else:
                conn.execute(
                    update(steps)
                    .where(steps.c.job_id == job_id, steps.c.name == name)
                    .values(state="running", attempts=int(existing) + 1, started_at=now, finished_at=None)
                )
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(updated_at=now))
            self._emit(
                conn, job_id, "step", {"step": name, "state": "running", "attempt": int(existing or 0) + 1}
            )

    def checkpoint(self, job_id: str, name: str, output: Mapping[str, Any]) -> None:
        """Persist a running step's partial output, so a resumed step knows what it already did."""
        with self._tx() as conn:
            conn.execute(
                update(steps)
                .where(steps.c.job_id == job_id, steps.c.name == name)
                .values(output_json=json.dumps(dict(output), default=str))
            )
            self._emit(conn, job_id, "checkpoint", {"step": name, "keys": sorted(output)})

    def finish_step(
        self,
        job_id: str,
        name: str,
        state: str,
        output: Mapping[str, Any] | None = None,
        outcome: str | None = None,
    ) -> None:
        with self._tx() as conn:
            now = self._now()
            values: dict[str, Any] = {"state": state, "finished_at": now, "outcome": outcome}
            if output is not None:
                values["output_json"] = json.dumps(dict(output), default=str)
            conn.execute(update(steps).where(steps.c.job_id == job_id, steps.c.name == name).values(**values))
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(updated_at=now))
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
                "state": "done",
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
            self._emit(conn, job_id, "step", {"step": name, "state": "done", "message": note})

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

    def put_secret(self, job_id: str, name: str, secret: Secret | str) -> None:
        with self._tx() as conn:
            self._put_secret(conn, job_id, name, secret)
            self._emit(conn, job_id, "secret", {"name": name, "stored": "encrypted"})

    def get_secret(self, job_id: str, name: str) -> Secret | None:
        with self._read() as conn:
            blob = conn.execute(
                select(job_secrets.c.ciphertext).where(
                    job_secrets.c.job_id == job_id, job_secrets.c.name == name
                )
            ).scalar()
        return self.secrets.decrypt(bytes(blob)) if blob is not None else None

    def close(self) -> None:
        self.engine.dispose()
        self._reader.dispose()
