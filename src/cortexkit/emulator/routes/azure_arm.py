"""ARM template deployments under `/_azure/arm`, at subscription, management-group and tenant scope.

Shapes from Azure's REST reference (api-version 2021-04-01): "Deployments - Create Or Update" (201 new /
200 again, `Azure-AsyncOperation` header), "Deployments - Get", "Deployments - What If" (202 + `Location`,
then 200 with `changes`), "Deployment Operations - List". A PUT while the same deployment is Accepted or
Running answers 409 `DeploymentActive`; a GET before any PUT 404 `DeploymentNotFound`. The timeline and
the resources made live in `emulator/azurearm.py`; the bearer token is checked as for the identity routes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ..azurearm import ACTIVE, DEPLOYMENTS, Deployment, TemplateProblem, iso_time
from ..azurecloud import AzureCloud, azure_cloud
from ..azuredirectory import MG_PREFIX
from ..core import Emulator, get_emulator
from .azure_calls import arm_error, checked_tenant

router = APIRouter(tags=["Azure deployments (emulated)"])
Emu = Annotated[Emulator, Depends(get_emulator)]

SCOPES: tuple[tuple[str, Callable[[Request], str]], ...] = (
    (
        "/_azure/arm/subscriptions/{subscription_id}",
        lambda r: f"/subscriptions/{r.path_params['subscription_id']}",
    ),
    (
        "/_azure/arm/providers/Microsoft.Management/managementGroups/{group_id}",
        lambda r: MG_PREFIX + r.path_params["group_id"],
    ),
    ("/_azure/arm", lambda r: ""),
)


def _url(request: Request, path: str) -> str:
    version = request.query_params.get("api-version", "2021-04-01")
    return f"{str(request.base_url).rstrip('/')}/_azure/arm{path}?api-version={version}"


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def _known_scope(cloud: AzureCloud, tenant: str, scope: str) -> None:
    """Make the scope's subscription or group exist (tests may make ids up; see azuredirectory)."""
    if scope.startswith("/subscriptions/"):
        cloud.directory.subscription(tenant, scope.split("/")[2])
    elif scope.startswith(MG_PREFIX):
        cloud.directory.group(tenant, scope[len(MG_PREFIX) :])


def _not_found(name: str) -> JSONResponse:
    return arm_error(404, "DeploymentNotFound", f"Deployment '{name}' could not be found.")


def _begin(request: Request, emu: Emulator, scope: str) -> tuple[str, AzureCloud, float] | JSONResponse:
    tenant = checked_tenant(request, emu)
    if isinstance(tenant, JSONResponse):
        return tenant
    cloud = azure_cloud(emu)
    now = emu.clock.now()
    with cloud.lock:
        cloud.arm.settle(now)
        _known_scope(cloud, tenant, scope)
    return tenant, cloud, now


def put_deployment(scope_of: Callable[[Request], str]) -> Callable[[Request, Emulator], Awaitable[Response]]:
    async def handler(request: Request, emu: Emu) -> Response:
        scope, name = scope_of(request), request.path_params["name"]
        begun = _begin(request, emu, scope)
        if isinstance(begun, JSONResponse):
            return begun
        tenant, cloud, now = begun
        body = await _json(request)
        with cloud.lock:
            previous = cloud.arm.get(scope, name)
            if previous is not None and previous.state_at(now) in ACTIVE:
                return arm_error(
                    409,
                    "DeploymentActive",
                    f"Unable to edit or replace deployment '{name}': previous deployment from "
                    f"'{iso_time(previous.started)}' is still active (state: "
                    f"{previous.state_at(now)}). Please see https://aka.ms/arm-deploy for usage details.",
                )
            try:
                deployment = cloud.arm.start(tenant, scope, name, body, now)
            except TemplateProblem as exc:
                return arm_error(400, exc.code, exc.message)
            view = cloud.arm.view(deployment, now)
        status_path = f"{deployment.id}/operationStatuses/{deployment.correlation_id}"
        return JSONResponse(
            view,
            status_code=200 if previous is not None else 201,
            headers={"Azure-AsyncOperation": _url(request, status_path)},
        )

    return handler


def _existing(request: Request, emu: Emulator, scope: str) -> tuple[Deployment, AzureCloud, float] | Response:
    begun = _begin(request, emu, scope)
    if isinstance(begun, JSONResponse):
        return begun
    _, cloud, now = begun
    with cloud.lock:
        deployment = cloud.arm.get(scope, request.path_params["name"])
    if deployment is None:
        return _not_found(request.path_params["name"])
    return deployment, cloud, now


