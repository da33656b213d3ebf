"""ARM template deployments of the emulated Azure: create-or-update, what-if, operations, resources made.

A deployment run moves Accepted -> Running -> Succeeded (or Failed, when the control plane planted a
failure) on the EMULATOR clock: Accepted for the first third of `deployment_delay`, Running until the
delay has passed. Nothing ticks in the background; `settle(now)` applies every run whose time has come
(records its resources, appends a `FinishedRun` for the Cortex side to read) and every read calls it
first, so the outcome is the same whoever looks first. Resources are keyed by their full resource id, so a
second run of the same template creates nothing twice (incremental mode). State only, no HTTP.
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import armexpr
from .azuredirectory import MG_PREFIX, AzureDirectory

DEPLOYMENTS = "providers/Microsoft.Resources/deployments"
ACTIVE = ("Accepted", "Running")


class TemplateProblem(ValueError):
    """A request ARM refuses before starting: `code` is ARM's error code (InvalidTemplate, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class PlannedResource:
    """A template resource with its name evaluated: what a run creates (or finds already there)."""

    resource_id: str
    resource_type: str
    name: str
    body: dict[str, Any]


@dataclass
class FinishedRun:
    """A run that reached a terminal state; the Cortex side connects instances from these."""

    deployment_id: str
    succeeded: bool
    finished_at: float
    tenant_id: str
    scope: str
    tracking_guid: str | None
    subscriptions: list[dict[str, str]]


@dataclass
class Deployment:
    tenant_id: str
    scope: str  # "" (tenant), "/subscriptions/{id}" or "/providers/Microsoft.Management/managementGroups/{g}"
    name: str
    location: str
    mode: str
    template: dict[str, Any]
    parameters: dict[str, Any]
    planned: list[PlannedResource]
    correlation_id: str
    started: float
    delay: float
    failure: dict[str, str] | None = None
    applied: bool = False
    output_resources: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.scope}/{DEPLOYMENTS}/{self.name}"

    def state_at(self, now: float) -> str:
        elapsed = now - self.started
        if elapsed >= self.delay:
            return "Failed" if self.failure else "Succeeded"
        return "Accepted" if elapsed < self.delay / 3 else "Running"

    def operation_done_at(self, index: int) -> float:
        """When the `index`-th resource is made: spread evenly over the Running phase."""
        count = max(1, len(self.planned))
        running_from = self.started + self.delay / 3
        return running_from + (self.started + self.delay - running_from) * (index + 1) / count

    def tracking_guid(self) -> str | None:
        """The `trackingGuid` parameter (passed value first, then the template's default)."""
        passed = self.parameters.get("trackingGuid")
        if isinstance(passed, dict) and isinstance(passed.get("value"), str):
            return str(passed["value"])
        declared = (self.template.get("parameters") or {}).get("trackingGuid")
        if isinstance(declared, dict) and isinstance(declared.get("defaultValue"), str):
            return str(declared["defaultValue"])
        return None


@dataclass
class WhatIf:
    ready_at: float
    changes: list[dict[str, Any]]


@dataclass
class PlannedFailure:
    code: str
    message: str
    name: str | None  # only the deployment of this name, or the next one of any name
    remaining: int


