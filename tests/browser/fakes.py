"""Test doubles for the web layer: a job store the test writes events into, and a fake API client.

They stand in for the engine only where a test needs to control exactly what the page sees (event
ids, a job frozen mid-run); the end-to-end tests use the real engine and emulator.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cortexkit.web.settings import Backend, ConnectionReport, ProfileInfo

STEPS = ("validate", "register_app", "add_account", "check_status")


@dataclass
class FakeJob:
    id: str
    spec: dict[str, Any]
    state: str = "pending"
    steps: list[dict[str, Any]] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    secret: str | None = None
    cancel_requested: bool = False


class MemoryStore:
    def __init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.keys: dict[str, str] = {}
        self.drop_next_read = False
        self.reads_after: list[int] = []

    def create_job(self, spec: Any, secret: str | None = None, idempotency_key: str | None = None) -> str:
        with self._lock:
            if idempotency_key and idempotency_key in self.keys:
                return self.keys[idempotency_key]
            job_id = f"job{len(self.jobs) + 1:04d}"
            self.jobs[job_id] = FakeJob(job_id, dict(spec), secret=secret)
            if idempotency_key:
                self.keys[idempotency_key] = job_id
            return job_id

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        return {
            "id": job.id,
            "spec": job.spec,
            "state": job.state,
            "steps": list(job.steps),
            "created_at": job.created_at,
        }

    def list_jobs(self, state: str | None = None) -> list[dict[str, Any]]:
        return [
            j for j in (self.get_job(i) for i in self.jobs) if j and (state is None or j["state"] == state)
        ]

    def events_after(self, job_id: str | None, after_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """`drop_next_read` makes one read fail, which breaks the open SSE stream like a dropped link."""
        with self._lock:
            self.reads_after.append(after_id)
            if self.drop_next_read:
                self.drop_next_read = False
                raise ConnectionError("simulated dropped connection")
            rows = [e for e in self.events if e["id"] > after_id and job_id in (None, e["job_id"])]
        return rows[:limit]

    def request_cancel(self, job_id: str) -> None:
        self.jobs[job_id].cancel_requested = True

    def emit(self, job_id: str, type_: str, **payload: Any) -> int:
        with self._lock:
            event_id = next(self._ids)
            self.events.append(
                {"id": event_id, "job_id": job_id, "ts": time.time(), "type": type_, "payload": payload}
            )
        return event_id

    def set_step(self, job_id: str, name: str, state: str) -> None:
        job = self.jobs[job_id]
        for step in job.steps:
            if step["name"] == name:
                step["state"] = state
                step["finished_at"] = time.time() if state in ("done", "failed") else None
                break
        else:
            job.steps.append({"name": name, "state": state, "started_at": time.time()})
        self.emit(job_id, "step", step=name, state=state)


class FakeClient:
    def __init__(self, groups: list[dict[str, str]] | None = None) -> None:
        self.groups = groups if groups is not None else [{"id": "g-1", "name": "Default Account Group"}]

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        """`client.azure`, `client.account_groups` ...: the real resources, sending through `send`."""
        from cortexkit.resources import SyncResources

        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(SyncResources(self), name)  # type: ignore[arg-type]

    def send(self, spec: Any) -> Any:
        return self.request(spec.method, spec.path)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if path == "/cloud/group":
            return self.groups
        if path == "/cas/v1/features/cloud/azure":
            return {"supportedFeatures": ["Cloud Visibility Compliance and Governance", "Remediation"]}
        if path == "/cloud":
            return [
                {
                    "name": "prod-eu",
                    "accountId": "sub-1",
                    "cloudType": "azure",
                    "accountType": "account",
                    "enabled": True,
                },
                {
                    "name": "legacy",
                    "accountId": "123456789012",
                    "cloudType": "aws",
                    "accountType": "account",
                    "enabled": False,
                },
            ]
        raise AssertionError(f"unexpected call {method} {path}")


GUID = "0123abcd-0000-4000-8000-00000000000"


def fake_field_errors(data: dict[str, Any]) -> dict[str, str]:
    """A stand-in with the engine's shape: GUID fields must look like GUIDs, a name is required."""
    import re

    errors: dict[str, str] = {}
    pattern = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
    for name in ("tenant_id", "subscription_id"):
        if name == "subscription_id" and data.get("account_type") == "tenant":
            continue
        value = data.get(name)
        if not value:
            errors[name] = "Required."
        elif not pattern.match(value):
            errors[name] = "Must be a GUID like 00000000-0000-0000-0000-000000000000."
    if not data.get("name"):
        errors["name"] = "Required."
    return errors


def fake_parse_csv(text: str) -> tuple[list[dict[str, Any]], list[Any]]:
    import csv
    import io
    from types import SimpleNamespace

    reader = csv.DictReader(io.StringIO(text))
    specs, errors = [], []
    for row in reader:
        problems = fake_field_errors(row)
        if problems:
            errors.extend(
                SimpleNamespace(line=reader.line_num, field=k, message=v) for k, v in problems.items()
            )
        else:
            specs.append(row)
    return specs, errors


def make_backend(store: MemoryStore | None = None, started: list[str] | None = None) -> Backend:
    store = store if store is not None else MemoryStore()
    started_ids = started if started is not None else []
    return Backend(
        store=store,
        start_job=started_ids.append,
        client_factory=lambda profile: FakeClient(),
        field_errors=fake_field_errors,
        build_spec=dict,
        parse_csv=fake_parse_csv,
        profiles=lambda: [ProfileInfo("default", "http://127.0.0.1:1", "AKID-PUBLIC", True)],
        check_profile=lambda name: ConnectionReport(name, True, "http://127.0.0.1:1", "emulator", "tenant-1"),
        step_names=STEPS,
    )
