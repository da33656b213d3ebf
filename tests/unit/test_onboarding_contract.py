"""The engine as the web UI wires it (docs/internals.md): build_engine, start_job, typed records out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cortexkit.onboarding.model import STEPS
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.web.backend import build_engine
from cortexkit.web.views import event_json
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT, FakeApi


def test_web_backend_runs_a_job_and_renders_it(tmp_path: Path) -> None:
    api = FakeApi()

    def factory(_arg: Any = None) -> FakeApi:
        return api

    engine = build_engine(factory, f"sqlite:///{tmp_path / 'jobs.db'}")
    backend = engine.backend()
    form = {
        "name": "ui",
        "subscription_id": SUB,
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "service_principal_id": SP,
    }
    assert backend.field_errors(form) == {}
    job_id = backend.store.create_job(backend.build_spec(form), "ui-secret", "form-token")
    assert backend.store.create_job(backend.build_spec(form), "ui-secret", "form-token") == job_id
    backend.start_job(job_id)
    engine.runner.join(job_id, 30)

    job = backend.store.get_job(job_id)
    assert job is not None and job.state is JobState.DONE and job.spec.subscription_id == SUB
    assert [s.name for s in job.steps] == list(STEPS)
    assert all(s.state is StepState.DONE and s.elapsed is not None for s in job.steps)
    assert job.account_status and job.account_status[0].status == "ok"
    data = job.as_dict()
    assert (data["id"], data["name"], data["state"]) == (job_id, "ui", "done")
    assert data["ok"] and data["finished"] and not data["can_resume"] and not data["can_cancel"]
    events = backend.store.events_after(job_id, 0)
    assert events[-1].payload == {"state": "done"}
    assert "ui-secret" not in str([event_json(e) for e in events]) + str(data)
    assert api.adds() == 1