ScopeOf = Callable[[Request], str]
Handler = Callable[[Request, Emulator], Awaitable[Response]]
DeploymentRead = Callable[[Request, Deployment, AzureCloud, float], Response]


def _reading_deployment(read: DeploymentRead) -> Callable[[ScopeOf], Handler]:
    """A handler factory for the reads of one existing deployment (404 `DeploymentNotFound` otherwise)."""

    def for_scope(scope_of: ScopeOf) -> Handler:
        async def handler(request: Request, emu: Emu) -> Response:
            found = _existing(request, emu, scope_of(request))
            if isinstance(found, Response):
                return found
            return read(request, *found)

        return handler

    return for_scope


@_reading_deployment
def get_deployment(request: Request, deployment: Deployment, cloud: AzureCloud, now: float) -> Response:
    with cloud.lock:
        return JSONResponse(cloud.arm.view(deployment, now))


@_reading_deployment
def get_status(request: Request, deployment: Deployment, cloud: AzureCloud, now: float) -> Response:
    """The `Azure-AsyncOperation` URL: `{"status"}` (plus `error` when Failed) of the latest run."""
    if deployment.correlation_id != request.path_params["operation_id"]:
        return arm_error(404, "OperationNotFound", "The operation was superseded by a later deployment.")
    with cloud.lock:
        view = cloud.arm.view(deployment, now)["properties"]
    body: dict[str, Any] = {"status": view["provisioningState"]}
    if "error" in view:
        body["error"] = view["error"]
    return JSONResponse(body)


@_reading_deployment
def list_operations(request: Request, deployment: Deployment, cloud: AzureCloud, now: float) -> Response:
    with cloud.lock:
        return JSONResponse({"value": cloud.arm.operations(deployment, now)})


def post_what_if(scope_of: Callable[[Request], str]) -> Callable[[Request, Emulator], Awaitable[Response]]:
    async def handler(request: Request, emu: Emu) -> Response:
        scope, name = scope_of(request), request.path_params["name"]
        begun = _begin(request, emu, scope)
        if isinstance(begun, JSONResponse):
            return begun
        tenant, cloud, now = begun
        body = await _json(request)
        with cloud.lock:
            try:
                token = cloud.arm.what_if(tenant, scope, name, body, now)
            except TemplateProblem as exc:
                return arm_error(400, exc.code, exc.message)
            delay = cloud.arm.whatif_delay
        location = _url(request, f"{scope}/providers/Microsoft.Resources/operationResults/{token}")
        return Response(
            status_code=202, headers={"Location": location, "Retry-After": str(max(1, round(delay)))}
        )

    return handler


def get_what_if_result(
    scope_of: Callable[[Request], str],
) -> Callable[[Request, Emulator], Awaitable[Response]]:
    async def handler(request: Request, emu: Emu) -> Response:
        begun = _begin(request, emu, scope_of(request))
        if isinstance(begun, JSONResponse):
            return begun
        _, cloud, now = begun
        token = request.path_params["token"]
        with cloud.lock:
            result = cloud.arm.whatifs.get(token)
        if result is None:
            return arm_error(404, "OperationNotFound", f"The what-if operation '{token}' was not found.")
        if now < result.ready_at:
            return Response(
                status_code=202,
                headers={
                    "Location": str(request.url),
                    "Retry-After": str(max(1, round(result.ready_at - now))),
                },
            )
        return JSONResponse({"status": "Succeeded", "properties": {"changes": result.changes}})

    return handler


for _prefix, _scope_of in SCOPES:
    _deployment = f"{_prefix}/{DEPLOYMENTS}/{{name}}"
    router.add_api_route(_deployment, put_deployment(_scope_of), methods=["PUT"])
    router.add_api_route(_deployment, get_deployment(_scope_of), methods=["GET"])
    router.add_api_route(f"{_deployment}/whatIf", post_what_if(_scope_of), methods=["POST"])
    router.add_api_route(f"{_deployment}/operations", list_operations(_scope_of), methods=["GET"])
    router.add_api_route(
        f"{_deployment}/operationStatuses/{{operation_id}}", get_status(_scope_of), methods=["GET"]
    )
    router.add_api_route(
        f"{_prefix}/providers/Microsoft.Resources/operationResults/{{token}}",
        get_what_if_result(_scope_of),
        methods=["GET"],
    )
