"""The engine as the web UI wires it (docs/internals.md): build_engine, start_job, job and event views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cortexkit.web.backend import build_engine
from cortexkit.web.views import event_view, job_view
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT, FakeApi


def test_web_backend_runs_a_job_and_renders_it(tmp_path: Path) -> None:
    api = FakeApi()

    def factory(_arg: Any = None) -> FakeApi:
        return api

    engine = build_engine(factory, f"sqlite:///{tmp_path / 'jobs.db'}")
    backend = engine.backend()
    assert list(backend.step_names) == [
        "validate",
        "features",
        "identity",
        "preflight",
        "add_account",
        "verify",
    ]
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

    view = job_view(backend.store.get_job(job_id), backend.step_names)
    assert view.state == "done" and view.subscription_id == SUB
    assert [s.state for s in view.steps] == ["done"] * 6 and all(s.duration for s in view.steps)
    assert view.components and view.components[0].status == "ok"
    events = [event_view(e) for e in backend.store.events_after(job_id, 0)]
    assert events[-1].payload == {"state": "done"}
    assert "ui-secret" not in str([e.as_json() for e in events])
    assert api.adds() == 1
