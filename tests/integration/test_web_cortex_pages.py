"""On a Cortex connection the Connection, Cloud accounts and bulk CSV pages speak Cortex (the emulator's
Cortex API over loopback HTTP, the real engine and store): the connection's URL, key id and type and role
(never the key), Cortex's instances and accounts, and Cortex rows checked with the CLI's rules."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cortexkit.cortex.client import CortexClient
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.states import JobState
from cortexkit.web.security import csrf_token
from cortexkit.web.settings import ConnectionReport
from tests.integration.cortex_onboarding_support import emulator_fixture
from tests.integration.cortex_support import cortex_client
from tests.integration.cortex_web_support import (
    PROFILE,
    cortex_spec,
    cortex_web_stack,
    stack_fixture,
    web_client,
)
from tests.integration.web_support import WebStack

pytestmark = pytest.mark.xdist_group("cortex-onboarding")

TOKEN = "c" * 43
CSRF = csrf_token(TOKEN)


emulator = emulator_fixture(31)
stack = stack_fixture(TOKEN)


def test_the_connection_reports_the_cortex_url_key_id_type_and_role_never_the_key(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    env = emulator.cortex_env()
    client = web_client(stack)
    page = client.get("/")
    assert page.status_code == 200
    assert "API key" in page.text and f"key id {env['CORTEXCLOUD_API_KEY_ID']}" in page.text
    assert "Test connection" in page.text
    report = client.get("/api/connection", params={"profile": PROFILE}).json()
    assert report["ok"] is True and report["dialect"] == "cortex"
    assert report["api_url"] == env["CORTEXCLOUD_API_URL"]
    assert (report["key_id"], report["key_type"]) == (env["CORTEXCLOUD_API_KEY_ID"], "advanced")
    assert report["tenant"] and report["role"]
    for text in (page.text, str(report)):
        assert env["CORTEXCLOUD_API_KEY"] not in text


def test_a_refused_cortex_key_is_a_failed_check_with_cortex_advice(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = emulator.cortex_env()
    wrong = "wrong-cortex-key-" + uuid.uuid4().hex

    @contextlib.contextmanager
    def refused(_profile: Any = None) -> Iterator[CortexClient]:
        with CortexClient(
            api_url=env["CORTEXCLOUD_API_URL"],
            api_key_id=env["CORTEXCLOUD_API_KEY_ID"],
            api_key=wrong,
            api_key_type=env["CORTEXCLOUD_API_KEY_TYPE"],
        ) as client:
            yield client

    stack = cortex_web_stack(emulator, tmp_path, TOKEN)
    try:
        from cortexkit.web.connection import check

        stack.settings.backend.check_profile = lambda name: check(name, refused)
        answer = web_client(stack).get("/api/connection", params={"profile": PROFILE})
        report = ConnectionReport(**answer.json())
        assert not report.ok and report.dialect == "cortex"
        assert (
            "Settings > Configurations > API Keys" in report.message and "prismacloud" not in report.message
        )
        assert wrong not in answer.text
    finally:
        stack.close()


def test_cloud_accounts_lists_cortex_instances_and_their_accounts(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    with cortex_client(emulator) as cortex:
        instances = list(cortex.cloud_onboarding.instances())
        first = instances[0]
        accounts = list(cortex.cloud_onboarding.accounts(first.instance_id))
    page = web_client(stack).get("/accounts")
    assert page.status_code == 200, page.text
    assert 'id="instances-table"' in page.text
    for instance in instances:
        assert f'data-instance="{instance.instance_id}"' in page.text
    assert accounts and all(a.account_id in page.text for a in accounts)
    assert "Prisma Cloud" not in page.text


def _csv(*rows: str) -> str:
    return "name,tenant_id,subscription_id,deploy,client_id\n" + "\n".join(rows) + "\n"


def test_the_bulk_preview_checks_cortex_rows_with_the_cli_rules(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    client = web_client(stack)
    good = f"bulk-{uuid.uuid4().hex[:6]},{uuid.uuid4()},{uuid.uuid4()},arm,{emulator.access_key_id}"
    twice = good.split(",", 1)[0] + f",{uuid.uuid4()},{uuid.uuid4()},manual,"
    bad_tenant = f"bulk-x,not-a-tenant,{uuid.uuid4()},manual,"
    preview = client.post(
        "/onboard/bulk", data={"csrf_token": CSRF, "csv_text": _csv(good, twice, bad_tenant)}
    )
    assert preview.status_code == 200
    assert "1 row ready" in preview.text and "2 with problems" in preview.text
    assert "Same name as line 2" in preview.text and "tenant_id" in preview.text
    refused = client.post("/onboard/bulk/start", data={"csrf_token": CSRF, "csv_text": _csv(good, twice)})
    assert refused.status_code == 422 and stack.store.list_jobs() == []


def test_a_cortex_bulk_asks_the_secret_for_arm_rows_and_starts_cortex_jobs(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    client = web_client(stack)
    rows = [
        f"bulk-{uuid.uuid4().hex[:6]},{uuid.uuid4()},{uuid.uuid4()},arm,{emulator.access_key_id}",
        f"bulk-{uuid.uuid4().hex[:6]},{uuid.uuid4()},{uuid.uuid4()},manual,",
    ]
    text = _csv(*rows)
    preview = client.post("/onboard/bulk", data={"csrf_token": CSRF, "csv_text": text})
    assert "2 rows ready" in preview.text and "Start 2 Cortex onboarding jobs" in preview.text
    assert "operator app" in preview.text
    no_secret = client.post(
        "/onboard/bulk/start", data={"csrf_token": CSRF, "csv_text": text, "batch_key": "cx1"}
    )
    assert no_secret.status_code == 422 and stack.store.list_jobs() == []
    started = client.post(
        "/onboard/bulk/start",
        data={"csrf_token": CSRF, "csv_text": text, "batch_key": "cx2", "client_secret": emulator.secret_key},
    )
    assert started.status_code == 303 and started.headers["location"] == "/batches/cx2"
    jobs = stack.store.list_jobs()
    assert len(jobs) == 2 and all(j.spec.kind == "cortex" for j in jobs)
    assert {j.spec.cortex.deploy for j in jobs if j.spec.cortex} == {"arm", "manual"}
    assert all(j.spec.profile == PROFILE for j in jobs)


def test_edit_and_start_again_opens_the_cortex_form_filled_from_the_job(
    emulator: RunningEmulator, stack: WebStack
) -> None:
    spec = cortex_spec(emulator, f"again-{uuid.uuid4().hex[:6]}", deploy="terraform", location="westeurope")
    job_id = stack.store.create_job(spec, secret=emulator.secret_key)
    lease = stack.store.claim(job_id, owner="test-driver")
    stack.store.set_state(job_id, JobState.FAILED, "Cortex refused the template: the name is taken")
    stack.store.release(lease)
    client = web_client(stack)

    opened = client.get("/onboard", params={"from": job_id})
    assert (opened.status_code, opened.headers["location"]) == (303, f"/onboard/cortex?from={job_id}")
    form = client.get(opened.headers["location"])
    assert form.status_code == 200
    for value in (spec.tenant_id, spec.subscription_id, spec.name, spec.client_id, "westeurope"):
        assert f'value="{value}"' in form.text, value
    assert '<option value="terraform" selected>' in form.text
    assert "This job stopped: " in form.text and "the name is taken" in form.text
    assert emulator.secret_key not in form.text
    assert client.get("/onboard/cortex", params={"from": "no-such-job"}).status_code == 404
