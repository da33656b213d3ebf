"""The Azure side the `azure-api` provisioner talks to: Entra token endpoint, Microsoft Graph, ARM RBAC.

Mounted under `/_azure/login`, `/_azure/graph` and `/_azure/arm`, so a client only changes base URLs to
point at the emulator. Fidelity where the provisioner depends on it:
- client-credentials tokens per audience (a Graph token is refused by ARM and the other way round);
- Graph application / servicePrincipal / addPassword shapes (`id` is the object id, `appId` the client
  id, `secretText` returned once);
- ARM role definitions and assignments are idempotent PUTs; the same (principal, role, scope) under
  another assignment name answers 409 `RoleAssignmentExists`;
- replication delay: a role assignment for a service principal younger than `propagation_delay` seconds
  of emulator clock answers 400 `PrincipalNotFound`, as Entra does right after creation.

The operator credential is the emulator's own key pair (access key id as client id, secret key as client
secret); apps created here can also sign in with their passwords. State lives in this module's
`AzureIdentityState`, one per emulator, rebuilt when the emulator is reset.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cortexkit.emulator.core import Emulator, get_emulator

router = APIRouter(tags=["Azure identity (emulated)"])
Emu = Annotated[Emulator, Depends(get_emulator)]

GRAPH_AUDIENCE = "https://graph.microsoft.com"
ARM_AUDIENCE = "https://management.azure.com"
TOKEN_LIFETIME = 3599
BUILTIN_ROLES: dict[str, str] = {
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "c12c1c16-33a1-487b-954d-41c89c60f349": "Reader and Data Access",
    "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
}
AUTHZ = "providers/Microsoft.Authorization"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_SP_ID = "6d6e0f2a-0000-4000-8000-00000000a001"


@dataclass
class Token:
    audience: str
    tenant: str
    client_id: str
    expires: float


@dataclass
class AzureIdentityState:
    """Directory objects and RBAC of the emulated Azure tenant(s)."""

    tenant_state: Any
    propagation_delay: float = 5.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, Token] = field(default_factory=dict)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    passwords: dict[str, list[str]] = field(default_factory=dict)  # appId -> secrets
    service_principals: dict[str, dict[str, Any]] = field(default_factory=dict)
    sp_created: dict[str, float] = field(default_factory=dict)
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # full id -> definition
    role_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)  # full id -> assignment
    app_role_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # SP id -> grants

    def __post_init__(self) -> None:
        # Every tenant has Microsoft Graph's own service principal, the resource of its app roles.
        graph = {"id": GRAPH_SP_ID, "appId": GRAPH_APP_ID, "displayName": "Microsoft Graph"}
        self.service_principals[GRAPH_SP_ID] = graph
        self.sp_created[GRAPH_SP_ID] = float("-inf")


_STATES: weakref.WeakKeyDictionary[Emulator, AzureIdentityState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def identity_state(emu: Emulator) -> AzureIdentityState:
    """This emulator's Azure state; a reset emulator (new tenant state) starts from an empty directory."""
    with _STATES_LOCK:
        current = _STATES.get(emu)
        if current is None or current.tenant_state is not emu.state:
            delay = current.propagation_delay if current is not None else 5.0
            current = AzureIdentityState(tenant_state=emu.state, propagation_delay=delay)
            _STATES[emu] = current
        return current


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _oauth_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _authorized(emu: Emulator, state: AzureIdentityState, client_id: str, secret: str) -> bool:
    config = emu.config
    if config.access_key_id and config.secret_key and _same(client_id, config.access_key_id):
        return _same(secret, config.secret_key)
    return any(_same(secret, known) for known in state.passwords.get(client_id, []))


