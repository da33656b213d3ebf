"""Create the app registration, service principal, secret and RBAC with Microsoft Graph and ARM.

Requests come from `cortexkit.azure.graph` / `.arm` and go out through `cortexkit.azure.client.AzureClient`
(the shared retry policy: jitter, Retry-After, a deadline, no blind resend of a creating POST).

Every creating call is preceded by a lookup (applications by display name, service principals by appId)
and every ARM write is a PUT to a name derived from the job id, so a resumed job finds what it made
instead of making it again. Progress is checkpointed after each object. The one call that cannot be made
idempotent is addPassword: its intent (a display name with a nonce) is checkpointed first, so a crash
between Graph's answer and the encrypted store leaves a secret the resume finds and removes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from cortexkit.azure import arm, graph, sessions
from cortexkit.azure.client import AzureCallError, AzureClient, AzureConnectionError, AzureError
from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.azure.request import AzureRequest
from cortexkit.onboarding import permissions
from cortexkit.onboarding.context import StepContext, StepFailedError
from cortexkit.onboarding.secrets import Secret

CREATE_ATTEMPTS = 3
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


def _first(answer: dict[str, Any]) -> dict[str, Any] | None:
    items = answer.get("value") or []
    return items[0] if items else None


def _create(
    azure: AzureClient,
    request: AzureRequest,
    find: Callable[[], dict[str, Any] | None],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """POST once; after an ambiguous failure or a conflict look the object up before posting again."""
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return azure.send(request)
        except AzureCallError as exc:
            if not exc.outcome_unknown and exc.status not in TRANSIENT_STATUSES and exc.status != 409:
                raise
        except AzureConnectionError:
            pass
        existing = find()
        if existing is not None:
            return existing
        sleep(azure.retry.backoff(attempt))
    raise StepFailedError(f"Microsoft Graph kept failing to create {request.path}")


def _application(ctx: StepContext, azure: AzureClient) -> dict[str, Any]:
    name = permissions.app_display_name(ctx.job_id)

    def find() -> dict[str, Any] | None:
        return _first(azure.send(graph.find_applications(name)))

    found = find()
    if found is not None:
        return found
    roles = permissions.GRAPH_READ_ROLES if permissions.needs_graph_roles(ctx.spec) else ()
    created = _create(azure, graph.create_application(name, roles), find, ctx.sleep)
    ctx.log(f"created app registration {name}", client_id=created["appId"])
    return created


def _service_principal(ctx: StepContext, azure: AzureClient, app_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return _first(azure.send(graph.find_service_principals(app_id)))

    found = find()
    if found is not None:
        return found
    created = _create(azure, graph.create_service_principal(app_id), find, ctx.sleep)
    ctx.log("created the service principal", service_principal_id=created["id"])
    return created


def _password(ctx: StepContext, azure: AzureClient, app_object_id: str) -> None:
    """One client secret for the app, stored encrypted. The intent (the secret's display name, with a
    nonce) is checkpointed before Graph makes it, so a crash between Graph's answer and the encrypted
    write leaves a secret a resume can find by name and remove before making the one it keeps."""
    intent = ctx.partial.get("password_intent")
    if intent and ctx.io.get_secret(ctx.job_id, "key") is not None:
        return  # made and stored (the key id checkpoint may or may not have followed)
    if intent:
        _remove_orphans(ctx, azure, app_object_id, str(intent))
    intent = graph.password_name(uuid.uuid4().hex[:12])
    ctx.checkpoint(password_intent=intent)
    answer = azure.send(graph.add_password(app_object_id, intent))
    ctx.hook("identity:password-added")
    ctx.io.put_secret(ctx.job_id, "key", Secret(str(answer["secretText"])))
    ctx.checkpoint(password_key_id=answer.get("keyId"), password_expires=answer.get("endDateTime"))
    ctx.log("added a client secret (stored encrypted)", expires=answer.get("endDateTime"))


def _remove_orphans(ctx: StepContext, azure: AzureClient, app_object_id: str, intent: str) -> None:
    """Remove the secrets an interrupted run made (found by the recorded display name) but never stored."""
    app = azure.send(graph.get_application(app_object_id))
    for credential in app.get("passwordCredentials") or []:
        if credential.get("displayName") != intent or not credential.get("keyId"):
            continue
        key_id = str(credential["keyId"])
        try:
            azure.send(graph.remove_password(app_object_id, key_id))
        except AzureCallError as exc:
            if exc.status not in (400, 404):  # already gone
                raise
        ctx.log("removed a client secret an interrupted run made but never stored", key_id=key_id)


def _custom_role(ctx: StepContext, azure: AzureClient, scope: str) -> str:
    role_guid = permissions.custom_role_id(ctx.job_id)
    azure.send(custom_role_request(ctx.job_id, ctx.spec, scope))
    return role_guid


def custom_role_request(job_id: str, spec: Any, scope: str) -> AzureRequest:
    return arm.put_role_definition(
        scope,
        permissions.custom_role_id(job_id),
        role_name=f"Prisma Cloud {job_id[:8]} (cortexkit)",
        description="Least-privilege actions for the enabled Prisma Cloud features.",
        actions=permissions.custom_actions(spec),
    )


def _assign(ctx: StepContext, azure: AzureClient, scope: str, role_guid: str, principal_id: str) -> None:
    """PUT the assignment, backing off while Entra has not replicated the new principal yet."""
    name = permissions.assignment_id(ctx.job_id, role_guid)
    request = arm.put_role_assignment(scope, name, role_guid=role_guid, principal_id=principal_id)
    deadline = ctx.monotonic() + ctx.settings.propagation_timeout
    delay = 2.0
    while True:
        try:
            azure.send(request)
            return
        except AzureCallError as exc:
            if exc.code == "RoleAssignmentExists":
                return
            if exc.code != "PrincipalNotFound" or ctx.monotonic() + delay > deadline:
                raise StepFailedError(f"role assignment failed: {exc}") from None
            ctx.log(f"service principal not replicated yet; retrying in {delay:.0f} s", code=exc.code)
            ctx.sleep(delay)
            delay = min(delay * 2, 30.0)


def _grant_graph_roles(ctx: StepContext, azure: AzureClient) -> str:
    """Admin consent to the Graph read roles as app-role assignments (AppRoleAssignment.ReadWrite.All).

    Without that right the grant is left to an administrator, and the job says so instead of failing.
    """
    sp_id = ctx.partial["service_principal_id"]
    graph_sp = _first(azure.send(graph.find_service_principals(permissions.GRAPH_APP_ID)))
    if graph_sp is None:
        ctx.log("Microsoft Graph's service principal was not found; grant admin consent in the portal")
        return "consent required"
    try:
        granted = {g.get("appRoleId") for g in azure.send(graph.app_role_assignments(sp_id)).get("value", [])}
        for role in permissions.GRAPH_READ_ROLES:
            if role in granted:
                continue
            try:
                azure.send(graph.grant_app_role(sp_id, graph_sp["id"], role))
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
    # The process's session of this operator identity: a bulk's jobs share its tokens (one sign-in per
    # audience, not one per job), as the Cortex steps do.
    session = sessions.shared_session(
        endpoints, spec.tenant_id, spec.client_id, operator_secret, monotonic=ctx.monotonic
    )
    with AzureClient(
        endpoints,
        spec.tenant_id,
        spec.client_id,
        operator_secret,
        sleep=ctx.sleep,
        monotonic=ctx.monotonic,
        session=session,
    ) as azure:
        try:
            return _provision(ctx, azure)
        except AzureCallError as exc:
            if exc.path.endswith("oauth2/v2.0/token"):
                raise StepFailedError(
                    f"Azure sign-in failed for client {spec.client_id}: {exc.code}"
                ) from None
            raise StepFailedError(f"Azure refused a call: {exc}") from None
        except AzureError as exc:
            raise StepFailedError(f"Azure could not be reached: {exc}") from None


def _provision(ctx: StepContext, azure: AzureClient) -> dict[str, Any]:
    if "app_object_id" not in ctx.partial:
        app = _application(ctx, azure)
        ctx.checkpoint(app_object_id=app["id"], client_id=app["appId"])
    if "service_principal_id" not in ctx.partial:
        sp = _service_principal(ctx, azure, ctx.partial["client_id"])
        ctx.checkpoint(service_principal_id=sp["id"])
    ctx.hook("identity:app-created")
    _password(ctx, azure, ctx.partial["app_object_id"])
    scope = permissions.rbac_scope(ctx.spec)
    roles: list[str] = []
    if scope is not None:
        custom = _custom_role(ctx, azure, scope)
        for role in (permissions.READER, permissions.READER_AND_DATA_ACCESS, custom):
            _assign(ctx, azure, scope, role, ctx.partial["service_principal_id"])
            roles.append(permissions.BUILTIN_NAMES.get(role, "custom"))
        ctx.checkpoint(scope=f"/{scope}", roles=roles)
    consent = _grant_graph_roles(ctx, azure) if permissions.needs_graph_roles(ctx.spec) else None
    return {
        "client_id": ctx.partial["client_id"],
        "service_principal_id": ctx.partial["service_principal_id"],
        "app_object_id": ctx.partial["app_object_id"],
        "scope": f"/{scope}" if scope else None,
        "roles": roles,
        "graph_roles": consent,
    }
