"""More of the Cortex onboarding job on the emulator: the dry-run plan against a real run's routes,
management-group and tenant scope with exclusions (accounts reconciled), every preflight failure with
its fix, cancelling a running job (its PENDING instance deleted), and a CSV bulk."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cortexkit.azure.preflight import ARM_APP_ID
from cortexkit.emulator.server import RunningEmulator, run_emulator
from cortexkit.onboarding.cortexflow.plan import plan
from cortexkit.onboarding.cortexflow.spec import CortexOptions
from cortexkit.onboarding.store import JobStore
from tests.integration.cortex_onboarding_support import (
    cli,
    control,
    emulator_fixture,
    env_for,
    guid,
    instances_named,
    only_job,
    summary,
)
from tests.trials import quick_and_full

pytestmark = pytest.mark.xdist_group("cortex-onboarding-scopes")
PREFIX = {"cortex": "", "entra": "/_azure/login", "graph": "/_azure/graph", "arm": "/_azure/arm"}
SERVER_URLS = {
    "GET /_cortex/templates/{name}",
    "GET /_azure/arm/providers/Microsoft.Resources/operationResults/{token}",
}
"""Routes of URLs the server hands out (the signed links, the what-if's Location): planned as such."""


emulator = emulator_fixture(17, status_delay=0.5, scope="function", deployment_delay=0.6, whatif_delay=0.2)


def _pattern(route: str) -> re.Pattern[str]:
    method, template = route.split(" ", 1)
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join(
        (".*" if p.endswith(":path}") else "[^/]+") if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"{re.escape(method)} {body}")


def test_a_tenant_run_sends_exactly_the_planned_calls_and_reconciles_its_accounts(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    tenant, name, skipped = guid(), f"tenant-{guid()[:8]}", guid()
    control(emulator, "azure", {"subscriptions": [{"tenant_id": tenant, "subscription_id": skipped}]})
    args = ["onboard", "azure", "--scope", "tenant", "--tenant-id", tenant, "--name", name]
    args += ["--client-id", emulator.access_key_id, "--exclude", skipped, "--poll-interval", "0.05"]
    run = cli(emulator, tmp_path, *args)
    assert run.returncode == 0, run.stderr
    record = only_job(tmp_path)
    reconcile = record.step("reconcile").output
    assert skipped not in reconcile["expected"] and len(reconcile["expected"]) >= 5
    assert (reconcile["missing"], reconcile["extra"]) == ([], [])
    assert skipped in record.step("preflight").output["subscriptions"]
    stats = httpx.get(f"{emulator.url}/_emulator/stats", timeout=10).json()["requests"]
    hit = {route for route in stats if not route.startswith("GET /_emulator")} - SERVER_URLS
    options = CortexOptions(scope="tenant", exclude=(skipped,))
    calls = {
        f"{c.method} {PREFIX[c.service]}{c.path}"
        for c in plan(tenant, name, options, None, emulator.access_key_id)
        if c.service != "local" and not c.path.startswith("<")
    }
    unplanned = {r for r in hit if not any(_pattern(r).fullmatch(c) for c in calls)}
    unsent = {c for c in calls if not any(_pattern(r).fullmatch(c) for r in hit)}
    assert (unplanned, unsent) == (set(), set())


def test_a_management_group_onboards_its_subscriptions_but_the_excluded_one(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    tenant, group, keep, drop = guid(), f"mg-{guid()[:6]}", guid(), guid()
    control(
        emulator,
        "azure",
        {
            "management_groups": [{"tenant_id": tenant, "name": group}],
            "subscriptions": [
                {"tenant_id": tenant, "subscription_id": keep, "parent": group},
                {"tenant_id": tenant, "subscription_id": drop, "parent": group},
            ],
        },
    )
    name = f"group-{guid()[:8]}"
    args = ["onboard", "azure", "--scope", "management-group", "--management-group-id", group]
    args += ["--tenant-id", tenant, "--name", name, "--client-id", emulator.access_key_id]
    args += ["--exclude", drop, "--poll-interval", "0.05"]
    run = cli(emulator, tmp_path, *args)
    assert run.returncode == 0, run.stderr
    record = only_job(tmp_path)
    assert (
        record.step("deploy").output["scope"] == f"/providers/Microsoft.Management/managementGroups/{group}"
    )
    assert sorted(record.step("preflight").output["subscriptions"]) == sorted([keep, drop])
    reconcile = record.step("reconcile").output
    assert [a["account_id"] for a in reconcile["accounts"]] == [keep]
    assert (reconcile["missing"], reconcile["extra"]) == ([], [])


def test_every_preflight_failure_is_reported_with_its_fix_and_nothing_is_made(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    control(
        emulator,
        "azure",
        {
            "permissions": [{"actions": ["*/read"], "notActions": []}],
            "deny_assignments": [{"denyAssignmentName": "Blueprint lock"}],
            "unregistered_providers": ["Microsoft.Security"],
            "conditional_access_policies": [
                {
                    "displayName": "Block ARM",
                    "conditions": {"applications": {"includeApplications": [ARM_APP_ID]}},
                }
            ],
        },
    )
    name = f"preflight-{guid()[:8]}"
    args = ["onboard", "azure", "--scope", "subscription", "--subscription-id", guid(), "--tenant-id", guid()]
    run = cli(emulator, tmp_path, *args, "--name", name, "--client-id", emulator.access_key_id)
    assert run.returncode == 1
    error = summary(run)["error"]
    for words in ("[FAIL] ARM permissions", "Blueprint lock", "Microsoft.Security", "Block ARM", "Fix:"):
        assert words in error
    checks = {c["name"]: c["ok"] for c in only_job(tmp_path).step("preflight").output["checks"]}
    assert checks == {
        "approved tenant": None,
        "Azure sign-in": True,
        "ARM permissions": False,
        "deny assignments": False,
        "resource providers": False,
        "conditional access": False,
    }
    assert instances_named(emulator, name) == []


def test_cancelling_a_running_job_deletes_the_pending_instance_it_created(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    control(emulator, "azure", {"deployment_delay": 600})
    name = f"cancel-{guid()[:8]}"
    args = ["onboard", "azure", "--scope", "subscription", "--subscription-id", guid(), "--tenant-id", guid()]
    args += ["--name", name, "--client-id", emulator.access_key_id, "--poll-interval", "0.05", "-o", "json"]
    with subprocess.Popen(
        [sys.executable, "-m", "cortexkit.cli.main", *args],
        env=env_for(emulator, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (tmp_path / "jobs.db").exists():
                store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
                try:
                    jobs = store.list_jobs()
                    if jobs and jobs[0].step("deploy").output.get("putting"):
                        break
                finally:
                    store.close()
            time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail("the job never started its deployment")
        (pending,) = instances_named(emulator, name, "PENDING")
        cancel = cli(emulator, tmp_path, "onboard", "cancel", jobs[0].id)
        assert cancel.returncode == 0 and "cancel requested" in cancel.stderr
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    job = json.loads(out)[0]
    assert job["state"] == "cancelled"
    assert f"deleted the PENDING Cortex instance {pending.instance_id}" in job["error"]
    assert instances_named(emulator, name) == []


def test_a_csv_bulk_runs_the_good_rows_and_reports_the_bad_one(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    tenant = guid()
    rows = [
        "name,tenant_id,subscription_id,scope,deploy,capabilities,tags",
        f"bulk-a-{tenant[:6]},{tenant},{guid()},subscription,manual,dspm,owner=secops",
        f"bulk-b-{tenant[:6]},{tenant},{guid()},subscription,manual,,",
        f"bulk-c-{tenant[:6]},{tenant},not-a-guid,subscription,manual,,",
        f"bulk-a-{tenant[:6]},{tenant},{guid()},subscription,manual,,",  # a name twice: one instance
    ]
    csv_file = tmp_path / "jobs.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    data_dir = tmp_path / "data"
    run = cli(emulator, data_dir, "onboard", "azure", "--from-csv", str(csv_file), "--scope", "subscription")
    assert run.returncode == 1
    assert "line 4: subscription_id" in run.stderr
    assert "line 5: name: Same name as line 2" in run.stderr
    jobs = json.loads(run.stdout)
    assert sorted(j["name"] for j in jobs) == [f"bulk-a-{tenant[:6]}", f"bulk-b-{tenant[:6]}"]
    assert {j["state"] for j in jobs} == {"waiting"}
    for job in jobs:
        assert len(instances_named(emulator, job["name"])) == 1


@quick_and_full("rows", 12, 20, ("12-rows", "20-rows"))
def test_a_bulk_under_random_faults_ends_with_one_instance_per_row(tmp_path: Path, rows: int) -> None:
    """ARM rows at 5 % random faults (lost answers included): every job done, one instance each. 12 rows
    (three rounds of the bulk's 4 workers) in `make test`, 20 under `make soak`."""
    with run_emulator(seed=23, rate_limits="off", fault_rate=0.05, status_delay=0.5) as running:
        control(running, "azure", {"deployment_delay": 0.6, "whatif_delay": 0.2})
        tenant = guid()
        lines = ["name,tenant_id,subscription_id,client_id"]
        lines += [f"faulty{i}-{tenant[:6]},{tenant},{guid()},{running.access_key_id}" for i in range(rows)]
        csv_file = tmp_path / "rows.csv"
        csv_file.write_text("\n".join(lines) + "\n")
        args = ["onboard", "azure", "--from-csv", str(csv_file), "--scope", "subscription"]
        run = cli(running, tmp_path / "data", *args, "--poll-interval", "0.05", timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        jobs = json.loads(run.stdout)
        assert [j["state"] for j in jobs] == ["done"] * rows
        for job in jobs:
            assert len(instances_named(running, job["name"])) == 1


def test_a_refused_azure_sign_in_fails_the_preflight_before_anything_is_made(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A wrong operator secret is a setup error: the preflight fails on it (with the fix) instead of
    reporting every Azure read `unknown`, creating a Cortex instance and failing at the deployment."""
    name = f"badsecret-{guid()[:8]}"
    args = ["onboard", "azure", "--scope", "subscription", "--subscription-id", guid(), "--tenant-id", guid()]
    env = env_for(emulator, tmp_path) | {"AZURE_CLIENT_SECRET": "not-the-operator-secret"}
    run = subprocess.run(
        [sys.executable, "-m", "cortexkit.cli.main", *args, "--name", name, "--client-id",
         emulator.access_key_id, "--deploy", "arm", "-o", "json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    error = summary(run)["error"]
    assert "[FAIL] Azure sign-in" in error and "AZURE_CLIENT_SECRET" in error
    assert "not-the-operator-secret" not in run.stdout + run.stderr
    checks = {c["name"]: c["ok"] for c in only_job(tmp_path).step("preflight").output["checks"]}
    assert checks["Azure sign-in"] is False
    assert instances_named(emulator, name) == []
