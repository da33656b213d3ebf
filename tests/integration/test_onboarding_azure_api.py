"""The `azure-api` provisioner against the emulator's Entra, Graph and ARM, for subscriptions and tenants."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.permissions import GRAPH_READ_ROLES, READER, app_display_name
from tests.integration.onboarding_support import (
    azure_accounts,
    crashed_azure_api_job,
    engine,
    subscription_spec,
    tenant_spec,
)

Make = Callable[..., RunningEmulator]


def test_subscription_creates_identity_waits_for_replication_and_onboards(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=30)
    azure = identity_state(running.emulator)
    azure.propagation_delay = 20.0
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec(
        provisioner="azure-api", client_id=running.access_key_id, service_principal_id=None
    )
    job = runner.run(store.create_job(spec, secret=running.secret_key))
    assert job.state == "done", job.error

    identity = job.step("identity").output
    app = next(iter(azure.applications.values()))
    sp = next(s for s in azure.service_principals.values() if s["appId"] == app["appId"])
    assert app["displayName"] == app_display_name(job.id)
    assert (identity["client_id"], identity["service_principal_id"]) == (app["appId"], sp["id"])
    assignments = [a["properties"] for a in azure.role_assignments.values()]
    assert len(assignments) == 3 and all(a["principalId"] == sp["id"] for a in assignments)
    assert all(a["scope"] == f"/subscriptions/{spec.subscription_id}" for a in assignments)
    assert any(a["roleDefinitionId"].endswith(READER) for a in assignments)
    waits = [
        e
        for e in store.events_after(job.id, 0)
        if e.type == "log" and "not replicated" in e.payload["message"]
    ]
    assert waits, "the PrincipalNotFound window was met and waited out"

    key = store.get_secret(job.id, "key")
    assert key is not None and key.reveal() in azure.passwords[app["appId"]]
    assert key.reveal() not in str([e.payload for e in store.events_after(job.id, 0)])
    assert len(azure_accounts(running, spec.prisma_account_id)) == 1


def test_rerun_of_identity_step_reuses_what_it_created(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    azure = identity_state(running.emulator)
    # crashed after the identity step's work, before it was recorded
    _store, runner, job_id = crashed_azure_api_job(running, tmp_path, store_url, "identity:done")
    job = runner.run(job_id)
    assert job.state == "done", job.error
    assert len(azure.applications) == 1 and len(azure.service_principals) == 2  # + Microsoft Graph's
    assert len(azure.role_assignments) == 3
    assert len(next(iter(azure.applications.values()))["passwordCredentials"]) == 1


def test_tenant_with_root_sync_assigns_at_the_root_management_group(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator(status_delay=1)
    azure = identity_state(running.emulator)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = tenant_spec(provisioner="azure-api", client_id=running.access_key_id, root_sync_enabled=True)
    job = runner.run(store.create_job(spec, secret=running.secret_key))
    assert job.state == "done", job.error
    scopes = {a["properties"]["scope"] for a in azure.role_assignments.values()}
    assert scopes == {f"/providers/Microsoft.Management/managementGroups/{spec.tenant_id}"}
    app = next(iter(azure.applications.values()))
    assert app["requiredResourceAccess"], "a tenant app asks for the Graph read roles"
    sp_id = job.step("identity").output["service_principal_id"]
    assert job.step("identity").output["graph_roles"] == "granted"
    assert {g["appRoleId"] for g in azure.app_role_assignments[sp_id]} == set(GRAPH_READ_ROLES)


def test_entra_only_tenant_gets_no_rbac(make_emulator: Make, tmp_path: Path, store_url: str) -> None:
    running = make_emulator(status_delay=1)
    azure = identity_state(running.emulator)
    store, runner = engine(running, tmp_path, url=store_url)
    spec = tenant_spec(provisioner="azure-api", client_id=running.access_key_id)
    job = runner.run(store.create_job(spec, secret=running.secret_key))
    assert job.state == "done", job.error
    assert azure.role_assignments == {}
    assert [sp["displayName"] for sp in azure.service_principals.values()] == [
        "Microsoft Graph",
        app_display_name(job.id),
    ]


def test_wrong_operator_secret_fails_with_a_clear_reason(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    running = make_emulator()
    store, runner = engine(running, tmp_path, url=store_url)
    spec = subscription_spec(
        provisioner="azure-api", client_id=running.access_key_id, service_principal_id=None
    )
    job = runner.run(store.create_job(spec, secret="wrong"))
    assert job.state == "failed" and "invalid_client" in (job.error or "")
    assert "wrong" not in (job.error or "")


def test_emulated_arm_refuses_a_graph_token(make_emulator: Make) -> None:
    running = make_emulator()
    form = {
        "grant_type": "client_credentials",
        "client_id": running.access_key_id,
        "client_secret": running.secret_key,
        "scope": f"{running.url}/_azure/graph/.default",
    }
    token = httpx.post(f"{running.url}/_azure/login/t/oauth2/v2.0/token", data=form).json()["access_token"]
    answer = httpx.put(
        f"{running.url}/_azure/arm/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x",
        params={"api-version": "2022-04-01"},
        headers={"Authorization": f"Bearer {token}"},
        json={"properties": {}},
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "InvalidAuthenticationToken"


@pytest.mark.parametrize("grant", ["password", "client_credentials"])
def test_token_endpoint_checks_grant_and_secret(make_emulator: Make, grant: str) -> None:
    running = make_emulator()
    form = {
        "grant_type": grant,
        "client_id": running.access_key_id,
        "client_secret": "nope",
        "scope": "x/.default",
    }
    answer = httpx.post(f"{running.url}/_azure/login/t/oauth2/v2.0/token", data=form)
    expected = "unsupported_grant_type" if grant == "password" else "invalid_client"
    assert answer.json()["error"] == expected


TOKEN_ROUTE = "POST /_azure/login/{tenant}/oauth2/v2.0/token"


def azure_sign_ins(running: RunningEmulator) -> int:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return sum(n for status, n in stats["requests"].get(TOKEN_ROUTE, {}).items() if status == "200")


def test_jobs_of_one_process_share_the_operators_azure_sign_in(
    make_emulator: Make, tmp_path: Path, store_url: str
) -> None:
    """Three azure-api jobs of one operator app sign in once per audience (Graph, ARM), not once a job:
    they borrow the process's session of that identity, as the Cortex steps do."""
    running = make_emulator(status_delay=1)
    identity_state(running.emulator).propagation_delay = 0.0
    store, runner = engine(running, tmp_path, url=store_url)
    tenant = str(uuid.uuid4())
    for _ in range(3):
        spec = subscription_spec(
            provisioner="azure-api",
            tenant_id=tenant,
            client_id=running.access_key_id,
            service_principal_id=None,
        )
        job = runner.run(store.create_job(spec, secret=running.secret_key))
        assert job.state == "done", job.error
        assert len(azure_accounts(running, spec.prisma_account_id)) == 1
    assert azure_sign_ins(running) == 2  # Graph and ARM; 6 when each job signed in
