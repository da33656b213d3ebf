"""SQLAlchemy engines for the job store: where the database is and how connections are set up.

SQLite (the default, in WAL mode) serializes writers with `BEGIN IMMEDIATE` and a busy timeout, so
concurrent bulk workers queue instead of failing with "database is locked"; readers use a WAL snapshot
and never block. PostgreSQL needs nothing special here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url


def default_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("cortexkit", ensure_exists=True)


def default_url() -> str:
    return f"sqlite:///{default_data_dir() / 'jobs.db'}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def make_engine(url: str, *, write: bool) -> Engine:
    """Writers take the lock up front (`BEGIN IMMEDIATE`); readers use a WAL snapshot and never block."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

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
