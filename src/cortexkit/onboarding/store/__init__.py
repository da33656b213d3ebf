"""The durable job store: SQLite (the default) for one machine, PostgreSQL for a team.

- `schema`: the tables; `migrations`: the ordered schema changes applied at open time;
- `engine`: database URLs and connection set-up; `owners`: who runs a job;
- `repository`: `JobStore`, the engine's only way to read and write jobs, steps, events and secrets.
The records it returns live in `cortexkit.onboarding.records`.
"""

from __future__ import annotations

from cortexkit.onboarding.records import Event, JobRecord, StepRecord
from cortexkit.onboarding.store.engine import default_data_dir, default_url
from cortexkit.onboarding.store.migrations import MIGRATIONS, _migrate_1
from cortexkit.onboarding.store.owners import LEASE_SECONDS, Lease, current_owner
from cortexkit.onboarding.store.repository import (
    JobBusyError,
    JobNotFoundError,
    JobStateChangedError,
    JobStore,
    LeaseLostError,
    RekeySummary,
)
from cortexkit.onboarding.store.schema import SCHEMA_VERSION, schema_version

__all__ = [
    "LEASE_SECONDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Event",
    "JobBusyError",
    "JobNotFoundError",
    "JobRecord",
    "JobStateChangedError",
    "JobStore",
    "Lease",
    "LeaseLostError",
    "RekeySummary",
    "StepRecord",
    "_migrate_1",
    "current_owner",
    "default_data_dir",
    "default_url",
    "schema_version",
]