@router.post("/_azure/login/{tenant}/oauth2/v2.0/token")
async def token(tenant: str, request: Request, emu: Emu) -> JSONResponse:
    form = await request.form()
    grant = str(form.get("grant_type") or "")
    client_id = str(form.get("client_id") or "")
    secret = str(form.get("client_secret") or "")
    scope = str(form.get("scope") or "")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "AADSTS70003: only client_credentials is emulated")
    if not scope.endswith("/.default"):
        return _oauth_error(400, "invalid_scope", "AADSTS70011: the scope must end with /.default")
    audience = GRAPH_AUDIENCE if "graph" in scope.lower() else ARM_AUDIENCE
    state = identity_state(emu)
    with state.lock:
        if not _authorized(emu, state, client_id, secret):
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        value = secrets.token_urlsafe(32)
        state.tokens[value] = Token(audience, tenant, client_id, emu.clock.now() + TOKEN_LIFETIME)
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": value,
        }
    )


def _bearer(request: Request, emu: Emu, audience: str) -> JSONResponse | None:
    header = request.headers.get("authorization", "")
    value = header[7:] if header.lower().startswith("bearer ") else ""
    state = identity_state(emu)
    with state.lock:
        found = state.tokens.get(value)
    if found is None or found.expires < emu.clock.now():
        return _error(401, "InvalidAuthenticationToken", "Access token is empty, expired or invalid.")
    if found.audience != audience:
        return _error(401, "InvalidAuthenticationToken", f"Access token audience is not {audience}.")
    return None


def _filter_value(request: Request, name: str) -> str | None:
    """The literal of a `$filter=<name> eq '<value>'` query, the only filter shape the provisioner uses."""
    raw = request.query_params.get("$filter")
    if not raw:
        return None
    prefix = f"{name} eq '"
    if not raw.startswith(prefix) or not raw.endswith("'"):
        return None
    return raw[len(prefix) : -1].replace("''", "'")


# --- Microsoft Graph -----------------------------------------------------------------------------------


