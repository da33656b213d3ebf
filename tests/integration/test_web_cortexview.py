"""The Cortex job page's view helpers on jobs the real store records (pure reads of the step outputs)."""

from __future__ import annotations

import uuid
from pathlib import Path

from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import StepState
from cortexkit.onboarding.store import JobStore
from cortexkit.web.cortexview import capabilities_of, capability_badge, cortex_view
from tests.integration.web_support import running_job


def cortex_job(store: JobStore) -> str:
    spec = JobSpec.model_validate(
        {
            "tenant_id": str(uuid.uuid4()),
            "subscription_id": str(uuid.uuid4()),
            "name": "cx",
            "client_id": str(uuid.uuid4()),
            "cortex": {"scope": "subscription", "deploy": "arm"},
        }
    )
    job_id = store.create_job(spec, secret="operator-secret")
    store.claim(job_id, owner="test-driver")
    return job_id


def test_every_cortex_label_has_its_badge_and_an_unknown_one_is_not_passed_as_fine() -> None:
    assert [capability_badge(x) for x in ("Connected", "Disabled", "Retrieving", "Warning", "Error")] == [
        "done",
        "skipped",
        "running",
        "warning",
        "error",
    ]
    assert capability_badge("Degraded") == capability_badge(None) == "unknown"


def test_capability_rows_keep_cortex_message_and_fall_back_to_the_name() -> None:
    (row,) = capabilities_of(
        [{"name": "PERMISSIONS", "status": 3, "label": "Error", "message": "lacks Reader"}]
    )
    assert (row.description, row.label, row.badge, row.message) == (
        "PERMISSIONS",
        "Error",
        "error",
        "lacks Reader",
    )
    assert capabilities_of(None) == capabilities_of("junk") == []


def test_a_prisma_job_has_no_cortex_view(tmp_path: Path) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        assert cortex_view(store.get_job(running_job(store))) is None  # type: ignore[arg-type]
    finally:
        store.close()


def test_the_view_reads_what_each_step_recorded(tmp_path: Path) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        job_id = cortex_job(store)
        job = store.get_job(job_id)
        assert job is not None
        empty = cortex_view(job)
        assert empty is not None and not empty.reconciled and empty.capabilities == []
        check = {"name": "deny assignments", "ok": False, "detail": "one denies", "fix": "remove it"}
        resource = {"type": "Microsoft.Insights/diagnosticSettings", "name": "audit", "state": "Succeeded"}
        capability = {"name": "AUDIT_LOGS", "description": "Audit Logs", "status": 1, "label": "Warning"}
        account = {"account_id": "s1", "name": "sub one", "status": "ACTIVE"}
        for step, output in (
            ("preflight", {"checks": [check]}),
            ("deploy", {"deployment": "d1", "resources": [resource]}),
            ("wait_cortex", {"instance_id": "i1", "state": "needs_attention", "capabilities": [capability]}),
            ("reconcile", {"instance_id": "i1", "accounts": [account], "missing": ["s2"], "extra": []}),
        ):
            store.start_step(job_id, step)
            store.finish_step(job_id, step, StepState.DONE, output)
        job = store.get_job(job_id)
        assert job is not None
        view = cortex_view(job)
        assert view is not None
        assert view.checks == [check] and (view.deployment, view.resources) == ("d1", [resource])
        assert (view.instance_id, view.instance_state) == ("i1", "needs_attention")
        assert [(c.description, c.badge, c.message) for c in view.capabilities] == [
            ("Audit Logs", "warning", "")
        ]
        assert view.reconciled and view.accounts == [account] and view.missing == ["s2"]
    finally:
        store.close()
