"""The `--dry-run` plan against what a real run sends to the emulator: the same routes, both ways round.

The plan is derived from the request builders the steps send (`resources.*_call`, `azure.graph|arm`), so
a step that gains, loses or moves a call without the plan following fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.plan import plan
from tests.integration.onboarding_support import engine, subscription_spec, tenant_spec

Make = Callable[..., RunningEmulator]
PREFIX = {"prisma": "", "entra": "/_azure/login", "graph": "/_azure/graph", "arm": "/_azure/arm"}
SESSION_UPKEEP = frozenset({"GET /auth_token/extend"})  # the client core's, not a step's


def routes_hit(running: RunningEmulator) -> set[str]:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return {route for route in stats["requests"] if route not in SESSION_UPKEEP}


def _pattern(route: str) -> re.Pattern[str]:
    method, template = route.split(" ", 1)
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join(
        (".+" if p.endswith(":path}") else "[^/]+") if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"{re.escape(method)} {body}")


def planned(spec: JobSpec) -> set[str]:
    return {
        f"{c.method} {PREFIX[c.service]}{c.path.split('?', 1)[0]}" for c in plan(spec) if c.service != "local"
    }


def assert_same_routes(hit: set[str], calls: set[str]) -> None:
    unplanned = {r for r in hit if not any(_pattern(r).fullmatch(c) for c in calls)}
    unsent = {c for c in calls if not any(_pattern(r).fullmatch(c) for r in hit)}
    assert (unplanned, unsent) == (set(), set())


@pytest.mark.parametrize("scope", ["subscription", "tenant"])
def test_existing_identity_run_sends_exactly_the_planned_calls(
    make_emulator: Make, tmp_path: Path, scope: str
) -> None:
    running = make_emulator(status_delay=1)
    store, runner = engine(running, tmp_path)
    spec = subscription_spec() if scope == "subscription" else tenant_spec()
    job = runner.run(store.create_job(spec, secret="azure-client-secret"))
    assert job.state == "done", job.error
    assert_same_routes(routes_hit(running), planned(spec))


@pytest.mark.parametrize("scope", ["subscription", "tenant"])
def test_azure_api_run_sends_exactly_the_planned_calls(
    make_emulator: Make, tmp_path: Path, scope: str
) -> None:
    running = make_emulator(status_delay=1)
    identity_state(running.emulator).propagation_delay = 0.0
    store, runner = engine(running, tmp_path)
    over = {"provisioner": "azure-api", "client_id": running.access_key_id, "service_principal_id": None}
    if scope == "subscription":
        spec = subscription_spec(features=["Remediation", "Agentless Scanning"], **over)
    else:  # Graph read roles (admin consent) and RBAC at the root management group
        spec = tenant_spec(root_sync_enabled=True, **over)
    job = runner.run(store.create_job(spec, secret=running.secret_key))
    assert job.state == "done", job.error
    assert_same_routes(routes_hit(running), planned(spec))
