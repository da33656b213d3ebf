"""The CLI on the emulator's Cortex dialect: auth status and its diagnoses, the backend choice, profiles."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortexkit.cortex.credentials import CortexCredentials
from cortexkit.cortex.diagnose import diagnose
from cortexkit.emulator.server import RunningEmulator, run_emulator
from tests.integration.cli_support import cli_env, keyring_off, run_in_process


@pytest.fixture(scope="module")
def cortex() -> Iterator[RunningEmulator]:
    with run_emulator(seed=42, rate_limits="off") as running:
        yield running


@pytest.fixture
def base_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """No credentials in the environment, a private config dir and no OS keyring."""
    with keyring_off(cli_env(tmp_path / "config")) as env:
        yield env


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_in_process(args, env, stdin=stdin)


def body(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)


def test_auth_status_names_the_key_tenant_and_type(cortex: RunningEmulator, base_env: dict[str, str]) -> None:
    key = cortex.cortex_env()["CORTEXCLOUD_API_KEY"]
    done = cli({**base_env, **cortex.cortex_env()}, "auth", "status", "-o", "json")
    assert done.returncode == 0, done.stderr
    row = body(done)
    assert row["ok"] is True and row["backend"] == "cortex" and row["api_key_type"] == "advanced"
    assert row["tenant"] == "cortexkit-emulator" and row["api_url"] == cortex.url
    assert key not in done.stdout + done.stderr


def test_auth_status_tells_a_wrong_key_type_and_says_what_to_set(
    cortex: RunningEmulator, base_env: dict[str, str]
) -> None:
    env = {**base_env, **cortex.cortex_env(), "CORTEXCLOUD_API_KEY_TYPE": "standard"}
    done = cli(env, "auth", "status", "-o", "json")
    assert done.returncode == 4
    assert body(done)["problem"] == "wrong_key_type"
    assert "CORTEXCLOUD_API_KEY_TYPE=advanced" in done.stderr


def test_auth_status_on_a_bad_key_and_on_a_url_that_is_not_the_api(
    cortex: RunningEmulator, base_env: dict[str, str]
) -> None:
    env = {**base_env, **cortex.cortex_env()}
    bad = cli({**env, "CORTEXCLOUD_API_KEY": "x" * 64}, "auth", "status", "-o", "json")
    assert bad.returncode == 4 and body(bad)["problem"] == "bad_key"
    wrong = cli({**env, "CORTEXCLOUD_API_URL": f"{cortex.url}/console"}, "auth", "status", "-o", "json")
    assert wrong.returncode == 4 and body(wrong)["problem"] == "wrong_url"
    assert "Copy API URL" in wrong.stderr


def test_auth_status_names_licence_and_role(base_env: dict[str, str]) -> None:
    with run_emulator(seed=7, rate_limits="off") as running:
        env = {**base_env, **running.cortex_env()}
        httpx.post(f"{running.url}/_emulator/cortex", json={"licensed": False}).raise_for_status()
        licence = cli(env, "auth", "status", "-o", "json")
        assert licence.returncode == 4 and body(licence)["problem"] == "licence"
        httpx.post(f"{running.url}/_emulator/cortex", json={"licensed": True, "role": "none"})
        role = cli(env, "auth", "status", "-o", "json")
        assert role.returncode == 4 and body(role)["problem"] == "role"


def test_clock_skew_is_told_apart_from_a_bad_key(cortex: RunningEmulator) -> None:
    env = cortex.cortex_env()
    creds = CortexCredentials(
        env["CORTEXCLOUD_API_URL"], int(env["CORTEXCLOUD_API_KEY_ID"]), env["CORTEXCLOUD_API_KEY"]
    )
    found = diagnose(creds, wall_clock=lambda: time.time() + 900)
    assert not found.ok and found.problem == "clock_skew" and found.exit_code == 4
    assert found.skew_seconds is not None and 890 < found.skew_seconds < 910
    assert diagnose(creds).ok


def test_both_dialects_in_the_environment_is_a_usage_error_until_one_is_named(
    cortex: RunningEmulator, base_env: dict[str, str]
) -> None:
    env = {**base_env, **cortex.client_env(), **cortex.cortex_env()}
    both = cli(env, "auth", "status")
    assert both.returncode == 2 and "--backend prisma|cortex" in both.stderr
    assert cli(env, "--backend", "cortex", "auth", "status", "-o", "json").returncode == 0
    prisma = cli(env, "auth", "status", "--backend", "prisma", "-o", "json")
    assert prisma.returncode == 0 and body(prisma)["backend"] == "prisma"
    assert body(prisma)["tenant"] == "cortexkit-emulator" and body(prisma)["region"] is None
    assert cli(env, "--backend", "xdr", "auth", "status").returncode == 2


def test_prisma_auth_status_refused_key_exits_4(cortex: RunningEmulator, base_env: dict[str, str]) -> None:
    env = {**base_env, **cortex.client_env(), "PRISMA_SECRET_KEY": "wrong"}
    done = cli(env, "auth", "status", "-o", "json")
    assert done.returncode == 4 and body(done)["ok"] is False


def test_a_cortex_profile_is_added_listed_and_used(cortex: RunningEmulator, base_env: dict[str, str]) -> None:
    env = cortex.cortex_env()
    key = env["CORTEXCLOUD_API_KEY"]
    added = cli(
        base_env, "profile", "add", "cx", "--cortex", "--url", cortex.url,
        "--api-key-id", env["CORTEXCLOUD_API_KEY_ID"], "--secret-stdin", "--insecure-storage", "-o", "json",
        stdin=key + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert body(added)["backend"] == "cortex" and key not in added.stdout + added.stderr
    listed = body(cli(base_env, "profile", "list", "-o", "json"))
    assert listed[0]["access_key_id"] == f"{env['CORTEXCLOUD_API_KEY_ID']} (advanced)"
    status = cli(base_env, "--profile", "cx", "auth", "status", "-o", "json")
    assert status.returncode == 0, status.stderr
    assert body(status)["source"] == "profile 'cx'"
    # A Prisma-only command says the profile is a Cortex one instead of failing on missing fields.
    prisma_only = cli(base_env, "--profile", "cx", "policies", "list")
    assert prisma_only.returncode == 2 and "Cortex Cloud profile" in prisma_only.stderr
    # The profile names the dialect, so both sets of variables are no longer ambiguous.
    both = {**base_env, **cortex.client_env(), **env}
    assert cli(both, "--profile", "cx", "auth", "status").returncode == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--cortex", "--url", "https://api-x.example.com"], "--api-key-id"),
        (["--cortex", "--api-key-id", "3", "--access-key-id", "k", "--url", "u"], "--api-key-id"),
        (["--url", "https://api.prismacloud.io", "--api-key-id", "3"], "--cortex"),
        (
            ["--cortex", "--url", "https://api-x.example.com", "--api-key-id", "3", "--api-key-type", "x"],
            "advanced",
        ),
    ],
)
def test_bad_cortex_profile_options_are_usage_errors(
    base_env: dict[str, str], args: list[str], needle: str
) -> None:
    done = cli(base_env, "profile", "add", "cx", *args, "--secret-stdin", "--insecure-storage", stdin="k\n")
    assert done.returncode == 2 and needle in done.stderr


@pytest.fixture
def cx_env(cortex: RunningEmulator, base_env: dict[str, str]) -> dict[str, str]:
    return {**base_env, **cortex.cortex_env()}


def test_api_calls_cortex_and_paginates_the_three_styles(cx_env: dict[str, str]) -> None:
    onboard = "/public_api/v1/cloud_onboarding/get_instances"
    one = body(cli(cx_env, "api", "POST", onboard, "--data", '{"request_data":{}}', "-o", "json"))
    assert one["reply"]["DATA"] and "FILTER_COUNT" in one["reply"]
    small = '{"request_data":{"filter_data":{"paging":{"from":0,"to":2}}}}'
    instances = body(cli(cx_env, "api", "POST", onboard, "-d", small, "--paginate", "-o", "json"))
    assert len(instances) == one["reply"]["FILTER_COUNT"] > 2
    issues = body(
        cli(
            cx_env,
            "api",
            "POST",
            "/public_api/v1/issue/search",
            "-d",
            '{"request_data":{}}',
            "--paginate",
            "-o",
            "json",
        )
    )
    assert len(issues) == 300 and len({i["id"] for i in issues}) == 300
    assets = body(cli(cx_env, "api", "POST", "/public_api/v1/assets", "-d", "{}", "--paginate", "-o", "json"))
    assert len(assets) == 250
    refused = cli(cx_env, "api", "GET", "/api_keys/validate", "-H", "x-xdr-nonce: abc")
    assert refused.returncode == 2 and "managed by cortexkit" in refused.stderr


def test_cloud_instances_list_get_accounts(cx_env: dict[str, str]) -> None:
    listed = body(cli(cx_env, "cloud-instances", "list", "--cloud", "azure", "-o", "json"))
    assert listed and {r["cloud_provider"] for r in listed} == {"AZURE"}
    assert all(r["status"] != "PENDING" for r in listed)
    pending = body(cli(cx_env, "cloud-instances", "list", "--status", "pending", "-o", "json"))
    assert pending and {r["status"] for r in pending} == {"PENDING"}
    org = next(r for r in listed if r["scope"] == "ORGANIZATION")
    details = body(cli(cx_env, "cloud-instances", "get", org["instance_id"], "-o", "json"))
    assert details["id"] == org["instance_id"] and len(details["security_capabilities"]) == 8
    assert details["progress"]["state"] in ("retrieving", "connected", "needs_attention")
    caps = body(cli(cx_env, "cloud-instances", "get", org["instance_id"], "--capabilities", "-o", "json"))
    assert {c["label"] for c in caps} <= {"Connected", "Warning", "Disabled", "Error", "Retrieving"}
    accounts = body(cli(cx_env, "cloud-instances", "accounts", org["instance_id"], "-o", "json"))
    assert len(accounts) == org["accounts"]
    names = cli(
        cx_env, "cloud-instances", "list", "--cloud", "azure", "--query", "[].instance_name", "-o", "json"
    )
    assert body(names) == [r["instance_name"] for r in listed]
    # Cortex's `creation_time` is epoch milliseconds: a table shows a UTC time, JSON keeps the number.
    assert all(isinstance(r["creation_time"], int) for r in listed)
    table = cli({**cx_env, "COLUMNS": "200"}, "cloud-instances", "list", "--cloud", "azure", "-o", "table")
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d\b", table.stdout), table.stdout
    assert str(listed[0]["creation_time"]) not in table.stdout


def test_issues_list_get_update_and_the_same_list_on_prisma(
    cortex: RunningEmulator, cx_env: dict[str, str], base_env: dict[str, str]
) -> None:
    open_issues = body(cli(cx_env, "issues", "list", "--limit", "30", "-o", "json"))
    assert len(open_issues) == 30 and {r["status"] for r in open_issues} <= {"NEW", "IN_PROGRESS"}
    high = body(cli(cx_env, "issues", "list", "--severity", "high", "--status", "all", "-o", "json"))
    assert high and {r["severity"] for r in high} == {"HIGH"}
    target = open_issues[0]["id"]
    done = cli(cx_env, "issues", "update", target, "--status", "resolved", "--reason", "Fixed", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert body(done)["status"]["progress"] == "RESOLVED"
    assert body(cli(cx_env, "issues", "get", target, "-o", "json"))["status"]["progress"] == "RESOLVED"
    assert cli(cx_env, "issues", "update", target).returncode == 2
    assert cli(cx_env, "issues", "update", target, "--status", "closed").returncode == 2
    prisma = {**base_env, **cortex.client_env()}
    alerts = body(cli(prisma, "issues", "list", "--limit", "5", "-o", "json"))
    assert len(alerts) == 5 and {r["status"] for r in alerts} == {"open"}
    only = cli(prisma, "issues", "get", "x")
    assert only.returncode == 2 and "Cortex Cloud" in only.stderr and "cortexkit alerts" in only.stderr


def test_assets_audit_logs_and_accounts_on_cortex(cx_env: dict[str, str]) -> None:
    assets = body(cli(cx_env, "assets", "list", "--provider", "azure", "--limit", "40", "-o", "json"))
    assert len(assets) == 40 and {a["provider"] for a in assets} == {"AZURE"}
    one = body(cli(cx_env, "assets", "get", assets[0]["id"], "-o", "json"))
    assert one["name"] == assets[0]["name"]
    logs = body(cli(cx_env, "audit-logs", "list", "--since", "all", "--limit", "20", "-o", "json"))
    assert len(logs) == 20 and all("AUDIT_ENTITY" in entry for entry in logs)
    recent = body(cli(cx_env, "audit-logs", "list", "--since", "24h", "-o", "json"))
    everything = body(cli(cx_env, "audit-logs", "list", "--since", "all", "-o", "json"))
    cutoff = (time.time() - 86400) * 1000
    assert len(everything) == 150 and 0 < len(recent) < 150
    # A minute of slack either side: the command computed its own "now" a moment earlier.
    assert all(e["AUDIT_INSERT_TIME"] >= cutoff - 60_000 for e in recent)
    assert len(recent) >= sum(1 for e in everything if e["AUDIT_INSERT_TIME"] >= cutoff + 60_000)
    accounts = body(cli(cx_env, "accounts", "list", "--cloud-type", "azure", "-o", "json"))
    assert accounts and all(a["dialect"] == "cortex" and a["parent_id"] for a in accounts)


def test_a_refused_key_in_any_command_names_the_cortex_causes_and_auth_status(cx_env: dict[str, str]) -> None:
    done = cli({**cx_env, "CORTEXCLOUD_API_KEY_TYPE": "standard"}, "issues", "list")
    assert done.returncode == 4
    assert "CORTEXCLOUD_API_KEY_TYPE" in done.stderr and "cortexkit auth status" in done.stderr
    assert "profile test" not in done.stderr


def test_licence_and_role_refusals_name_their_fix(base_env: dict[str, str]) -> None:
    with run_emulator(seed=8, rate_limits="off") as running:
        env = {**base_env, **running.cortex_env()}
        httpx.post(f"{running.url}/_emulator/cortex", json={"licensed": False}).raise_for_status()
        licence = cli(env, "cloud-instances", "list")
        assert licence.returncode == 4 and "licence" in licence.stderr
        httpx.post(f"{running.url}/_emulator/cortex", json={"licensed": True, "role": "read_only"})
        assert cli(env, "issues", "list", "--limit", "1").returncode == 0
        role = cli(env, "issues", "update", "1", "--status", "resolved")
        assert role.returncode == 4 and "role" in role.stderr