@router.get("/_azure/graph/v1.0/applications")
def list_applications(request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    state = identity_state(emu)
    wanted = _filter_value(request, "displayName")
    with state.lock:
        apps = [a for a in state.applications.values() if wanted is None or a["displayName"] == wanted]
    return JSONResponse({"value": apps})


@router.post("/_azure/graph/v1.0/applications")
async def create_application(request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    body = await request.json()
    name = body.get("displayName") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        return _error(400, "Request_BadRequest", "displayName is required.")
    app = {
        "id": str(uuid.uuid4()),
        "appId": str(uuid.uuid4()),
        "displayName": name,
        "signInAudience": body.get("signInAudience", "AzureADMyOrg"),
        "requiredResourceAccess": body.get("requiredResourceAccess", []),
        "passwordCredentials": [],
    }
    state = identity_state(emu)
    with state.lock:
        state.applications[app["id"]] = app
    return JSONResponse(app, status_code=201)


@router.post("/_azure/graph/v1.0/applications/{object_id}/addPassword")
async def add_password(object_id: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    body = await request.json()
    credential = body.get("passwordCredential", {}) if isinstance(body, dict) else {}
    state = identity_state(emu)
    with state.lock:
        app = state.applications.get(object_id)
        if app is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        secret = secrets.token_urlsafe(30)
        entry = {
            "keyId": str(uuid.uuid4()),
            "displayName": credential.get("displayName"),
            "endDateTime": credential.get("endDateTime") or "2099-12-31T00:00:00Z",
            "hint": secret[:3],
        }
        app["passwordCredentials"].append(entry)
        state.passwords.setdefault(app["appId"], []).append(secret)
    return JSONResponse({**entry, "secretText": secret})


@router.get("/_azure/graph/v1.0/applications/{object_id}")
def get_application(object_id: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    state = identity_state(emu)
    with state.lock:
        app = state.applications.get(object_id)
        if app is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        return JSONResponse(dict(app))


@router.post("/_azure/graph/v1.0/applications/{object_id}/removePassword")
async def remove_password(object_id: str, request: Request, emu: Emu) -> Response:
    """Graph's `removePassword {keyId}`: 204, or 404 for an unknown app, 400 for an unknown key id."""
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    body = await request.json()
    key_id = body.get("keyId") if isinstance(body, dict) else None
    state = identity_state(emu)
    with state.lock:
        app = state.applications.get(object_id)
        if app is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{object_id}' does not exist.")
        keys = [c["keyId"] for c in app["passwordCredentials"]]
        if key_id not in keys:
            return _error(400, "Request_BadRequest", f"No password credential with keyId '{key_id}'.")
        index = keys.index(key_id)
        app["passwordCredentials"].pop(index)
        passwords = state.passwords.get(app["appId"], [])
        if index < len(passwords):  # kept in step with passwordCredentials by add_password
            passwords.pop(index)
    return Response(status_code=204)


@router.get("/_azure/graph/v1.0/servicePrincipals")
def list_service_principals(request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    state = identity_state(emu)
    wanted = _filter_value(request, "appId")
    with state.lock:
        found = [sp for sp in state.service_principals.values() if wanted is None or sp["appId"] == wanted]
    return JSONResponse({"value": found})


@router.post("/_azure/graph/v1.0/servicePrincipals")
async def create_service_principal(request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    body = await request.json()
    app_id = body.get("appId") if isinstance(body, dict) else None
    state = identity_state(emu)
    with state.lock:
        app = next((a for a in state.applications.values() if a["appId"] == app_id), None)
        if app is None:
            return _error(400, "Request_BadRequest", f"No application with appId '{app_id}'.")
        if any(sp["appId"] == app_id for sp in state.service_principals.values()):
            return _error(
                409,
                "Request_MultipleObjectsWithSameKeyValue",
                "A service principal already exists for this app.",
            )
        sp = {
            "id": str(uuid.uuid4()),
            "appId": app_id,
            "displayName": app["displayName"],
            "servicePrincipalType": "Application",
        }
        state.service_principals[sp["id"]] = sp
        state.sp_created[sp["id"]] = emu.clock.now()
    return JSONResponse(sp, status_code=201)


@router.get("/_azure/graph/v1.0/servicePrincipals/{sp_id}/appRoleAssignments")
def list_app_role_assignments(sp_id: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    state = identity_state(emu)
    with state.lock:
        if sp_id not in state.service_principals:
            return _error(404, "Request_ResourceNotFound", f"Resource '{sp_id}' does not exist.")
        return JSONResponse({"value": list(state.app_role_assignments.get(sp_id, []))})


@router.post("/_azure/graph/v1.0/servicePrincipals/{sp_id}/appRoleAssignments")
async def grant_app_role(sp_id: str, request: Request, emu: Emu) -> JSONResponse:
    """Admin consent to an application permission, granted by assigning the app role to the SP."""
    if (denied := _bearer(request, emu, GRAPH_AUDIENCE)) is not None:
        return denied
    body = await request.json()
    if not isinstance(body, dict):
        return _error(400, "Request_BadRequest", "A JSON object is required.")
    state = identity_state(emu)
    with state.lock:
        if sp_id not in state.service_principals or body.get("principalId") != sp_id:
            return _error(404, "Request_ResourceNotFound", f"Resource '{sp_id}' does not exist.")
        if body.get("resourceId") not in state.service_principals:
            return _error(400, "Request_BadRequest", "resourceId must be a service principal.")
        grants = state.app_role_assignments.setdefault(sp_id, [])
        if any(
            g["appRoleId"] == body.get("appRoleId") and g["resourceId"] == body["resourceId"] for g in grants
        ):
            return _error(400, "Request_BadRequest", "Permission being assigned already exists on the object")
        grant = {
            "id": secrets.token_urlsafe(16),
            "principalId": sp_id,
            "resourceId": body["resourceId"],
            "appRoleId": body.get("appRoleId"),
        }
        grants.append(grant)
    return JSONResponse(grant, status_code=201)


# --- Azure Resource Manager ----------------------------------------------------------------------------


def _needs_api_version(request: Request) -> JSONResponse | None:
    if not request.query_params.get("api-version"):
        return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
    return None


def _full_id(scope: str, kind: str, name: str) -> str:
    return f"/{scope.strip('/')}/{AUTHZ}/{kind}/{name}"


@router.put("/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleDefinitions/{name}")
async def put_role_definition(scope: str, name: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, ARM_AUDIENCE) or _needs_api_version(request)) is not None:
        return denied
    body = await request.json()
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or not props.get("roleName"):
        return _error(400, "InvalidRoleDefinition", "properties.roleName is required.")
    full = _full_id(scope, "roleDefinitions", name)
    definition = {
        "id": full,
        "name": name,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": props,
    }
    state = identity_state(emu)
    with state.lock:
        clash = [
            d
            for k, d in state.role_definitions.items()
            if k != full and d["properties"]["roleName"] == props["roleName"]
        ]
        if clash:
            return _error(409, "RoleDefinitionWithSameNameExists", "A custom role with the same name exists.")
        created = full not in state.role_definitions
        state.role_definitions[full] = definition
    return JSONResponse(definition, status_code=201 if created else 200)


@router.get("/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleDefinitions/{name}")
def get_role_definition(scope: str, name: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, ARM_AUDIENCE) or _needs_api_version(request)) is not None:
        return denied
    state = identity_state(emu)
    with state.lock:
        definition = state.role_definitions.get(_full_id(scope, "roleDefinitions", name))
    if definition is None:
        return _error(404, "RoleDefinitionDoesNotExist", "The specified role definition does not exist.")
    return JSONResponse(definition)


def _role_known(state: AzureIdentityState, role_definition_id: str) -> bool:
    guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
    return guid in BUILTIN_ROLES or any(
        k.endswith(f"/roleDefinitions/{guid}") for k in state.role_definitions
    )


@router.put("/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleAssignments/{name}")
async def put_role_assignment(scope: str, name: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, ARM_AUDIENCE) or _needs_api_version(request)) is not None:
        return denied
    body = await request.json()
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        return _error(400, "InvalidRequestContent", "properties is required.")
    principal = str(props.get("principalId") or "")
    role = str(props.get("roleDefinitionId") or "")
    full = _full_id(scope, "roleAssignments", name)
    state = identity_state(emu)
    now = emu.clock.now()
    with state.lock:
        created = state.sp_created.get(principal)
        if created is None or now - created < state.propagation_delay:
            return _error(
                400,
                "PrincipalNotFound",
                f"Principal {principal} does not exist in the directory. Check that you have the correct "
                "principal ID. If you are creating this principal and then immediately assigning a role, "
                "this error might be related to a replication delay.",
            )
        if not _role_known(state, role):
            return _error(400, "RoleDefinitionDoesNotExist", "The specified role definition does not exist.")
        for key, other in state.role_assignments.items():
            p = other["properties"]
            if (
                key != full
                and p["principalId"] == principal
                and p["roleDefinitionId"] == role
                and p["scope"] == ("/" + scope.strip("/"))
            ):
                return _error(409, "RoleAssignmentExists", "The role assignment already exists.")
        assignment = {
            "id": full,
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": role,
                "principalId": principal,
                "principalType": props.get("principalType", "ServicePrincipal"),
                "scope": "/" + scope.strip("/"),
            },
        }
        existed = full in state.role_assignments
        state.role_assignments[full] = assignment
    return JSONResponse(assignment, status_code=200 if existed else 201)


@router.get("/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleAssignments")
def list_role_assignments(scope: str, request: Request, emu: Emu) -> JSONResponse:
    if (denied := _bearer(request, emu, ARM_AUDIENCE) or _needs_api_version(request)) is not None:
        return denied
    prefix = "/" + scope.strip("/")
    state = identity_state(emu)
    with state.lock:
        found = [a for a in state.role_assignments.values() if a["properties"]["scope"] == prefix]
    return JSONResponse({"value": found})
