"""The Cortex dialect end to end over loopback HTTP: client -> emulator, quirks and refusals included."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from cortexkit import errors
from cortexkit.cortex.auth import Signer
from cortexkit.cortex.errors import LicenseError, ValidationFailedError, field_errors
from cortexkit.cortex.paging import all_of, where
from cortexkit.cortex.progress import progress
from cortexkit.cortex.resources.cloud_onboarding import tracking_guid
from cortexkit.emulator.server import RunningEmulator, run_emulator
from cortexkit.retry import RetryConfig

from .cortex_support import RecordingTransport, async_cortex_client, cortex_client

ONBOARD = "/public_api/v1/cloud_onboarding"


@pytest.fixture(scope="module")
def cortex() -> Iterator[RunningEmulator]:
    with run_emulator(seed=42, rate_limits="off") as running:
        yield running


def _signed(running: RunningEmulator, **kw: object) -> dict[str, str]:
    env = running.cortex_env()
    return Signer(int(env["CORTEXCLOUD_API_KEY_ID"]), env["CORTEXCLOUD_API_KEY"], **kw).headers()  # type: ignore[arg-type]


def test_validate_key_and_instances(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        assert client.system.validate_key() is True
        instances = list(client.cloud_onboarding.instances())
        assert instances and all(i.status != "PENDING" for i in instances)
        assert all(isinstance(i.collection_configuration, dict) for i in instances)
        assert all(i.created_s is not None and i.created_s > 1e9 for i in instances)
        azure = list(client.cloud_onboarding.instances(cloud_provider="azure"))
        assert azure and {i.cloud_provider for i in azure} == {"AZURE"}


def test_get_instances_quirks_on_the_wire(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        body = client.request("POST", f"{ONBOARD}/get_instances", json={"request_data": {}})
        row = body["reply"]["DATA"][0]
        assert isinstance(row["custom_resources_tags"], str) and json.loads(row["collection_configuration"])
        assert len(str(row["creation_time"])) == 13
        statuses = {r["status"] for r in body["reply"]["DATA"]}
        assert "PENDING" not in statuses
        pending = client.request(
            "POST",
            f"{ONBOARD}/get_instances",
            json={"request_data": {"filter_data": {"filter": all_of(where("STATUS", "EQ", "PENDING"))}}},
        )["reply"]["DATA"]
        assert pending and pending[0]["status"] == "PENDING"
        found = client.cloud_onboarding.find_instance(pending[0]["instance_id"])
        assert found is not None and found.status == "PENDING"


def test_instance_details_accepts_id_and_instance_id(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        first = next(iter(client.cloud_onboarding.instances()))
        a = client.request(
            "POST", f"{ONBOARD}/get_instance_details", json={"request_data": {"id": first.instance_id}}
        )
        b = client.request(
            "POST",
            f"{ONBOARD}/get_instance_details/",
            json={"request_data": {"instance_id": first.instance_id}},
        )
        assert a == b and isinstance(a["reply"]["collection_configuration"], str)
        details = client.cloud_onboarding.instance(first.instance_id)
        assert details.id == first.instance_id and len(details.security_capabilities) == 8


def test_accounts_enable_disable(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        org = next(i for i in client.cloud_onboarding.instances() if i.scope == "ORGANIZATION")
        accounts = list(client.cloud_onboarding.accounts(org.instance_id))
        assert len(accounts) == org.accounts
        target = accounts[0].account_id
        client.cloud_onboarding.disable_accounts(org.instance_id, [target])
        disabled = list(client.cloud_onboarding.accounts(org.instance_id, status="DISABLED"))
        assert target in {a.account_id for a in disabled}
        client.cloud_onboarding.enable_accounts(org.instance_id, [target])
        client.cloud_onboarding.disable_instances([org.instance_id])
        assert client.cloud_onboarding.instance(org.instance_id).status == "DISABLED"
        client.cloud_onboarding.enable_instances([org.instance_id])


def test_filter_data_paging_over_http(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        org = next(i for i in client.cloud_onboarding.instances() if i.scope == "ORGANIZATION")
        whole = [a.account_id for a in client.cloud_onboarding.accounts(org.instance_id)]
        before = client.stats.requests
        paged = [a.account_id for a in client.cloud_onboarding.accounts(org.instance_id, page_size=5)]
        assert paged == whole and client.stats.requests - before == -(-len(whole) // 5)


def test_issues_search_get_update(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        issues = list(client.issues.search())
        assert len(issues) == 300
        high = list(client.issues.search(severity=["high"], page_size=7))
        assert high and {i.severity for i in high} == {"HIGH"}
        client.issues.update(
            issues[3].id, status="RESOLVED", resolution_reason="Fixed", resolution_comment="done"
        )
        again = client.issues.get(str(issues[3].id))
        assert again.progress == "RESOLVED"
        with pytest.raises(errors.NotFoundError):
            client.issues.get("1")


def test_assets_compliance_audit(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        azure = list(client.assets.list(filters=all_of(where("xdm.asset.provider", "EQ", "AZURE"))))
        classic = list(
            client.assets.list(filters=[{"field": "xdm.asset.provider", "operator": "EQ", "value": "AZURE"}])
        )
        assert azure and [a.field("id") for a in azure] == [a.field("id") for a in classic]
        one = client.assets.get(azure[0].field("id"))
        assert one.field("name") == azure[0].field("name")
        assert len(list(client.compliance.standards())) == 6
        assert len(list(client.compliance.controls())) == 30
        assert all(r.model_extra for r in client.compliance.assessment_results())
        logs = list(client.audit_logs.list())
        assert len(logs) == 150 and logs[0].time_s is not None


def test_regions_and_approved_tenants(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        assert any(r.value == "eastus" for r in client.cloud_onboarding.regions("AZURE"))
        tenants = client.cloud_onboarding.approved_tenants()
        assert {t.is_still_approved for t in tenants} == {True, False}


def test_replayed_nonce_is_refused(cortex: RunningEmulator) -> None:
    headers = _signed(cortex)
    url = f"{cortex.url}/api_keys/validate"
    assert httpx.get(url, headers=headers).status_code == 200
    again = httpx.get(url, headers=headers)
    assert again.status_code == 401
    assert again.json() == {
        "reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": None}
    }
    stats = httpx.get(f"{cortex.url}/_emulator/cortex").json()
    assert stats["auth_failures"].get("replayed_nonce", 0) >= 1


def test_stale_timestamp_is_refused(cortex: RunningEmulator) -> None:
    with cortex_client(cortex, wall_clock=lambda: time.time() + 600) as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            client.system.validate_key()
        assert "clock" in caught.value.message
    with cortex_client(cortex, wall_clock=lambda: time.time() - 200) as client:
        assert client.system.validate_key() is True


def test_skew_window_is_configurable() -> None:
    with (
        run_emulator(rate_limits="off", cortex_skew=30) as running,
        cortex_client(running, wall_clock=lambda: time.time() + 60) as client,
        pytest.raises(errors.AuthenticationError),
    ):
        client.system.validate_key()


def test_wrong_key_type_both_ways(cortex: RunningEmulator) -> None:
    with cortex_client(cortex, api_key_type="standard") as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            client.system.validate_key()
        assert caught.value.body.message == "Public API request unauthorized"
    with run_emulator(rate_limits="off", cortex_api_key_type="standard") as running:
        with (
            cortex_client(running, api_key_type="advanced") as client,
            pytest.raises(errors.AuthenticationError),
        ):
            client.system.validate_key()
        with cortex_client(running) as client:
            assert client.system.validate_key() is True


def test_tenant_limit_429_in_reply_shape_without_headers() -> None:
    with run_emulator(rate_limits="documented") as running:
        from concurrent.futures import ThreadPoolExecutor

        with httpx.Client() as raw, ThreadPoolExecutor(8) as pool:
            responses = list(
                pool.map(
                    lambda _: raw.get(f"{running.url}/api_keys/validate", headers=_signed(running)), range(40)
                )
            )
        limited = [r for r in responses if r.status_code == 429]
        assert limited, "40 concurrent calls must exceed 10 requests/s"
        assert limited[0].json()["reply"]["err_code"] == 429
        assert not any(h.lower().startswith("x-ratelimit") for r in responses for h in r.headers)
        time.sleep(1.1)  # the tenant's bucket refills before the paced client starts
        with cortex_client(running, rate_limit=True) as client:
            for _ in range(25):
                client.system.validate_key()
            assert client.stats.throttled == 0


def test_error_shapes_and_classes(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        with pytest.raises(ValidationFailedError) as caught:
            client.request("POST", f"{ONBOARD}/get_accounts", json={"request_data": {}})
        assert [f.location for f in field_errors(caught.value)] == ["body.request_data.instance_id"]
        with pytest.raises(errors.NotFoundError):
            client.cloud_onboarding.instance("0" * 32)
        with pytest.raises(errors.NotFoundError) as plain:
            client.request("POST", "/public_api/v1/no_such_api/call", json={"request_data": {}})
        assert plain.value.shape == "other"  # type: ignore[attr-defined]
        with pytest.raises(errors.BadRequestError) as root:
            client.request("POST", "/public_api/v1/rule/search", json={"search_from": "x"})
        assert root.value.shape == "root"  # type: ignore[attr-defined]
        with pytest.raises(errors.BadRequestError) as data:
            client.request("GET", "/public_api/v1/policy/not-a-uuid")
        assert data.value.shape == "data" and "valid UUID" in str(field_errors(data.value)[0])  # type: ignore[attr-defined]
        with pytest.raises(ValidationFailedError) as appsec:
            client.request("POST", "/public_api/appsec/v1/policies", json={"name": "p"})
        assert appsec.value.shape == "appsec"  # type: ignore[attr-defined]


def test_licence_and_role(cortex: RunningEmulator) -> None:
    control = f"{cortex.url}/_emulator/cortex"
    try:
        httpx.post(control, json={"licensed": False})
        with cortex_client(cortex) as client:
            with pytest.raises(LicenseError):
                list(client.cloud_onboarding.instances())
            assert client.system.validate_key() is True
        httpx.post(control, json={"licensed": True, "role": "read_only"})
        with cortex_client(cortex) as client:
            list(client.issues.search(max_items=1))
            with pytest.raises(errors.PermissionDeniedError):
                client.issues.update("100000", status="RESOLVED")
    finally:
        httpx.post(control, json={"licensed": True, "role": "admin"})


def test_request_id_kept_and_signature_fresh_across_retries(cortex: RunningEmulator) -> None:
    faults = f"{cortex.url}/_emulator/faults"
    httpx.post(faults, json={"route": f"POST {ONBOARD}/get_instances", "statuses": [503, 503], "count": 2})
    transport = RecordingTransport()
    try:
        with cortex_client(cortex, transport=transport, retry=RetryConfig(base=0.01, cap=0.02)) as client:
            assert list(client.cloud_onboarding.instances())
    finally:
        httpx.delete(faults)
    sent = transport.sent
    assert len(sent) == 3
    assert len({h["x-request-id"] for h in sent}) == 1 and sent[0]["x-request-id"].startswith("req_")
    assert len({h["x-xdr-nonce"] for h in sent}) == 3


def test_creating_call_is_never_resent_blindly(cortex: RunningEmulator) -> None:
    faults = f"{cortex.url}/_emulator/faults"
    route = f"POST {ONBOARD}/create_instance_template"
    httpx.post(faults, json={"route": route, "statuses": [503], "count": 1, "when": "after"})
    transport = RecordingTransport()
    try:
        with cortex_client(cortex, transport=transport, retry=RetryConfig(base=0.01, cap=0.02)) as client:
            tenant_id = next(
                t.tenant_id for t in client.cloud_onboarding.approved_tenants() if t.is_still_approved
            )
            body = _template_body(tenant_id, "orphan-check")
            with pytest.raises(errors.OutcomeUnknownError):
                client.cloud_onboarding.create_instance_template(body, reconcile=False)
            created = [
                i
                for i in client.cloud_onboarding.instances(status="PENDING")
                if i.instance_name == "orphan-check"
            ]
            assert len(created) == 1  # the server acted once; the client did not send it again
    finally:
        httpx.delete(faults)
    creates = [u for u in transport.urls if u.endswith("/create_instance_template")]
    assert len(creates) == 1
    # A 429 on a creating call is retried (rejected before it was processed).
    httpx.post(faults, json={"route": route, "statuses": [429], "count": 1})
    try:
        with cortex_client(cortex, retry=RetryConfig(base=0.01, cap=0.02)) as client:
            links = client.cloud_onboarding.create_instance_template(_template_body(tenant_id, "after-429"))
            assert set(links.manual or {}) == {"ARM", "TF"}
    finally:
        httpx.delete(faults)


def _template_body(tenant_id: str, name: str) -> dict[str, object]:
    return {
        "scope": "ACCOUNT",
        "scan_mode": "MANAGED",
        "cloud_provider": "AZURE",
        "account_details": {"organization_id": tenant_id},
        "instance_name": name,
        "custom_resources_tags": [{"key": "managed_by", "value": "paloaltonetworks"}],
        "collection_configuration": {"audit_logs": {"enabled": True}},
        "scope_modifications": {"regions": {"enabled": False}},
        "additional_capabilities": {"xsiam_analytics": True},
    }


def test_template_links_expire_after_seven_days_and_capabilities_settle() -> None:
    with run_emulator(rate_limits="off", status_delay=60) as running, cortex_client(running) as client:

        def advance(seconds: float) -> None:
            httpx.post(f"{running.url}/_emulator/clock", json={"advance": seconds}).raise_for_status()

        fresh = next(i for i in client.cloud_onboarding.instances() if i.instance_name == "azure-new-sub")
        assert progress(client.cloud_onboarding.instance(fresh.instance_id)).state == "retrieving"
        tenant_id = next(
            t.tenant_id for t in client.cloud_onboarding.approved_tenants() if t.is_still_approved
        )
        links = client.cloud_onboarding.create_instance_template(_template_body(tenant_id, "expiring"))
        arm = (links.manual or {})["ARM"]
        from cortexkit.cortex.resources.cloud_onboarding import tracking_guid

        guid = tracking_guid(links)
        assert guid and client.cloud_onboarding.find_instance(guid) is not None
        assert httpx.get(arm).status_code == 200
        advance(61)
        settled = client.cloud_onboarding.instance(fresh.instance_id)
        assert progress(settled).state == "connected"
        assert not settled.retrieving and {c.label for c in settled.security_capabilities} <= {
            "Connected",
            "Disabled",
        }
        advance(7 * 86400)
        expired = httpx.get(arm)
        assert expired.status_code == 400 and b"ExpiredToken" in expired.content
        # Signed requests keep working: the skew window compares with the real clock, not the advanced one.
        assert client.system.validate_key() is True


def test_injected_fault_on_a_cortex_path_uses_the_reply_shape(cortex: RunningEmulator) -> None:
    faults = f"{cortex.url}/_emulator/faults"
    httpx.post(faults, json={"route": "GET /api_keys/validate", "statuses": [500], "count": 1})
    try:
        r = httpx.get(f"{cortex.url}/api_keys/validate", headers=_signed(cortex))
    finally:
        httpx.delete(faults)
    assert r.status_code == 500 and r.json()["reply"]["err_code"] == "500"


def test_async_client(cortex: RunningEmulator) -> None:
    async def main() -> tuple[int, bool, int]:
        async with async_cortex_client(cortex) as client:
            count = 0
            async for _ in client.issues.search(page_size=50):
                count += 1
            ok = await client.system.validate_key()
            first = await client.cloud_onboarding.find_instance(
                (await client.request("POST", f"{ONBOARD}/get_instances", json={"request_data": {}}))[
                    "reply"
                ]["DATA"][0]["instance_id"]
            )
            return count, ok, 1 if first else 0

    assert asyncio.run(main()) == (300, True, 1)


def test_standard_key_header_is_the_key_itself() -> None:
    with run_emulator(
        rate_limits="off", cortex_api_key_type="standard", cortex_api_key_id=77, cortex_api_key="std-key-123"
    ) as running:
        r = httpx.get(
            f"{running.url}/api_keys/validate",
            headers={"x-xdr-auth-id": "77", "Authorization": "std-key-123"},
        )
        assert r.status_code == 200 and r.json() == "true"
        bad = httpx.get(
            f"{running.url}/api_keys/validate",
            headers={"x-xdr-auth-id": "77", "Authorization": hashlib.sha256(b"x").hexdigest()},
        )
        assert bad.status_code == 401


def test_a_lost_create_is_reconciled_by_a_lookup_not_a_second_instance(cortex: RunningEmulator) -> None:
    faults = f"{cortex.url}/_emulator/faults"
    route = f"POST {ONBOARD}/create_instance_template"
    transport = RecordingTransport()
    with cortex_client(cortex, transport=transport, retry=RetryConfig(base=0.01, cap=0.02)) as client:
        tenant_id = next(
            t.tenant_id for t in client.cloud_onboarding.approved_tenants() if t.is_still_approved
        )
        httpx.post(faults, json={"route": route, "statuses": [503], "count": 1, "when": "after"})
        try:
            links = client.cloud_onboarding.create_instance_template(_template_body(tenant_id, "lost-answer"))
        finally:
            httpx.delete(faults)
        made = [
            i for i in client.cloud_onboarding.instances(status="PENDING") if i.instance_name == "lost-answer"
        ]
        assert len(made) == 1 and tracking_guid(links) == made[0].instance_id
        assert [
            u.rsplit("/", 1)[1]
            for u in transport.urls
            if "/create_instance_template" in u or "/edit_instance" in u
        ] == [
            "create_instance_template",
            "edit_instance",
        ]
        # A second lost create of the same name: two candidates, so it refuses to pick one.
        httpx.post(faults, json={"route": route, "statuses": [503], "count": 1, "when": "after"})
        try:
            with pytest.raises(errors.OutcomeUnknownError, match="2 PENDING instances named 'lost-answer'"):
                client.cloud_onboarding.create_instance_template(_template_body(tenant_id, "lost-answer"))
        finally:
            httpx.delete(faults)
        # Rejected before it ran (a 503 "before"): nothing appeared, so the error says to send it again.
        httpx.post(faults, json={"route": route, "statuses": [503, 503, 503, 503, 503], "when": "before"})
        try:
            with pytest.raises(errors.OutcomeUnknownError, match="did not take effect: send it again"):
                client.cloud_onboarding.create_instance_template(_template_body(tenant_id, "never-made"))
        finally:
            httpx.delete(faults)


def test_async_create_reconciles_too(cortex: RunningEmulator) -> None:
    faults = f"{cortex.url}/_emulator/faults"
    route = f"POST {ONBOARD}/create_instance_template"

    async def scenario() -> tuple[str | None, list[str]]:
        async with async_cortex_client(cortex, retry=RetryConfig(base=0.01, cap=0.02)) as client:
            tenants = await client.cloud_onboarding.approved_tenants()
            tenant_id = next(t.tenant_id for t in tenants if t.is_still_approved)
            httpx.post(faults, json={"route": route, "statuses": [503], "count": 1, "when": "after"})
            try:
                links = await client.cloud_onboarding.create_instance_template(
                    _template_body(tenant_id, "async-lost")
                )
            finally:
                httpx.delete(faults)
            ids = [
                i.instance_id
                async for i in client.cloud_onboarding.instances(status="PENDING")
                if i.instance_name == "async-lost"
            ]
            return tracking_guid(links), ids

    guid, ids = asyncio.run(scenario())
    assert ids == [guid]


def test_delete_instances_removes_an_orphan_and_refuses_unknown_ids_whole(cortex: RunningEmulator) -> None:
    with cortex_client(cortex) as client:
        tenant_id = next(
            t.tenant_id for t in client.cloud_onboarding.approved_tenants() if t.is_still_approved
        )
        links = client.cloud_onboarding.create_instance_template(_template_body(tenant_id, "to-delete"))
        orphan = tracking_guid(links)
        assert orphan and client.cloud_onboarding.find_instance(orphan) is not None
        with pytest.raises(errors.NotFoundError):
            client.cloud_onboarding.delete_instances([orphan, "f" * 32])
        assert client.cloud_onboarding.find_instance(orphan) is not None  # all or nothing
        client.cloud_onboarding.delete_instances([orphan])
        assert client.cloud_onboarding.find_instance(orphan) is None


def test_a_template_body_built_from_a_spec_creates_an_instance(cortex: RunningEmulator) -> None:
    from cortexkit.cortex.template import AzureTemplateSpec, request_data

    subscription = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    with cortex_client(cortex) as client:
        tenant = next(t.tenant_id for t in client.cloud_onboarding.approved_tenants() if t.is_still_approved)
        body = request_data(AzureTemplateSpec(tenant, "from-spec", subscription_id=subscription))
        guid = tracking_guid(client.cloud_onboarding.create_instance_template(body))
        found = client.cloud_onboarding.find_instance(guid or "")
        assert found is not None and found.status == "PENDING" and found.instance_name == "from-spec"


def test_every_tenant_is_approved_unless_the_control_plane_revokes_it() -> None:
    fresh = "12345678-1234-4234-8234-123456789abc"
    with run_emulator(seed=3, rate_limits="off") as running, cortex_client(running) as client:
        links = client.cloud_onboarding.create_instance_template(_template_body(fresh, "first-time"))
        assert tracking_guid(links)
        listed = {t.tenant_id: t.is_still_approved for t in client.cloud_onboarding.approved_tenants()}
        assert listed[fresh] is True  # consent given in Azure shows up in the list
        control = f"{running.url}/_emulator/cortex"
        httpx.post(control, json={"approved_tenants": {fresh: False}}).raise_for_status()
        assert httpx.get(control).json()["approved_tenants"][fresh] is False
        with pytest.raises(errors.BadRequestError, match="has not approved the Cortex application"):
            client.cloud_onboarding.create_instance_template(_template_body(fresh, "revoked"))
        listed = {t.tenant_id: t.is_still_approved for t in client.cloud_onboarding.approved_tenants()}
        assert listed[fresh] is False
        httpx.post(control, json={"approved_tenants": {fresh: True}}).raise_for_status()
        assert tracking_guid(client.cloud_onboarding.create_instance_template(_template_body(fresh, "again")))


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_dropped_connections_both_clients(cortex: RunningEmulator, flavour: str) -> None:
    """Both clients drive the same per-attempt decisions: a read survives dropped connections; a creating
    call whose connection drops after the server acted raises OutcomeUnknownError (cause: the transport
    error) and is sent once."""
    faults = f"{cortex.url}/_emulator/faults"
    retry = RetryConfig(base=0.01, cap=0.02)
    read = {"route": f"POST {ONBOARD}/get_instances", "statuses": ["drop", "drop"], "count": 2}
    create = {
        "route": f"POST {ONBOARD}/create_instance_template",
        "statuses": ["drop"],
        "count": 1,
        "when": "after",
    }
    name = f"dropped-{flavour}"

    def check(instances: list[object], exc: BaseException, retries: float) -> None:
        assert instances and retries >= 2
        assert isinstance(exc, errors.OutcomeUnknownError)
        assert isinstance(exc.__cause__, Exception) and "may or may not have taken effect" in str(exc)

    tenant_id = "11111111-2222-3333-4444-555555555555"
    try:
        httpx.post(faults, json=read)
        httpx.post(faults, json=create)
        if flavour == "sync":
            with cortex_client(cortex, retry=retry) as client:
                instances: list[object] = list(client.cloud_onboarding.instances())
                with pytest.raises(errors.OutcomeUnknownError) as caught:
                    client.cloud_onboarding.create_instance_template(
                        _template_body(tenant_id, name), reconcile=False
                    )
                check(instances, caught.value, client.stats.retries)
        else:

            async def main() -> tuple[list[object], BaseException, float]:
                async with async_cortex_client(cortex, retry=retry) as client:
                    found: list[object] = [i async for i in client.cloud_onboarding.instances()]
                    try:
                        await client.cloud_onboarding.create_instance_template(
                            _template_body(tenant_id, name), reconcile=False
                        )
                    except errors.OutcomeUnknownError as exc:
                        return found, exc, client.stats.retries
                    raise AssertionError("the dropped create did not raise")

            check(*asyncio.run(main()))
    finally:
        httpx.delete(faults)
    with cortex_client(cortex) as client:
        pending = client.cloud_onboarding.instances(status="PENDING")
        assert sum(1 for i in pending if i.instance_name == name) == 1
