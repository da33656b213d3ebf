"""Create the app registration, service principal, secret and RBAC with Microsoft Graph and ARM over REST.

The token comes from a client-credentials grant sent with httpx directly rather than azure-identity's
`ClientSecretCredential`: that credential insists on an https authority, and the engine must run end to
end against the plain-http emulator as well as against login.microsoftonline.com. The grant is one form
POST; tokens are cached per audience until a minute before expiry.

Every creating call is preceded by a lookup (applications by display name, service principals by appId)
and every ARM write is a PUT to a name derived from the job id, so a resumed job finds what it made
instead of making it again. Progress is checkpointed after each object. The one call that cannot be made
idempotent is addPassword: a crash between its answer and the encrypted store would leave one unused
password on the app, which expires; it never yields two secrets in use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cortexkit.errors import CortexkitError
from cortexkit.onboarding import permissions
from cortexkit.onboarding.context import AzureEndpoints, StepContext, StepFailedError
from cortexkit.onboarding.secrets import Secret

ARM_API_VERSION = "2022-04-01"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class AzureCallError(CortexkitError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass
class AzureRest:
    """A tiny Graph/ARM caller: bearer tokens per audience, retries of idempotent calls on 429/5xx."""

    endpoints: AzureEndpoints
    tenant_id: str
    client_id: str
    secret: Secret
    http: httpx.Client = field(repr=False)
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    attempts: int = 4
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict, repr=False)

    def token(self, audience: str) -> str:
        cached = self._tokens.get(audience)
        if cached and cached[1] > self.monotonic():
            return cached[0]
        url = f"{self.endpoints.login.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.secret.reveal(),
            "scope": f"{audience}/.default",
        }
        response = self._send("POST", url, data=form, retry=True)
        if response.status_code != 200:
            body = _json(response)
            code = str(body.get("error") or response.status_code)
            raise StepFailedError(f"Azure sign-in failed for client {self.client_id}: {code}")
        body = _json(response)
        self._tokens[audience] = (
            str(body["access_token"]),
            self.monotonic() + float(body["expires_in"]) - 60,
        )
        return str(body["access_token"])

    def _send(self, method: str, url: str, *, retry: bool, **kwargs: Any) -> httpx.Response:
        delay = 1.0
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                if not retry or attempt == self.attempts:
                    raise
            else:
                if not retry or response.status_code not in RETRY_STATUSES or attempt == self.attempts:
                    return response
            self.sleep(delay)
            delay = min(delay * 2, 16.0)
        raise AssertionError("unreachable")

    def call(
        self,
        method: str,
        base: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> Any:
        audience = base.rstrip("/")  # a resource's base URL is its token audience
        headers = {"Authorization": f"Bearer {self.token(audience)}"}
        url = f"{base.rstrip('/')}/{path.lstrip('/')}"
        response = self._send(method, url, json=json, params=params, headers=headers, retry=retry)
        body = _json(response)
        if response.status_code >= 400:
            raw = body.get("error")
            error: dict[str, Any] = raw if isinstance(raw, dict) else {}
            raise AzureCallError(
                response.status_code, str(error.get("code", "")), str(error.get("message", ""))
            )
        return body


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _find_one(rest: AzureRest, path: str, field_name: str, value: str) -> dict[str, Any] | None:
    escaped = value.replace("'", "''")
    found = rest.call("GET", rest.endpoints.graph, path, params={"$filter": f"{field_name} eq '{escaped}'"})
    items = found.get("value") or []
    return items[0] if items else None


def _create(
    rest: AzureRest, path: str, body: dict[str, Any], find: Callable[[], dict[str, Any] | None]
) -> Any:
    """POST once; on a transient or ambiguous failure look the object up before posting again."""
    for _ in range(3):
        try:
            return rest.call("POST", rest.endpoints.graph, path, json=body, retry=False)
        except (httpx.TransportError, AzureCallError) as exc:
            if isinstance(exc, AzureCallError) and exc.status not in RETRY_STATUSES and exc.status != 409:
                raise
            existing = find()
            if existing is not None:
                return existing
            rest.sleep(1.0)
    raise StepFailedError(f"Microsoft Graph kept failing to create {path}")


def _application(ctx: StepContext, rest: AzureRest) -> dict[str, Any]:
    name = permissions.app_display_name(ctx.job_id)
    found = _find_one(rest, "v1.0/applications", "displayName", name)
    if found is not None:
        return found
    body: dict[str, Any] = {"displayName": name, "signInAudience": "AzureADMyOrg"}
    if permissions.needs_graph_roles(ctx.spec):
        body["requiredResourceAccess"] = [
            {
                "resourceAppId": permissions.GRAPH_APP_ID,
                "resourceAccess": [{"id": r, "type": "Role"} for r in permissions.GRAPH_READ_ROLES],
            }
        ]
    created: dict[str, Any] = _create(
        rest, "v1.0/applications", body, lambda: _find_one(rest, "v1.0/applications", "displayName", name)
    )
    ctx.log(f"created app registration {name}", client_id=created["appId"])
    return created


def _service_principal(ctx: StepContext, rest: AzureRest, app_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return _find_one(rest, "v1.0/servicePrincipals", "appId", app_id)

    found = find()
    if found is not None:
        return found
    created: dict[str, Any] = _create(rest, "v1.0/servicePrincipals", {"appId": app_id}, find)
    ctx.log("created the service principal", service_principal_id=created["id"])
    return created


def _password(ctx: StepContext, rest: AzureRest, app_object_id: str) -> None:
    if ctx.partial.get("password_key_id") and ctx.io.get_secret(ctx.job_id, "key") is not None:
        return
    body = {"passwordCredential": {"displayName": "Prisma Cloud (cortexkit)"}}
    answer = rest.call(
        "POST", rest.endpoints.graph, f"v1.0/applications/{app_object_id}/addPassword", json=body, retry=False
    )
    ctx.io.put_secret(ctx.job_id, "key", Secret(str(answer["secretText"])))
    ctx.checkpoint(password_key_id=answer.get("keyId"), password_expires=answer.get("endDateTime"))
    ctx.log("added a client secret (stored encrypted)", expires=answer.get("endDateTime"))


def _custom_role(ctx: StepContext, rest: AzureRest, scope: str) -> str:
    role_guid = permissions.custom_role_id(ctx.job_id)
    path = f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
    body = {
        "properties": {
            "roleName": f"Prisma Cloud {ctx.job_id[:8]} (cortexkit)",
            "description": "Least-privilege actions for the enabled Prisma Cloud features.",
            "type": "CustomRole",
            "permissions": [{"actions": permissions.custom_actions(ctx.spec), "notActions": []}],
            "assignableScopes": [f"/{scope}"],
        }
    }
    rest.call("PUT", rest.endpoints.arm, path, json=body, params={"api-version": ARM_API_VERSION})
    return role_guid


def _assign(ctx: StepContext, rest: AzureRest, scope: str, role_guid: str, principal_id: str) -> None:
    """PUT the assignment, backing off while Entra has not replicated the new principal yet."""
    name = permissions.assignment_id(ctx.job_id, role_guid)
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    body = {
        "properties": {
            "roleDefinitionId": f"/{scope}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }
    }
    deadline = ctx.monotonic() + ctx.settings.propagation_timeout
    delay = 2.0
    while True:
        try:
            rest.call("PUT", rest.endpoints.arm, path, json=body, params={"api-version": ARM_API_VERSION})
            return
        except AzureCallError as exc:
            if exc.code == "RoleAssignmentExists":
                return
            if exc.code != "PrincipalNotFound" or ctx.monotonic() + delay > deadline:
                raise StepFailedError(f"role assignment failed: {exc}") from None
            ctx.log(f"service principal not replicated yet; retrying in {delay:.0f} s", code=exc.code)
            ctx.sleep(delay)
            delay = min(delay * 2, 30.0)


def _grant_graph_roles(ctx: StepContext, rest: AzureRest) -> str:
    """Admin consent to the Graph read roles as app-role assignments (AppRoleAssignment.ReadWrite.All).

    Without that right the grant is left to an administrator, and the job says so instead of failing.
    """
    sp_id = ctx.partial["service_principal_id"]
    graph_sp = _find_one(rest, "v1.0/servicePrincipals", "appId", permissions.GRAPH_APP_ID)
    if graph_sp is None:
        ctx.log("Microsoft Graph's service principal was not found; grant admin consent in the portal")
        return "consent required"
    path = f"v1.0/servicePrincipals/{sp_id}/appRoleAssignments"
    try:
        granted = {g.get("appRoleId") for g in rest.call("GET", rest.endpoints.graph, path).get("value", [])}
        for role in permissions.GRAPH_READ_ROLES:
            if role in granted:
                continue
            body = {"principalId": sp_id, "resourceId": graph_sp["id"], "appRoleId": role}
            try:
                rest.call("POST", rest.endpoints.graph, path, json=body, retry=False)
            except AzureCallError as exc:
                if "already exists" not in str(exc):
                    raise
    except AzureCallError as exc:
        if exc.status not in (401, 403):
            raise
        ctx.log(
            "not allowed to grant the Microsoft Graph read roles; an administrator must consent in the portal"
        )
        return "consent required"
    ctx.log(f"granted {len(permissions.GRAPH_READ_ROLES)} Microsoft Graph read roles (admin consent)")
    return "granted"


def provision(ctx: StepContext) -> dict[str, Any]:
    spec = ctx.spec
    operator_secret = ctx.io.get_secret(ctx.job_id, "client_secret")
    if not spec.client_id or operator_secret is None:
        raise StepFailedError(
            "the 'azure-api' provisioner signs in to Azure with --client-id and its secret "
            "(AZURE_CLIENT_SECRET)"
        )
    endpoints = ctx.settings.azure_endpoints or AzureEndpoints.for_environment(spec.environment)
    with httpx.Client(timeout=30.0, verify=endpoints.verify) as http:
        rest = AzureRest(
            endpoints, spec.tenant_id, spec.client_id, operator_secret, http, ctx.sleep, ctx.monotonic
        )
        try:
            return _provision(ctx, rest)
        except AzureCallError as exc:
            raise StepFailedError(f"Azure refused a call: {exc}") from None
        except httpx.TransportError as exc:
            raise StepFailedError(f"Azure could not be reached: {type(exc).__name__}") from None


def _provision(ctx: StepContext, rest: AzureRest) -> dict[str, Any]:
    if "app_object_id" not in ctx.partial:
        app = _application(ctx, rest)
        ctx.checkpoint(app_object_id=app["id"], client_id=app["appId"])
    if "service_principal_id" not in ctx.partial:
        sp = _service_principal(ctx, rest, ctx.partial["client_id"])
        ctx.checkpoint(service_principal_id=sp["id"])
    ctx.hook("identity:app-created")
    _password(ctx, rest, ctx.partial["app_object_id"])
    scope = permissions.rbac_scope(ctx.spec)
    roles: list[str] = []
    if scope is not None:
        custom = _custom_role(ctx, rest, scope)
        for role in (permissions.READER, permissions.READER_AND_DATA_ACCESS, custom):
            _assign(ctx, rest, scope, role, ctx.partial["service_principal_id"])
            roles.append(permissions.BUILTIN_NAMES.get(role, "custom"))
        ctx.checkpoint(scope=f"/{scope}", roles=roles)
    consent = _grant_graph_roles(ctx, rest) if permissions.needs_graph_roles(ctx.spec) else None
    return {
        "client_id": ctx.partial["client_id"],
        "service_principal_id": ctx.partial["service_principal_id"],
        "app_object_id": ctx.partial["app_object_id"],
        "scope": f"/{scope}" if scope else None,
        "roles": roles,
        "graph_roles": consent,
    }
