"""Ordered schema migrations, applied once each at open time and recorded in `schema_version`.

Alembic was the alternative; it needs its env.py/ini machinery resolved at runtime inside a user's data
dir, for a schema of four tables. The version table gives the same guarantees (ordered, recorded, never
re-applied) and the list grows with `ALTER TABLE` steps.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, MetaData, func, insert, select

from cortexkit.onboarding.store.schema import define as _define
from cortexkit.onboarding.store.schema import (
    events,
    job_secrets,
    jobs,
    metadata,
    schema_version,
    steps,
)


def _migrate_1(conn: Connection) -> None:
    """Version 1: jobs (without `owner`), steps, events, secrets."""
    v1 = MetaData()
    _define(v1, 1)
    v1.create_all(conn)


def _migrate_2(conn: Connection) -> None:
    """Version 2: `jobs.owner`, so a second process does not run a job another live one is running."""
    conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN owner VARCHAR(200)")


def _migrate_3(conn: Connection) -> None:
    """Version 3: leases (`lease_token` fencing token, `lease_expires_at`), so a crashed host's job is
    taken over once its lease expires and a runner that lost its lease cannot write."""
    conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN lease_expires_at FLOAT")


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migrate_1, _migrate_2, _migrate_3)
"""Index i holds the migration to version i + 1. Append only; a fresh database gets the current schema
directly and is stamped with the last version."""


def migrate(conn: Connection) -> None:
    """Bring the database in `conn`'s transaction to the current schema."""
    metadata.create_all(conn, tables=[schema_version])
    current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
    if current == 0 and not conn.dialect.has_table(conn, "jobs"):
        metadata.create_all(conn, tables=[jobs, steps, events, job_secrets])  # fresh: current schema at once
        conn.execute(insert(schema_version).values(version=len(MIGRATIONS)))
        return
    for version in range(current, len(MIGRATIONS)):
        MIGRATIONS[version](conn)
        conn.execute(insert(schema_version).values(version=version + 1))


def current_version(conn: Connection) -> int:
    return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)
