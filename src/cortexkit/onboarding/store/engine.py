"""SQLAlchemy engines for the job store: where the database is and how connections are set up.

Writers are serialized on both databases, so the store's read-then-write transactions (claims, cancels,
migrations) behave the same everywhere and event ids commit in the order they are drawn (a reader that
remembers the last id it saw never misses one):
- SQLite (the default, in WAL mode): `BEGIN IMMEDIATE` and a busy timeout, so concurrent bulk workers
  queue instead of failing with "database is locked"; readers use a WAL snapshot and never block.
  Schema creation runs in such a transaction too, so processes opening a brand-new file together
  create it once. The switch of a new file to WAL is the one statement the busy timeout does not cover
  (see `use_wal`).
- PostgreSQL: every write transaction first takes one transaction-scoped advisory lock
  (`pg_advisory_xact_lock`), released at commit; readers never take it. Without it, ids from the events
  sequence committed out of order under two writers and a live tail skipped events, and two processes
  opening a fresh database at once raced each other's `CREATE TABLE`.

A read of one statement (`one_statement()` on a reader's connection) runs without BEGIN and COMMIT: one
statement sees one consistent snapshot by itself on both databases, so the transaction around it only
cost statements (and, on PostgreSQL, round trips). Reads of several statements keep their transaction.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from cortexkit.errors import CortexkitError

WRITE_LOCK_KEY = zlib.crc32(b"cortexkit.onboarding.store")
"""The PostgreSQL advisory lock id every write transaction of the job store holds until it commits."""


def default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("cortexkit", ensure_exists=True)


STORE_URL_ENV = "CORTEXKIT_STORE_URL"
"""A team's shared store (`postgresql+psycopg://user@host/db`), for every command that opens the store."""


def default_url() -> str:
    """`CORTEXKIT_STORE_URL` when set, else the SQLite file in the user's data dir."""
    return os.environ.get(STORE_URL_ENV) or f"sqlite:///{default_data_dir() / 'jobs.db'}"


def safe_url(url: str) -> str:
    """The URL to show a user: its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite statement waits for another process's lock before "database is locked"."""

WAL_SWITCH_SECONDS = 10.0
"""How long opening a store retries switching a new SQLite file to WAL while other processes hold it."""


class StoreLockedError(CortexkitError):
    """The SQLite store stayed locked by other processes for longer than opening it can wait."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def use_wal(cursor: Any, where: str, *, budget: float | None = None) -> None:
    """Put the database of a DB-API `cursor` in WAL mode, if it is not already.

    Switching needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without the busy timeout,
    when another process opening the same brand-new file holds a lock (two processes started together:
    `database is locked`, in 1 run of 4 of an outage test). So read the mode first (a WAL file stays WAL:
    nothing to switch), and retry the switch with a short jittered back-off for at most `budget` seconds
    (`WAL_SWITCH_SECONDS` by default), then raise `StoreLockedError` naming the file.
    """
    budget = WAL_SWITCH_SECONDS if budget is None else budget
    deadline = time.monotonic() + budget
    delay = 0.005
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL").fetchone()  # "memory" for an in-memory database
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"the job store {where} stayed locked by other processes for {budget:.0f} s while "
                    "opening it; wait for the cortexkit processes using it to finish (or stop them) and "
                    "run the command again"
                ) from None
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 0.2)


ONE_STATEMENT = "cortexkit_one_statement"
"""The execution option that tells a SQLite reader's connection to skip its BEGIN (see `one_statement`)."""


def one_statement(url: str) -> dict[str, Any]:
    """The execution options of a reader's connection that runs a single SELECT outside a transaction:
    AUTOCOMMIT on PostgreSQL (psycopg would send BEGIN itself), no BEGIN from our hook on SQLite (its
    driver is already in autocommit mode; SQLAlchemy's AUTOCOMMIT would reset it to implicit
    transactions when the connection goes back to the pool)."""
    return {ONE_STATEMENT: True} if is_sqlite(url) else {"isolation_level": "AUTOCOMMIT"}


def make_engine(url: str, *, write: bool) -> Engine:
    """Writers take the lock up front (`BEGIN IMMEDIATE`); readers use a WAL snapshot and never block."""
    if not is_sqlite(url):
        engine = create_engine(url, pool_pre_ping=True)
        if write:

            @event.listens_for(engine, "begin")
            def _serialize(conn: Connection) -> None:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    where = str(sqlite_path(url) or url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: every statement below waits
        use_wal(cursor, where)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if write:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif not conn.get_execution_options().get(ONE_STATEMENT):
            conn.exec_driver_sql("BEGIN")

    return engine