class ArmDeployments:
    """Every deployment, the resources the runs made, pending what-ifs and the failure plan.

    Callers hold `AzureCloud.lock`."""

    def __init__(self, directory: AzureDirectory) -> None:
        self.directory = directory
        self.deployment_delay = 3.0
        self.whatif_delay = 1.0
        self.deployments: dict[str, Deployment] = {}  # full id -> latest run
        self.resources: dict[str, dict[str, Any]] = {}  # full resource id -> record
        self.whatifs: dict[str, WhatIf] = {}
        self.failures: list[PlannedFailure] = []
        self.finished: list[FinishedRun] = []

    # -- planning -------------------------------------------------------------------------------------------
    def plan(
        self, tenant_id: str, scope: str, name: str, body: Any
    ) -> tuple[dict[str, Any], list[PlannedResource]]:
        """Validate a create-or-update / what-if body and evaluate the resources' names and ids."""
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise TemplateProblem(
                "InvalidRequestContent", "The request content must have a 'properties' object."
            )
        if not isinstance(body.get("location"), str) or not body["location"]:
            raise TemplateProblem(
                "LocationRequired",
                "The location property is required for this definition.",
            )
        props = body["properties"]
        if props.get("mode", "Incremental") not in ("Incremental", "Complete"):
            raise TemplateProblem(
                "InvalidDeploymentMode", "The deployment mode must be Incremental or Complete."
            )
        if props.get("mode") == "Complete" and not scope.startswith("/subscriptions/"):
            raise TemplateProblem(
                "InvalidDeploymentMode", "Complete mode is only supported at resource group scope."
            )
        template = props.get("template")
        if not isinstance(template, dict):
            which = "templateLink" if "templateLink" in props else "template"
            raise TemplateProblem(
                "InvalidTemplate",
                f"The emulator needs the template inline in properties.template ({which} given).",
            )
        resources = template.get("resources")
        if not isinstance(resources, (list, dict)):
            raise TemplateProblem(
                "InvalidTemplate", "Deployment template validation failed: 'resources' is missing."
            )
        passed = props.get("parameters") or {}
        if not isinstance(passed, dict):
            raise TemplateProblem("InvalidRequestContent", "properties.parameters must be an object.")
        for part in ("parameters", "variables"):
            if not isinstance(template.get(part) or {}, dict):
                raise TemplateProblem("InvalidTemplate", f"The template's '{part}' must be an object.")
        values: dict[str, Any] = {}
        for pname, decl in (template.get("parameters") or {}).items():
            given = passed.get(pname)
            if isinstance(given, dict) and "value" in given:
                values[pname] = given["value"]
            elif isinstance(decl, dict) and "defaultValue" in decl:
                values[pname] = decl["defaultValue"]
            else:
                raise TemplateProblem(
                    "InvalidTemplate",
                    f"Deployment template validation failed: 'The value for the template parameter '{pname}' "
                    "at line '1' and column '1' is not provided.'",
                )
        unknown = sorted(set(passed) - set(template.get("parameters") or {}))
        if unknown:
            raise TemplateProblem(
                "InvalidTemplate",
                "Deployment template validation failed: 'The template parameters "
                f"'{', '.join(unknown)}' in the parameters file are not valid; they are not present in the "
                "original template.'",
            )
        ctx = armexpr.Context(
            values, template.get("variables") or {}, self._scope_objects(tenant_id, scope, name)
        )
        for pname, raw in list(values.items()):
            if armexpr.is_expression(raw):  # a default such as `[subscription().subscriptionId]`
                with contextlib.suppress(armexpr.ExpressionError):
                    values[pname] = armexpr.evaluate(raw, ctx)
        items = list(resources.values()) if isinstance(resources, dict) else list(resources)
        planned: list[PlannedResource] = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str) or "name" not in item:
                raise TemplateProblem(
                    "InvalidTemplate", "Every template resource needs a 'type' and a 'name'."
                )
            resource = self._planned(scope, item, ctx)
            if any(p.resource_id == resource.resource_id for p in planned):
                raise TemplateProblem(
                    "InvalidTemplate",
                    "Deployment template validation failed: 'The resource "
                    f"'{resource.resource_id}' is defined multiple times in a template.'",
                )
            planned.append(resource)
        return values, planned

    def _scope_objects(self, tenant_id: str, scope: str, name: str) -> dict[str, dict[str, Any]]:
        objects: dict[str, dict[str, Any]] = {
            "tenant": {"tenantId": tenant_id, "id": f"/tenants/{tenant_id}"},
            "deployment": {"name": name},
        }
        if scope.startswith("/subscriptions/"):
            sub = scope.split("/")[2]
            objects["subscription"] = {"id": scope, "subscriptionId": sub, "tenantId": tenant_id}
        if scope.startswith(MG_PREFIX):
            objects["managementGroup"] = {"id": scope, "name": scope[len(MG_PREFIX) :]}
        return objects

    def _planned(self, scope: str, item: dict[str, Any], ctx: armexpr.Context) -> PlannedResource:
        def value(raw: Any) -> str:
            try:
                return str(armexpr.evaluate(raw, ctx))
            except armexpr.ExpressionError:
                return armexpr.stable_name(str(raw))

        rtype = item["type"]
        namespace, *kinds = rtype.split("/")
        if not namespace or not kinds or not all(kinds):
            raise TemplateProblem(
                "InvalidTemplate",
                f"Deployment template validation failed: the resource type '{rtype}' is not of the form "
                "'<namespace>/<type>[/<child type>...]'.",
            )
        try:
            name = str(armexpr.evaluate(item["name"], ctx))
        except armexpr.ExpressionError:  # one stable segment per type segment, so the id stays well formed
            name = "/".join(armexpr.stable_name(f"{item['name']}#{i}") for i in range(len(kinds)))
        names = name.split("/")
        if len(names) != len(kinds):
            raise TemplateProblem(
                "InvalidTemplate",
                f"Deployment template validation failed: 'The template resource '{name}' for type '{rtype}' "
                "has incorrect segment lengths. A nested resource type must have identical number of "
                "segments as its resource name.'",
            )
        base = scope
        if item.get("subscriptionId"):
            base = f"/subscriptions/{value(item['subscriptionId'])}"
        if item.get("resourceGroup"):
            base = f"{base}/resourceGroups/{value(item['resourceGroup'])}"
        if item.get("scope") and isinstance(item["scope"], str):
            base = "/" + value(item["scope"]).strip("/")
        path = "/".join(f"{k}/{n}" for k, n in zip(kinds, names, strict=True))
        resource_id = f"{base}/providers/{namespace}/{path}"
        try:
            body = armexpr.evaluate(
                {k: v for k, v in item.items() if k not in ("dependsOn", "condition")}, ctx
            )
        except armexpr.ExpressionError:
            body = copy.deepcopy(item)
        body["name"] = name
        return PlannedResource(resource_id, rtype, name, body)

    # -- create-or-update -----------------------------------------------------------------------------------
    def start(self, tenant_id: str, scope: str, name: str, body: dict[str, Any], now: float) -> Deployment:
        """Start a run (the caller checked it is not active); raise TemplateProblem for a bad body."""
        values, planned = self.plan(tenant_id, scope, name, body)
        props = body["properties"]
        deployment = Deployment(
            tenant_id=tenant_id,
            scope=scope,
            name=name,
            location=str(body["location"]),
            mode=str(props.get("mode", "Incremental")),
            template=copy.deepcopy(props["template"]),
            parameters={k: {"value": v} for k, v in values.items()},
            planned=planned,
            correlation_id=str(uuid.uuid4()),
            started=now,
            delay=self.deployment_delay,
            failure=self._take_failure(name),
        )
        self.deployments[deployment.id] = deployment
        return deployment

    def _take_failure(self, name: str) -> dict[str, str] | None:
        for planned in self.failures:
            if planned.name in (None, name):
                planned.remaining -= 1
                if planned.remaining <= 0:
                    self.failures.remove(planned)
                return {"code": planned.code, "message": planned.message}
        return None

    def get(self, scope: str, name: str) -> Deployment | None:
        return self.deployments.get(f"{scope}/{DEPLOYMENTS}/{name}")

    # -- time -----------------------------------------------------------------------------------------------
    def settle(self, now: float) -> None:
        """Apply every run that has reached its end: its resources recorded, a FinishedRun appended."""
        due = [d for d in self.deployments.values() if not d.applied and now - d.started >= d.delay]
        for deployment in sorted(due, key=lambda d: d.started + d.delay):  # in the order they ended
            deployment.applied = True
            made = deployment.planned[:-1] if deployment.failure else deployment.planned
            for resource in made:
                self.resources.setdefault(
                    resource.resource_id,
                    {"id": resource.resource_id, "type": resource.resource_type, "name": resource.name},
                )
                record = self.resources[resource.resource_id]
                record["deployment"] = deployment.id
                record["body"] = resource.body
            deployment.output_resources = [r.resource_id for r in made]
            subs = self.directory.subscriptions_in_scope(deployment.tenant_id, deployment.scope)
            self.finished.append(
                FinishedRun(
                    deployment_id=deployment.id,
                    succeeded=deployment.failure is None,
                    finished_at=deployment.started + deployment.delay,
                    tenant_id=deployment.tenant_id,
                    scope=deployment.scope,
                    tracking_guid=deployment.tracking_guid(),
                    subscriptions=[{"id": s.subscription_id, "name": s.display_name} for s in subs],
                )
            )

    # -- views ----------------------------------------------------------------------------------------------
    def view(self, deployment: Deployment, now: float) -> dict[str, Any]:
        """`Deployments - Get` body (api-version 2021-04-01)."""
        state = deployment.state_at(now)
        props: dict[str, Any] = {
            "templateHash": str(uuid.uuid5(uuid.NAMESPACE_OID, repr(sorted(deployment.template.items())))),
            "parameters": deployment.parameters,
            "mode": deployment.mode,
            "provisioningState": state,
            "timestamp": iso_time(now if state in ACTIVE else deployment.started + deployment.delay),
            "duration": _duration(min(now, deployment.started + deployment.delay) - deployment.started),
            "correlationId": deployment.correlation_id,
            "providers": _providers(deployment.planned),
            "dependencies": [],
        }
        if state == "Succeeded":
            props["outputResources"] = [{"id": rid} for rid in deployment.output_resources]
            props["outputs"] = {}
        if state == "Failed" and deployment.failure:
            # The planted code and message on top (what a client shows), the failing operation's below.
            props["error"] = {**deployment.failure, "details": [dict(deployment.failure)]}
        return {
            "id": deployment.id,
            "name": deployment.name,
            "type": "Microsoft.Resources/deployments",
            "location": deployment.location,
            "properties": props,
        }

    def operations(self, deployment: Deployment, now: float) -> list[dict[str, Any]]:
        """`Deployment Operations - List`: one per template resource, done as the run reaches it."""
        out = []
        last = len(deployment.planned) - 1
        for index, resource in enumerate(deployment.planned):
            done_at = deployment.operation_done_at(index)
            op_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{deployment.correlation_id}/{index}"))
            if now < deployment.started + deployment.delay / 3:
                state = "Accepted" if index == 0 else None
            elif now < done_at:
                state = "Running"
            elif deployment.failure and index == last:
                state = "Failed"
            else:
                state = "Succeeded"
            if state is None:
                continue
            props: dict[str, Any] = {
                "provisioningOperation": "Create",
                "provisioningState": state,
                "timestamp": iso_time(min(now, done_at)),
                "duration": _duration(max(0.0, min(now, done_at) - deployment.started)),
                "trackingId": op_id,
                "serviceRequestId": op_id,
                "targetResource": {
                    "id": resource.resource_id,
                    "resourceType": resource.resource_type,
                    "resourceName": resource.name,
                },
            }
            if state == "Failed" and deployment.failure:
                props["statusCode"] = "BadRequest"
                props["statusMessage"] = {"error": dict(deployment.failure)}
            out.append(
                {"id": f"{deployment.id}/operations/{op_id}", "operationId": op_id, "properties": props}
            )
        return out

    def what_if(self, tenant_id: str, scope: str, name: str, body: dict[str, Any], now: float) -> str:
        """Compute the changes now, reveal them after `whatif_delay`; returns the operation token."""
        _, planned = self.plan(tenant_id, scope, name, body)
        changes = []
        for resource in planned:
            existing = self.resources.get(resource.resource_id)
            after = {"id": resource.resource_id, **resource.body}
            if existing is None:
                change: dict[str, Any] = {
                    "resourceId": resource.resource_id,
                    "changeType": "Create",
                    "after": after,
                }
            elif existing.get("body") == resource.body:
                change = {
                    "resourceId": resource.resource_id,
                    "changeType": "NoChange",
                    "before": after,
                    "after": after,
                }
            else:
                before = {"id": resource.resource_id, **existing.get("body", {})}
                change = {
                    "resourceId": resource.resource_id,
                    "changeType": "Modify",
                    "before": before,
                    "after": after,
                }
            changes.append(change)
        token = uuid.uuid4().hex
        self.whatifs[token] = WhatIf(now + self.whatif_delay, changes)
        return token


def iso_time(epoch: float) -> str:
    """ARM's timestamp format (UTC, microseconds, `Z`)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _duration(seconds: float) -> str:
    return f"PT{max(0.0, seconds):.3f}S"


def _providers(planned: list[PlannedResource]) -> list[dict[str, Any]]:
    by_namespace: dict[str, set[str]] = {}
    for resource in planned:
        namespace, _, rest = resource.resource_type.partition("/")
        by_namespace.setdefault(namespace, set()).add(rest)
    return [
        {"namespace": ns, "resourceTypes": [{"resourceType": t, "locations": []} for t in sorted(types)]}
        for ns, types in sorted(by_namespace.items())
    ]
