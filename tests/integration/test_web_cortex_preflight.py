"""The Cortex wizard's live preflight (`POST /api/cortex/preflight`): the job's own read-only checks run on
the form's values against the emulator's Cortex API and Azure side, each pass/fail with its fix; nothing
is created, no job starts, and the operator secret never comes back in the answer."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator, run_emulator
from cortexkit.web.security import csrf_token
from tests.integration.cortex_onboarding_support import emulator_fixture
from tests.integration.cortex_support import cortex_client
from tests.integration.cortex_web_support import cortex_web_stack, stack_fixture, web_client
from tests.integration.web_support import WebStack

pytestmark = pytest.mark.xdist_group("cortex-onboarding")

TOKEN = "t" * 43
URL = "/api/cortex/preflight"


emulator = emulator_fixture(23)
stack = stack_fixture(TOKEN)


def _form(emulator: RunningEmulator, **over: str) -> dict[str, str]:
    form = {
        "scope": "subscription",
        "tenant_id": str(uuid.uuid4()),
        "subscription_id": str(uuid.uuid4()),
        "name": f"live-{uuid.uuid4().hex[:8]}",
        "location": "eastus",
        "capability": "xsiam",
        "deploy": "arm",
        "client_id": emulator.access_key_id,
        "client_secret": emulator.secret_key,
    }
    form.update(over)
    return form


def _check(stack: WebStack, form: dict[str, str]) -> httpx.Response:
    return web_client(stack).post(URL, data=form, headers={"x-csrf-token": csrf_token(TOKEN)})


def _by_name(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in answer["checks"]}


def test_the_checks_run_on_the_form_and_nothing_is_created(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    form = _form(emulator)
    answer = _check(stack, form)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    checks = _by_name(data)
    assert data["checked"] is True and data["failed"] == 0, data
    assert {"approved tenant", "Azure sign-in", "ARM permissions", "deny assignments"} <= set(checks)
    assert {"resource providers", "conditional access"} <= set(checks)
    assert checks["Azure sign-in"]["ok"] is True and checks["ARM permissions"]["ok"] is True
    assert stack.store.list_jobs() == [], "a check starts no job"
    assert emulator.secret_key not in answer.text
    with cortex_client(emulator) as cortex:
        for status in (None, "PENDING"):
            assert not list(cortex.cloud_onboarding.instances(name=form["name"], status=status))


def test_an_unapproved_tenant_fails_with_the_admin_consent_link(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    tenant = str(uuid.uuid4())
    httpx.post(
        f"{emulator.url}/_emulator/cortex", json={"approved_tenants": {tenant: False}}, timeout=10
    ).raise_for_status()
    data = _check(stack, _form(emulator, tenant_id=tenant)).json()
    approved = _by_name(data)["approved tenant"]
    assert approved["ok"] is False and data["failed"] >= 1
    assert f"https://login.microsoftonline.com/{tenant}/adminconsent?client_id=" in approved["fix"]


def test_a_wrong_operator_secret_is_a_sign_in_failure_and_never_echoed(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    wrong = "not-the-operator-secret-" + uuid.uuid4().hex
    answer = _check(stack, _form(emulator, client_secret=wrong))
    data = answer.json()
    sign_in = _by_name(data)["Azure sign-in"]
    assert sign_in["ok"] is False and "secret" in sign_in["fix"]
    assert "ARM permissions" not in _by_name(data), "nothing more is read once Azure refused the sign-in"
    assert wrong not in answer.text


def test_without_a_secret_the_azure_checks_say_what_to_give(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    data = _check(stack, _form(emulator, client_secret="")).json()
    skipped = _by_name(data)["Azure checks"]
    assert skipped["ok"] is None and "client secret" in skipped["detail"]


def test_form_errors_come_back_as_field_errors_and_nothing_is_checked(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    answer = _check(stack, _form(emulator, tenant_id="not-a-guid"))
    assert answer.status_code == 422
    assert "tenant_id" in answer.json()["errors"]


def test_the_check_needs_the_csrf_token(emulator: RunningEmulator, stack: WebStack) -> None:
    answer = web_client(stack).post(URL, data=_form(emulator))
    assert answer.status_code == 403
    assert stack.store.list_jobs() == []


def test_an_emulator_outage_is_could_not_check_not_a_500(tmp_path: Path) -> None:
    with run_emulator(seed=24, rate_limits="off", fault_rate=0.0) as down:
        stack = cortex_web_stack(down, tmp_path, TOKEN)
        form = _form(down)
    try:
        answer = _check(stack, form)  # the emulator (Cortex and Azure) is gone
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["checked"] is False and data["checks"] == []
        assert data["message"].startswith("Could not check:")
        assert "Traceback" not in answer.text and form["client_secret"] not in answer.text
    finally:
        stack.close()


def test_a_scope_left_empty_by_include_is_said_though_no_check_failed(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    form = _form(emulator, scope="tenant", subscription_id="", include=str(uuid.uuid4()))
    answer = _check(stack, form)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["checked"] is True and data["failed"] == 0, data
    assert data["message"].startswith("No subscription is left under the scope"), data["message"]
