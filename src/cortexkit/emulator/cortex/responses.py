"""The Cortex public API over HTTP: auth, the tenant-wide rate limit and the routes (moto's responses.py).

Every `public_api` call is `POST {"request_data": ...}` answered `{"reply": ...}`; both spellings of a
path (with and without the trailing slash) are served, as the docs use both. Errors use the shape each
family uses (see `errors.py`). Handlers parse bodies themselves: a body the real API would refuse gets
its 422 in the reply shape, never FastAPI's own validation answer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from ..azurecloud import azure_cloud
from ..ratelimit import TokenBucket
from .errors import AppSecError, DataError, PlainError, ReplyError, RootError, bad_field, missing_field
from .filters import FilterError, any_predicate, classic_predicate, sort_rows, tree_names, tree_predicate
from .keys import check_key
from .models import AZURE_REGIONS, CortexTenant, Outcome
from .packages import package

PUBLIC = "/public_api/v1"
ONBOARD = f"{PUBLIC}/cloud_onboarding"
MAX_FILTER_DATA = 2000
MAX_SEARCH = 100

INSTANCE_FIELDS = {
    "STATUS": "status",
    "CLOUD_PROVIDER": "cloud_provider",
    "PROVIDER": "cloud_provider",
    "INSTANCE_NAME": "instance_name",
    "SCOPE": "scope",
    "SCAN_MODE": "scan_mode",
    "CREATION_TIME": "creation_time",
    "ID": "instance_id",
    "OUTPOST_ID": "outpost_id",
    "AUTHENTICATION_METHOD": "provisioning_method",
}
ACCOUNT_FIELDS = {
    "STATUS": "status",
    "ACCOUNT_NAME": "account_name",
    "CLOUD_ACCOUNT_ID": "account_id",
    "ENVIRONMENT": "environment",
    "TYPE": "type",
    "CREATED_AT": "created_at",
}
ASSET_FIELDS: dict[str, str] = {}

Handler = Callable[[Request, CortexTenant, dict[str, Any]], Awaitable[Any]]
CHANGING = ("create_instance_template", "edit_instance", "enable_disable", "delete_instance", "/issue/")


class CortexService:
    """The Cortex tenant of one `Emulator`; rebuilt when the emulator is reset (its state object changes)."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self._for_state: Any = object()
        self._tenant: CortexTenant | None = None
        self._bucket: TokenBucket | None = None

    @property
    def tenant(self) -> CortexTenant:
        if self._tenant is None or self._for_state is not self.emulator.state:
            self._tenant = CortexTenant(self.emulator.config, self.emulator.clock)
            self._for_state = self.emulator.state
            self._bucket = None
        return self._tenant

    def wall_now(self) -> float:
        """The real wall time: the control plane's clock offset is simulated time passing on both sides,
        so a signed timestamp is compared with the unshifted clock."""
        clock = self.emulator.clock
        return float(clock.now() - getattr(clock, "offset", 0.0))

    def take(self) -> bool:
        cfg = self.emulator.config
        if cfg.rate_limits == "off":
            return True
        now = time.monotonic()
        if self._bucket is None:
            self._bucket = TokenBucket(cfg.cortex_rate * cfg.rate_scale, cfg.cortex_burst, now)
        allowed, _ = self._bucket.take(now)
        return allowed


def service(request: Request) -> CortexService:
    svc: CortexService = request.app.state.cortex
    return svc


