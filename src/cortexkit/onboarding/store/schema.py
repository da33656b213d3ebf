"""The tables of the job store, as of any schema version (migrations build the old ones)."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text

SCHEMA_VERSION = 3


def define(md: MetaData, version: int) -> tuple[Table, Table, Table, Table]:
    """The tables as of schema `version`: migrations build old versions, the code uses the current one."""
    owner = [Column("owner", String(200))] if version >= 2 else []  # "host:pid#runner" running the job
    lease = (
        [
            # Bumped by every claim: the fencing token a runner's writes must still match.
            Column("lease_token", Integer, nullable=False, server_default="0"),
            # Until when the owner's claim holds; its heartbeat pushes it on while it works.
            Column("lease_expires_at", Float),
        ]
        if version >= 3
        else []
    )
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
        *lease,
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
jobs, steps, events, job_secrets = define(metadata, SCHEMA_VERSION)
