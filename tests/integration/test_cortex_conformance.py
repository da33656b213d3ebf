"""Conformance: every answer of the emulator's Cortex dialect validates against the schemas written from
the reference (tests/data/specs/cortex-cloud/responses.json, each field with its source), errors included.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from cortexkit.cortex.auth import Signer
from cortexkit.cortex.client import CortexClient
from cortexkit.emulator.cortex.responses import RPC
from cortexkit.emulator.server import RunningEmulator, run_emulator

from .cortex_support import cortex_client

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "specs" / "cortex-cloud" / "responses.json"
ONBOARD = "/public_api/v1/cloud_onboarding"


@functools.cache
def schemas() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    return loaded


def check(schema: dict[str, Any] | None, status: int, response: httpx.Response, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text[:200]}"
    if schema is None:
        assert not response.content.strip(), f"{what}: a body where the reference says none"
        return
    errors = sorted(Draft202012Validator(schema).iter_errors(response.json()), key=lambda e: list(e.path))
    detail = "; ".join(f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:8])
    assert not errors, f"{what} does not match the reference schema: {detail}"


def conforms(op: str, response: httpx.Response) -> None:
    entry = schemas()["operations"][op]
    check(entry["schema"], entry["status"], response, op)


@pytest.fixture(scope="module")
def cortex() -> Iterator[RunningEmulator]:
    with run_emulator(seed=42, rate_limits="off") as running:
        yield running


@pytest.fixture(scope="module")
def client(cortex: RunningEmulator) -> Iterator[CortexClient]:
    with cortex_client(cortex) as made:
        yield made


def _rpc(client: CortexClient) -> Callable[..., httpx.Response]:
    def call(path: str, data: dict[str, Any] | None = None, method: str = "POST") -> httpx.Response:
        body = {"request_data": data or {}} if method == "POST" else None
        raw = client.request_raw(method, path, json=body)
        return httpx.Response(raw.status_code, headers=dict(raw.headers), content=raw.content)

    return call


def test_every_emulated_operation_has_a_schema() -> None:
    ops = schemas()["operations"]
    paths = {op.split(" ", 1)[1] for op in ops}
    missing = [path for path, _handler, _licensed in RPC if path not in paths]
    assert not missing, f"operations without a reference schema: {missing}"


def test_onboarding_answers_conform(client: CortexClient) -> None:
    call = _rpc(client)
    conforms("GET /api_keys/validate", call("/api_keys/validate", method="GET"))
    listed = call(f"{ONBOARD}/get_instances")
    conforms(f"POST {ONBOARD}/get_instances", listed)
    pending = call(
        f"{ONBOARD}/get_instances",
        {
            "filter_data": {
                "filter": {
                    "AND": [{"SEARCH_FIELD": "STATUS", "SEARCH_TYPE": "EQ", "SEARCH_VALUE": "PENDING"}]
                }
            }
        },
    )
    conforms(f"POST {ONBOARD}/get_instances", pending)
    rows = listed.json()["reply"]["DATA"] + pending.json()["reply"]["DATA"]
    for row in rows:
        conforms(
            f"POST {ONBOARD}/get_instance_details",
            call(f"{ONBOARD}/get_instance_details", {"id": row["instance_id"]}),
        )
        conforms(
            f"POST {ONBOARD}/get_accounts",
            call(f"{ONBOARD}/get_accounts", {"instance_id": row["instance_id"]}),
        )
    tenants = call(f"{ONBOARD}/get_azure_approved_tenants")
    conforms(f"POST {ONBOARD}/get_azure_approved_tenants", tenants)
    conforms(f"POST {ONBOARD}/list_regions", call(f"{ONBOARD}/list_regions", {"cloud_provider": "AZURE"}))
    tenant_id = tenants.json()["reply"]["tenants"][0]["tenant_id"]
    body = {
        "scope": "ACCOUNT",
        "scan_mode": "MANAGED",
        "cloud_provider": "AZURE",
        "account_details": {"organization_id": tenant_id},
        "instance_name": "conformance",
        "custom_resources_tags": [{"key": "managed_by", "value": "paloaltonetworks"}],
        "collection_configuration": {"audit_logs": {"enabled": True}},
        "scope_modifications": {"regions": {"enabled": False}},
        "additional_capabilities": {"xsiam_analytics": True},
    }
    created = call(f"{ONBOARD}/create_instance_template", body)
    conforms(f"POST {ONBOARD}/create_instance_template", created)
    first = rows[0]["instance_id"]
    edited = call(f"{ONBOARD}/edit_instance", {"id": first, "instance_name": "renamed"})
    conforms(f"POST {ONBOARD}/edit_instance", edited)
    conforms(
        f"POST {ONBOARD}/enable_disable_instance",
        call(f"{ONBOARD}/enable_disable_instance", {"ids": [first], "enable": True}),
    )
    orphan = created.json()["reply"]["manual"]["ARM"].split("arm-", 1)[1][:32]
    conforms(f"POST {ONBOARD}/delete_instance", call(f"{ONBOARD}/delete_instance", {"ids": [orphan]}))
    account = call(f"{ONBOARD}/get_accounts", {"instance_id": first}).json()["reply"]["DATA"][0]["account_id"]
    conforms(
        f"POST {ONBOARD}/enable_disable_account",
        call(f"{ONBOARD}/enable_disable_account", {"ids": [account], "instance_id": first, "enable": True}),
    )


def test_issues_assets_compliance_audit_answers_conform(client: CortexClient) -> None:
    call = _rpc(client)
    issues = call("/public_api/v1/issue/search", {"search_from": 0, "search_to": 100})
    conforms("POST /public_api/v1/issue/search", issues)
    issue_id = issues.json()["reply"]["DATA"][0]["id"]
    updated = call(f"/public_api/v1/issue/{issue_id}", {"update_data": {"severity": "HIGH"}})
    conforms("POST /public_api/v1/issue/{issue_id}", updated)
    assets = call("/public_api/v1/assets", {"search_from": 0, "search_to": 100})
    conforms("POST /public_api/v1/assets", assets)
    asset_id = assets.json()["reply"]["data"][0]["xdm.asset.id"]
    conforms("GET /public_api/v1/assets/{asset_id}", call(f"/public_api/v1/assets/{asset_id}", method="GET"))
    for name in ("get_standards", "get_controls", "get_assessment_results"):
        conforms(f"POST /public_api/v1/compliance/{name}", call(f"/public_api/v1/compliance/{name}"))
    logs = call("/public_api/v1/audits/management_logs", {"search_from": 0, "search_to": 100})
    conforms("POST /public_api/v1/audits/management_logs", logs)
    conforms("POST /public_api/v1/get_tenant_info", call("/public_api/v1/get_tenant_info"))
    conforms("POST /public_api/v1/healthcheck", call("/public_api/v1/healthcheck"))


def _error(shape: str, status: int, response: httpx.Response) -> None:
    check(schemas()["errors"][shape], status, response, f"{shape} error")


def _signed_call(running: RunningEmulator) -> Callable[..., httpx.Response]:
    """A plain signed request that returns error answers instead of raising them."""
    env = running.cortex_env()

    def call(method: str, path: str, body: Any = None) -> httpx.Response:
        signer = Signer(int(env["CORTEXCLOUD_API_KEY_ID"]), env["CORTEXCLOUD_API_KEY"])
        return httpx.request(method, f"{running.url}{path}", json=body, headers=signer.headers())

    return call


def test_the_error_shapes_conform(cortex: RunningEmulator) -> None:
    call = _signed_call(cortex)
    _error("reply", 401, httpx.get(f"{cortex.url}/api_keys/validate", headers={"x-xdr-auth-id": "1"}))
    _error("reply", 422, call("POST", f"{ONBOARD}/get_instances", {"request_data": {"filter_data": "x"}}))
    unrouted = call(
        "POST", "/public_api/v1/no_such_call", {"request_data": {}}
    )  # shape 5: the gateway's text
    assert unrouted.status_code == 404 and unrouted.headers["content-type"].startswith("text/plain")
    _error("root", 400, call("POST", "/public_api/v1/rule/search", ["not", "an", "object"]))
    _error("data", 400, call("GET", "/public_api/v1/policy/not-a-uuid"))
    _error("appsec", 422, call("POST", "/public_api/appsec/v1/policies", {}))
    with run_emulator(seed=1, rate_limits="off") as other:
        httpx.post(f"{other.url}/_emulator/cortex", json={"licensed": False}).raise_for_status()
        _error("reply", 402, _signed_call(other)("POST", f"{ONBOARD}/get_instances", {"request_data": {}}))


def test_the_schemas_refuse_what_the_reference_rules_out() -> None:
    ops = schemas()["operations"]
    listing = Draft202012Validator(ops[f"POST {ONBOARD}/get_instances"]["schema"])
    row = {"instance_id": "a" * 32, "cloud_provider": "AZURE", "status": "CONNECTED", "scope": "ACCOUNT"}
    good = {
        "reply": {"DATA": [{**row, "creation_time": 1_741_268_418_000}], "FILTER_COUNT": 1, "TOTAL_COUNT": 1}
    }
    assert listing.is_valid(good)
    seconds = {"reply": {**good["reply"], "DATA": [{**row, "creation_time": 1_741_268_418}]}}
    assert not listing.is_valid(seconds)  # get_instances sends milliseconds ([GO] regression test)
    details = Draft202012Validator(ops[f"POST {ONBOARD}/get_instance_details"]["schema"])
    base = {
        "id": "b" * 32,
        "status": "ENABLED",
        "collection_configuration": "{}",
        "additional_capabilities": "{}",
    }
    assert details.is_valid({"reply": {**base, "security_capabilities": [{"name": "ADS", "status": 4}]}})
    assert not details.is_valid({"reply": {**base, "security_capabilities": [{"name": "ADS", "status": 7}]}})
    assert not details.is_valid(
        {"reply": {**base, "collection_configuration": {}, "security_capabilities": []}}
    )
    reply_error = Draft202012Validator(schemas()["errors"]["reply"])
    assert reply_error.is_valid({"reply": {"err_code": "401", "err_msg": "x", "err_extra": None}})
    assert not reply_error.is_valid({"reply": {"err_msg": "x"}})