def _reply(value: Any, status: int = 200) -> Response:
    return Response(
        json.dumps({"reply": value}, separators=(",", ":")).encode(), status, media_type="application/json"
    )


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise ReplyError(400, "Bad request: the body is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise ReplyError(400, "Bad request: the body must be a JSON object")
    data = decoded.get("request_data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise bad_field("request_data", "Input should be a valid dictionary", data)
    return data


def authorize(request: Request, svc: CortexService, changing: bool, licensed_api: bool) -> CortexTenant:
    """401 for a bad key, 429 over the tenant budget, 402 without the licence, 403 for the role."""
    tenant = svc.tenant
    cfg = svc.emulator.config
    reason = check_key(
        request.headers,
        key_id=cfg.cortex_api_key_id,
        key=cfg.cortex_api_key or "",
        key_type=cfg.cortex_api_key_type,
        now=svc.wall_now(),
        skew=cfg.cortex_skew,
        nonces=tenant.nonces,
    )
    if reason is not None:
        with tenant.lock:
            tenant.auth_failures[reason] = tenant.auth_failures.get(reason, 0) + 1
        raise ReplyError(401, "Public API request unauthorized")
    if not svc.take():
        raise ReplyError(429, "Too many requests")
    if licensed_api and not tenant.licensed:
        raise ReplyError(402, "User does not have the required license type")
    if tenant.role == "none" or (changing and tenant.role == "read_only"):
        raise ReplyError(403, "The API key's role does not have permission for this action")
    connect_deployed(svc, tenant)
    return tenant


def connect_deployed(svc: CortexService, tenant: CortexTenant) -> None:
    """Connect the PENDING instances whose template a finished ARM deployment carried (by trackingGuid).

    Read before every Cortex call, so the instance is connected whether the client polled Azure or not;
    the connect time is the deployment's end on the emulator clock, not the time of this read."""
    cloud = azure_cloud(svc.emulator)
    seen = tenant.deployments_seen
    with cloud.lock:
        cloud.arm.settle(svc.emulator.clock.now())
        runs = cloud.arm.finished[seen:]
    with tenant.lock:
        for index, run in enumerate(runs, start=seen):
            if index < tenant.deployments_seen:
                continue  # a concurrent call handled it
            tenant.deployments_seen = index + 1
            inst = tenant.instances.get(run.tracking_guid or "")
            if run.succeeded and inst is not None and inst.provider == "AZURE":
                tenant.connect(inst, run.finished_at, run.subscriptions)


def _window(data: Mapping[str, Any], limit: int) -> tuple[int, int]:
    start, end = data.get("search_from", 0), data.get("search_to")
    if not isinstance(start, int) or start < 0:
        raise bad_field("search_from", "Input should be a non-negative integer", start)
    if end is None:
        end = start + limit
    if not isinstance(end, int) or end < start:
        raise bad_field("search_to", "Input should be an integer not below search_from", end)
    if end - start > limit:
        raise bad_field("search_to", f"The result window may hold at most {limit} rows", end)
    return start, end


def _filter_data(data: Mapping[str, Any]) -> tuple[Any, Any, int, int]:
    fd = data.get("filter_data") or {}
    if not isinstance(fd, Mapping):
        raise bad_field("filter_data", "Input should be a valid dictionary", fd)
    paging = fd.get("paging") or {}
    start, end = paging.get("from", 0), paging.get("to", 100)
    if not isinstance(start, int) or not isinstance(end, int) or start < 0 or end < start:
        raise bad_field("filter_data.paging", "paging needs 0 <= from <= to", paging)
    if end - start > MAX_FILTER_DATA:
        raise bad_field("filter_data.paging", f"at most {MAX_FILTER_DATA} rows a page", paging)
    return fd.get("filter"), fd.get("sort"), start, end


def _filtered(rows: list[dict[str, Any]], pred: Callable[[Mapping[str, Any]], bool]) -> list[dict[str, Any]]:
    try:
        return [r for r in rows if pred(r)]
    except FilterError as exc:
        raise ReplyError(422, "Invalid client request", str(exc)) from None


def _pred(build: Callable[[], Callable[[Mapping[str, Any]], bool]]) -> Callable[[Mapping[str, Any]], bool]:
    try:
        return build()
    except FilterError as exc:
        raise ReplyError(422, "Invalid client request", str(exc)) from None


def _instance(tenant: CortexTenant, instance_id: Any, name: str = "id") -> Any:
    if not isinstance(instance_id, str) or not instance_id:
        raise missing_field(name)
    inst = tenant.instances.get(instance_id)
    if inst is None:
        raise ReplyError(404, f"Instance {instance_id} not found")
    return inst


# -- cloud onboarding -------------------------------------------------------------------------------------
async def get_instances(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    condition, sort, start, end = _filter_data(data)
    pred = _pred(lambda: tree_predicate(condition, INSTANCE_FIELDS))
    named = tree_names(condition)
    # PENDING rows are hidden unless the filter names STATUS PENDING or an ID (the provider's lookup).
    show_pending = any(f == "ID" for f, _, _ in named) or any(
        f == "STATUS" and "PENDING" in json.dumps(v).upper() for f, _, v in named
    )
    with tenant.lock:
        rows = [tenant.instance_row(i) for i in tenant.instances.values()]
    visible = [r for r in rows if show_pending or r["status"] != "PENDING"]
    matched = sort_rows(_filtered(visible, pred), sort, INSTANCE_FIELDS)
    return {"DATA": matched[start:end], "FILTER_COUNT": len(matched), "TOTAL_COUNT": len(visible)}


async def get_instance_details(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    # The Go SDK sends `id`, the 1.2 docs `instance_id`: both are accepted.
    key = "id" if "id" in data else "instance_id"
    inst = _instance(tenant, data.get(key), key)
    with tenant.lock:
        return tenant.instance_details(inst)


async def get_accounts(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    if "instance_id" not in data:
        raise missing_field("instance_id")
    if isinstance(data["instance_id"], list):
        raise bad_field("instance_id", "Input should be a valid string", data["instance_id"])
    inst = _instance(tenant, data["instance_id"], "instance_id")
    condition, sort, start, end = _filter_data(data)
    pred = _pred(lambda: tree_predicate(condition, ACCOUNT_FIELDS))
    with tenant.lock:
        rows = [dict(a) for a in inst.accounts]
    matched = sort_rows(_filtered(rows, pred), sort, ACCOUNT_FIELDS)
    return {"DATA": matched[start:end], "FILTER_COUNT": len(matched), "TOTAL_COUNT": len(rows)}


def _ids(data: Mapping[str, Any]) -> list[str]:
    ids = data.get("ids")
    if ids is None:
        raise missing_field("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_field("ids", "Input should be a valid list of strings", ids)
    return ids


def _enable(data: Mapping[str, Any]) -> bool:
    if "enable" not in data:
        raise missing_field("enable")
    if not isinstance(data["enable"], bool):
        raise bad_field("enable", "Input should be a valid boolean", data["enable"])
    return bool(data["enable"])


async def enable_disable_instance(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    ids, enable = _ids(data), _enable(data)
    with tenant.lock:
        for i in ids:
            _instance(tenant, i).enabled = enable
    return {}


async def delete_instance(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    """`{"ids": [...]}` -> `{}` (reference §3.8); every id must exist, or nothing is deleted (404)."""
    ids = _ids(data)
    with tenant.lock:
        for i in ids:
            _instance(tenant, i)
        for i in ids:
            del tenant.instances[i]
    return {}


async def enable_disable_account(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    ids, enable = _ids(data), _enable(data)
    inst = _instance(tenant, data.get("instance_id"), "instance_id")
    with tenant.lock:
        known = {a["account_id"]: a for a in inst.accounts}
        for i in ids:
            if i not in known:
                raise ReplyError(404, f"Account {i} not found in instance {inst.id}")
            known[i]["status"] = "ACTIVE" if enable else "DISABLED"
    return {}


async def get_azure_approved_tenants(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    return {"tenants": [dict(t) for t in tenant.approved_tenants]}


async def list_regions(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    provider = data.get("cloud_provider")
    if provider is None:
        raise missing_field("cloud_provider")
    if str(provider).upper() != "AZURE":
        return [
            {"name": "US East (Ohio)", "value": "us-east-2"},
            {"name": "Europe (Ireland)", "value": "eu-west-1"},
        ]
    return [{"name": n, "value": v} for n, v in AZURE_REGIONS]


REQUIRED_TEMPLATE = (
    "scope",
    "scan_mode",
    "cloud_provider",
    "custom_resources_tags",
    "collection_configuration",
    "scope_modifications",
    "additional_capabilities",
)


async def create_instance_template(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    for name in REQUIRED_TEMPLATE:
        if name not in data:
            raise missing_field(name)
    if str(data["cloud_provider"]).upper() not in ("AWS", "AZURE", "GCP"):
        raise bad_field("cloud_provider", "Input should be 'AWS', 'AZURE' or 'GCP'", data["cloud_provider"])
    if str(data["cloud_provider"]).upper() == "AZURE":
        org = (data.get("account_details") or {}).get("organization_id")
        if not org:
            raise missing_field("organization_id", ("body", "request_data", "account_details"))
        # Every tenant is approved unless the list (seeded, or set through the control plane) says it is
        # not; a tenant onboarded for the first time joins the list, as consent given in Azure would.
        with tenant.lock:
            approved = {t["tenant_id"]: t["is_still_approved"] for t in tenant.approved_tenants}
            if not approved.get(org, True):
                raise ReplyError(
                    400, f"Azure tenant {org} has not approved the Cortex application (admin consent)"
                )
            if org not in approved:
                tenant.approved_tenants.append({"tenant_id": str(org), "is_still_approved": True})
    _, links = tenant.create_template(data, str(request.base_url))
    return links


async def edit_instance(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    key = "id" if "id" in data else "instance_id"
    inst = _instance(tenant, data.get(key), key)
    with tenant.lock:
        if isinstance(data.get("instance_name"), str):
            inst.name = data["instance_name"]
        inst.pending_changes = 1
        return tenant.links(inst, str(request.base_url))


# -- issues -------------------------------------------------------------------------------------------------
async def issue_search(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    start, end = _window(data, MAX_SEARCH)
    pred = _pred(lambda: classic_predicate(data.get("filters")))
    rows = _filtered(tenant.issues(), pred)
    rows = sort_rows(rows, data.get("sort"), {})
    return {"DATA": rows[start:end], "FILTER_COUNT": len(rows), "TOTAL_COUNT": tenant.issue_count}


STATUS_VALUES = {"NEW", "IN_PROGRESS", "RESOLVED", "UNDER_INVESTIGATION"}


async def issue_update(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    issue_id = request.path_params["issue_id"]
    try:
        index = int(issue_id) - 100_000
    except ValueError:
        index = -1
    if not 0 <= index < tenant.issue_count:
        raise ReplyError(404, f"Issue {issue_id} not found")
    update = data.get("update_data")
    if not isinstance(update, dict) or not update:
        raise missing_field("update_data")
    change: dict[str, Any] = {}
    if "severity" in update:
        if str(update["severity"]).upper() not in ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"):
            raise bad_field(
                "update_data.severity",
                "Input should be INFO, LOW, MEDIUM, HIGH or CRITICAL",
                update["severity"],
            )
        change["severity"] = str(update["severity"]).upper()
    if "status" in update:
        status = str(update["status"]).upper().replace(" ", "_")
        if status not in STATUS_VALUES:
            raise bad_field(
                "update_data.status", "Input should be New, In Progress or Resolved", update["status"]
            )
        change["status"] = status
    for key in ("status_resolution_reason", "status_resolution_comment"):
        if key in update:
            change[key] = update[key]
    with tenant.lock:
        tenant.issue_changes.setdefault(issue_id, {}).update(change)
    return Response(status_code=204)


# -- assets, compliance, audits, system ---------------------------------------------------------------------
async def assets(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    start, end = _window(data, MAX_SEARCH)
    pred = _pred(lambda: any_predicate(data.get("filters"), ASSET_FIELDS))
    rows = sort_rows(_filtered(tenant.assets, pred), data.get("sort"), ASSET_FIELDS)
    return {"data": rows[start:end], "filter_count": len(rows), "total_count": len(tenant.assets)}


def _listing(key: str, rows: list[dict[str, Any]], data: Mapping[str, Any]) -> dict[str, Any]:
    start, end = _window(data, MAX_SEARCH)
    matched = _filtered(rows, _pred(lambda: classic_predicate(data.get("filters"))))
    page = matched[start:end]
    return {"total_count": len(matched), "result_count": len(page), key: page}


async def get_standards(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    return _listing("standards", tenant.standards(), data)


async def get_controls(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    return _listing("controls", tenant.controls(), data)


async def get_assessment_results(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    return _listing("results", tenant.assessment_results(), data)


async def management_logs(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    start, end = _window(data, MAX_SEARCH)
    columns = {
        "email": "AUDIT_OWNER_EMAIL",
        "type": "AUDIT_ENTITY",
        "sub_type": "AUDIT_ENTITY_SUBTYPE",
        "result": "AUDIT_RESULT",
        "timestamp": "AUDIT_INSERT_TIME",
    }
    filters = [
        {**f, "field": columns.get(str(f.get("field")), f.get("field"))} if isinstance(f, dict) else f
        for f in (data.get("filters") or [])
    ]
    rows = _filtered(tenant.audit, _pred(lambda: classic_predicate(filters)))
    sort = data.get("sort")
    if isinstance(sort, dict) and sort.get("field") in columns:
        sort = {**sort, "field": columns[str(sort["field"])]}
    rows = sort_rows(rows, sort, {})
    page = rows[start:end]
    return {"total_count": len(rows), "result_count": len(page), "data": page}


async def tenant_info(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    cfg = tenant.config
    return {
        "tenant_name": cfg.customer_name,
        "tenant_id": cfg.prisma_id,
        "region": "emulator",
        "licenses": ["Cortex Cloud Posture Management"] if tenant.licensed else [],
        "api_key_id": cfg.cortex_api_key_id,
        "api_key_type": cfg.cortex_api_key_type,
        "api_key_role": tenant.role,
    }


async def healthcheck(request: Request, tenant: CortexTenant, data: dict[str, Any]) -> Any:
    return {"status": "available"}


RPC: tuple[tuple[str, Handler, bool], ...] = (
    # (path, handler, licensed API)
    (f"{ONBOARD}/get_instances", get_instances, True),
    (f"{ONBOARD}/get_instance_details", get_instance_details, True),
    (f"{ONBOARD}/get_accounts", get_accounts, True),
    (f"{ONBOARD}/enable_disable_instance", enable_disable_instance, True),
    (f"{ONBOARD}/enable_disable_account", enable_disable_account, True),
    (f"{ONBOARD}/delete_instance", delete_instance, True),
    (f"{ONBOARD}/get_azure_approved_tenants", get_azure_approved_tenants, True),
    (f"{ONBOARD}/list_regions", list_regions, True),
    (f"{ONBOARD}/create_instance_template", create_instance_template, True),
    (f"{ONBOARD}/edit_instance", edit_instance, True),
    (f"{PUBLIC}/issue/search", issue_search, True),
    (f"{PUBLIC}/issue/{{issue_id}}", issue_update, True),
    (f"{PUBLIC}/assets", assets, True),
    (f"{PUBLIC}/compliance/get_standards", get_standards, True),
    (f"{PUBLIC}/compliance/get_controls", get_controls, True),
    (f"{PUBLIC}/compliance/get_assessment_results", get_assessment_results, True),
    (f"{PUBLIC}/audits/management_logs", management_logs, False),
    (f"{PUBLIC}/get_tenant_info", tenant_info, False),
    (f"{PUBLIC}/healthcheck", healthcheck, False),
)


def _endpoint(path: str, handler: Handler, licensed: bool) -> Callable[[Request], Awaitable[Response]]:
    changing = any(marker in path for marker in CHANGING) and not path.endswith("/search")

    async def endpoint(request: Request) -> Response:
        svc = service(request)
        tenant = authorize(request, svc, changing, licensed)
        data = await _body(request)
        result = await handler(request, tenant, data)
        return result if isinstance(result, Response) else _reply(result)

    endpoint.__name__ = f"cortex_{path.rsplit('/', 1)[-1].strip('{}')}"
    return endpoint


async def validate_key(request: Request) -> Response:
    """`GET /api_keys/validate` (Go SDK) or `POST /api_keys/validate/` ([PM]): the JSON string `"true"`."""
    svc = service(request)
    authorize(request, svc, changing=False, licensed_api=False)
    return Response(b'"true"', 200, media_type="application/json")


async def asset_get(request: Request) -> Response:
    svc = service(request)
    tenant = authorize(request, svc, changing=False, licensed_api=True)
    asset_id = request.path_params["asset_id"]
    for row in tenant.assets:
        if row["xdm.asset.id"] == asset_id:
            return _reply(row)
    raise ReplyError(404, f"Asset {asset_id} not found")


async def cloudsec_rule_search(request: Request) -> Response:
    """CloudSec `rule/search`: unwrapped body, `{data, metadata}` answer, errors in the root shape (2)."""
    svc = service(request)
    authorize(request, svc, changing=False, licensed_api=True)
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise RootError(400, "Invalid JSON body", [{"field": 0, "message": "Invalid JSON"}]) from None
    if not isinstance(body, dict):
        raise RootError(400, "Invalid request", [{"field": 0, "message": "Input should be an object"}])
    start, end = body.get("search_from", 0), body.get("search_to", 100)
    if not isinstance(start, int) or not isinstance(end, int) or end < start:
        raise RootError(
            400, "Invalid paging", [{"field": "search_to", "message": "Input should be a valid integer"}]
        )
    return Response(
        json.dumps({"data": [], "metadata": {"filter_count": 0, "total_count": 0}}).encode(),
        200,
        media_type="application/json",
    )


async def cloudsec_policy_get(request: Request) -> Response:
    """CloudSec `policy/{id}`: the id must be a UUID; errors in the newer data shape (3)."""
    svc = service(request)
    authorize(request, svc, changing=False, licensed_api=True)
    import uuid

    policy_id = request.path_params["policy_id"]
    try:
        uuid.UUID(policy_id)
    except ValueError:
        raise DataError(
            400, "Invalid policy id", [{"field": 0, "message": "Input should be a valid UUID"}]
        ) from None
    raise DataError(404, f"Policy {policy_id} not found")


async def appsec_policy_create(request: Request) -> Response:
    """AppSec `POST /public_api/appsec/v1/policies`: 422 with per-field `details` (shape 4)."""
    svc = service(request)
    authorize(request, svc, changing=True, licensed_api=True)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    details: dict[str, Any] = {}
    if not isinstance(body, dict) or not body.get("name"):
        details["policy.name"] = {"message": "'name' is required"}
    triggers = body.get("triggers") if isinstance(body, dict) else None
    if not isinstance(triggers, dict) or "ciImage" not in triggers:
        details["policy.triggers.ciImage"] = {"message": "'ciImage' is required"}
    if details:
        raise AppSecError(422, "ValidateError", "Validation failed", details)
    return Response(
        json.dumps({"id": "appsec-policy-1", "name": body["name"]}).encode(),
        201,
        media_type="application/json",
    )


async def unknown_public_path(request: Request) -> Response:
    """The gateway's answer to a path it does not route (shape 5: plain text)."""
    raise PlainError(404, "404 page not found")


TEMPLATE_NAME = re.compile(r"(arm|tf|cf)-([a-f0-9]{32})-(\d+)\.(?:zip|tar\.gz|json)")


async def template_download(request: Request) -> Response:
    """A signed template link: valid until `Expires` on the emulator clock (7 days after creation)."""
    svc = service(request)
    tenant = svc.tenant
    name = request.path_params["name"]
    try:
        expires = int(request.query_params.get("Expires", ""))
    except ValueError:
        return Response(
            b"<Error><Code>MissingSecurityHeader</Code></Error>", 400, media_type="application/xml"
        )
    signature = request.query_params.get("Signature", "")
    if signature != tenant.sign_link(name, expires):
        return Response(
            b"<Error><Code>SignatureDoesNotMatch</Code></Error>", 403, media_type="application/xml"
        )
    if tenant.clock.now() > expires:
        return Response(
            b"<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>",
            400,
            media_type="application/xml",
        )
    match = TEMPLATE_NAME.fullmatch(name)
    inst = tenant.instances.get(match.group(2)) if match else None
    if match is None or inst is None:
        return Response(
            b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
            404,
            media_type="application/xml",
        )
    with tenant.lock:
        content, media_type = package(inst, match.group(1), int(match.group(3)))
    return Response(
        content,
        200,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def control_get(request: Request) -> Response:
    tenant = service(request).tenant
    body = {
        "licensed": tenant.licensed,
        "role": tenant.role,
        "auth_failures": dict(tenant.auth_failures),
        "instances": len(tenant.instances),
        "approved_tenants": {t["tenant_id"]: t["is_still_approved"] for t in tenant.approved_tenants},
        "capability_outcome": tenant.next_outcome.as_dict() if tenant.next_outcome else None,
        "capability_outcomes": {name: o.as_dict() for name, o in tenant.outcomes_by_name.items()},
    }
    return Response(json.dumps(body).encode(), media_type="application/json")


def _outcome(value: Any) -> tuple[str | None, Outcome | None]:
    """`{"status", "capability"?, "message"?, "instance_name"?}` -> (instance name or None, Outcome)."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise ValueError(
            "capability_outcome must be an object {status, capability?, message?, instance_name?}"
        )
    extra = set(value) - {"status", "capability", "message", "instance_name"}
    if extra:
        raise ValueError(f"capability_outcome: unknown key(s) {', '.join(sorted(extra))}")
    name = value.get("instance_name")
    outcome = Outcome(str(value.get("status", "")), value.get("capability"), value.get("message"))
    return (str(name) if name else None), outcome


async def control_set(request: Request) -> Response:
    """`POST /_emulator/cortex {"licensed": false, "role": "read_only"|"none"|"admin", "approved_tenants":
    {"<tenant guid>": false}, "capability_outcome": {"status": "Connected"|"Warning"|"Error", "capability":
    "AUDIT_LOGS", "message": "...", "instance_name": "..."}}`: 402/403 tests, an Azure tenant's admin
    consent revoked or given, and how the next connect (or that instance's) settles; `null` clears."""
    tenant = service(request).tenant
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Response(b'{"error":"expected a JSON object"}', 400, media_type="application/json")
    if "capability_outcome" in body:
        try:
            name, outcome = _outcome(body["capability_outcome"])
        except ValueError as exc:
            return Response(json.dumps({"error": str(exc)}).encode(), 400, media_type="application/json")
        with tenant.lock:
            if name is not None and outcome is not None:
                tenant.outcomes_by_name[name] = outcome
            else:
                tenant.next_outcome = outcome
                if outcome is None:
                    tenant.outcomes_by_name.clear()
    if "licensed" in body:
        tenant.licensed = bool(body["licensed"])
    if body.get("role") in ("admin", "read_only", "none"):
        tenant.role = body["role"]
    approvals = body.get("approved_tenants")
    if isinstance(approvals, dict):
        with tenant.lock:
            listed = {t["tenant_id"]: t for t in tenant.approved_tenants}
            for tenant_id, given in approvals.items():
                if str(tenant_id) in listed:
                    listed[str(tenant_id)]["is_still_approved"] = bool(given)
                else:
                    tenant.approved_tenants.append(
                        {"tenant_id": str(tenant_id), "is_still_approved": bool(given)}
                    )
    return await control_get(request)


def build_router() -> APIRouter:
    router = APIRouter()
    for path, handler, licensed in RPC:
        endpoint = _endpoint(path, handler, licensed)
        router.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)
        router.add_api_route(path + "/", endpoint, methods=["POST"], include_in_schema=False)
    router.add_api_route(
        "/public_api/v1/healthcheck",
        _endpoint(f"{PUBLIC}/healthcheck", healthcheck, False),
        methods=["GET"],
        include_in_schema=False,
    )
    router.add_api_route("/api_keys/validate", validate_key, methods=["GET", "POST"], include_in_schema=False)
    router.add_api_route(
        "/api_keys/validate/", validate_key, methods=["GET", "POST"], include_in_schema=False
    )
    router.add_api_route(f"{PUBLIC}/assets/{{asset_id}}", asset_get, methods=["GET"], include_in_schema=False)
    router.add_api_route(
        f"{PUBLIC}/rule/search", cloudsec_rule_search, methods=["POST"], include_in_schema=False
    )
    router.add_api_route(
        f"{PUBLIC}/policy/{{policy_id}}", cloudsec_policy_get, methods=["GET"], include_in_schema=False
    )
    router.add_api_route(
        "/public_api/appsec/v1/policies", appsec_policy_create, methods=["POST"], include_in_schema=False
    )
    router.add_api_route(
        "/_cortex/templates/{name}", template_download, methods=["GET"], include_in_schema=False
    )
    router.add_api_route("/_emulator/cortex", control_get, methods=["GET"], include_in_schema=False)
    router.add_api_route("/_emulator/cortex", control_set, methods=["POST"], include_in_schema=False)
    router.add_api_route(
        "/public_api/{rest:path}",
        unknown_public_path,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    return router


def install(app: FastAPI, emulator: Any) -> None:
    """Serve the Cortex dialect from `app` (the one hook `emulator/app.py` calls)."""
    app.state.cortex = CortexService(emulator)
    app.router.routes.extend(build_router().routes)
