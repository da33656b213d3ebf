"""What the Cortex onboarding reads from Azure before and after deploying: hierarchy and preflight answers.

Shapes from Azure's REST reference: "Subscriptions - List" / "Subscriptions - Get" (2022-12-01),
"Management Groups - Get" / "Get Descendants" (2020-05-01), "Permissions - List For Resource Group"
(the same `providers/Microsoft.Authorization/permissions` read at subscription, group and tenant scope,
2022-04-01), "Deny Assignments - List For Scope" (2022-04-01), "Providers - List" (2021-04-01) and Graph
"List conditionalAccessPolicies" (v1.0). The caller's tenant (from its token) decides which hierarchy it
sees (see `emulator/azuredirectory.py`); the answers are settable through `/_emulator/azure`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..azurecloud import azure_cloud
from ..azuredirectory import MG_TYPE, PROVIDER_NAMESPACES, permissions_at
from ..core import Emulator, get_emulator
from .azure_calls import checked_tenant
from .azure_identity import GRAPH_AUDIENCE

router = APIRouter(tags=["Azure directory (emulated)"])
Emu = Annotated[Emulator, Depends(get_emulator)]
AUTHZ = "providers/Microsoft.Authorization"


def _scope(raw: str) -> str:
    return "/" + raw.strip("/") if raw.strip("/") else ""


@router.get("/_azure/arm/subscriptions")
def list_subscriptions(request: Request, emu: Emu) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        subs = [s.as_arm() for s in cloud.directory.tree(tenant).subscriptions.values()]
    return JSONResponse({"value": subs})


@router.get("/_azure/arm/subscriptions/{subscription_id}")
def get_subscription(subscription_id: str, request: Request, emu: Emu) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        sub = cloud.directory.subscription(tenant, subscription_id).as_arm()
    sub["authorizationSource"] = "RoleBased"
    sub["subscriptionPolicies"] = {
        "locationPlacementId": "Public_2014-09-01",
        "quotaId": "PayAsYouGo_2014-09-01",
    }
    return JSONResponse(sub)


@router.get("/_azure/arm/providers/Microsoft.Management/managementGroups/{group_id}")
def get_management_group(group_id: str, request: Request, emu: Emu) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        group = cloud.directory.group(tenant, group_id)
        parent = cloud.directory.tree(tenant).groups.get(group.parent or "")
    details: dict[str, Any] = {"parent": None}
    if parent is not None:
        details["parent"] = {"id": parent.id, "name": parent.name, "displayName": parent.display_name}
    return JSONResponse(
        {
            "id": group.id,
            "type": MG_TYPE,
            "name": group.name,
            "properties": {"tenantId": tenant, "displayName": group.display_name, "details": details},
        }
    )


@router.get("/_azure/arm/providers/Microsoft.Management/managementGroups/{group_id}/descendants")
def get_descendants(group_id: str, request: Request, emu: Emu) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        return JSONResponse({"value": cloud.directory.descendants(tenant, group_id)})


@router.get("/_azure/arm/subscriptions/{subscription_id}/providers")
def list_providers(subscription_id: str, request: Request, emu: Emu) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        cloud.directory.subscription(tenant, subscription_id)
        unregistered = list(cloud.directory.preflight.unregistered_providers)
    names = sorted({*PROVIDER_NAMESPACES, *unregistered}, key=str.lower)
    down = {n.lower() for n in unregistered}
    return JSONResponse(
        {
            "value": [
                {
                    "id": f"/subscriptions/{subscription_id}/providers/{name}",
                    "namespace": name,
                    "registrationState": "NotRegistered" if name.lower() in down else "Registered",
                    "registrationPolicy": "RegistrationRequired",
                    "resourceTypes": [],
                }
                for name in names
            ]
        }
    )


def _permissions(request: Request, emu: Emulator, scope: str) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        granted = [
            {"actions": [], "notActions": [], "dataActions": [], "notDataActions": [], **p}
            for p in permissions_at(cloud.directory.preflight, scope)
        ]
    return JSONResponse({"value": granted})


def _deny_assignments(request: Request, emu: Emulator, scope: str) -> JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        planted = list(cloud.directory.preflight.deny_assignments)
    out = []
    for index, props in enumerate(planted):
        at = str(props.get("scope") or scope or "/")
        if props.get("scope") and not (scope == at or scope.startswith(at.rstrip("/") + "/")):
            continue
        name = str(props.get("name") or f"00000000-0000-4000-8000-{index:012d}")
        out.append(
            {
                "id": f"{at.rstrip('/')}/{AUTHZ}/denyAssignments/{name}",
                "type": "Microsoft.Authorization/denyAssignments",
                "name": name,
                "properties": {
                    "denyAssignmentName": props.get("denyAssignmentName", f"deny-{index + 1}"),
                    "description": props.get("description", ""),
                    "permissions": props.get("permissions", [{"actions": ["*"], "notActions": []}]),
                    "scope": at,
                    "doNotApplyToChildScopes": bool(props.get("doNotApplyToChildScopes", False)),
                    "principals": props.get(
                        "principals", [{"id": "00000000-0000-0000-0000-000000000000", "type": "Everyone"}]
                    ),
                    "excludePrincipals": props.get("excludePrincipals", []),
                    "isSystemProtected": bool(props.get("isSystemProtected", True)),
                },
            }
        )
    return JSONResponse({"value": out})


ScopedRead = Callable[[Request, Emulator, str], JSONResponse]


def _at_every_scope(tail: str, read: ScopedRead) -> None:
    """Register one read at tenant scope (`/_azure/arm/<tail>`) and below any scope
    (`/_azure/arm/{scope:path}/<tail>`): a path parameter cannot be empty, so the tenant has its own route."""

    def at_tenant(request: Request, emu: Emu) -> JSONResponse:
        return read(request, emu, "")

    def at_scope(scope: str, request: Request, emu: Emu) -> JSONResponse:
        return read(request, emu, _scope(scope))

    what = tail.rsplit("/", 1)[-1]
    router.add_api_route(f"/_azure/arm/{tail}", at_tenant, methods=["GET"], name=f"tenant_{what}")
    router.add_api_route(
        f"/_azure/arm/{{scope:path}}/{tail}", at_scope, methods=["GET"], name=f"scope_{what}"
    )


_at_every_scope(f"{AUTHZ}/permissions", _permissions)
_at_every_scope(f"{AUTHZ}/denyAssignments", _deny_assignments)


@router.get("/_azure/graph/v1.0/identity/conditionalAccess/policies")
def conditional_access_policies(request: Request, emu: Emu) -> JSONResponse:
    tenant = checked_tenant(request, emu, GRAPH_AUDIENCE)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    with cloud.lock:
        policies = [dict(p) for p in cloud.directory.preflight.conditional_access]
    return JSONResponse(
        {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies",
            "value": policies,
        }
    )
