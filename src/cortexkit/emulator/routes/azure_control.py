"""`/_emulator/azure`: the control plane of the emulated Azure cloud (deployments, hierarchy, preflight).

Same style as `/_emulator/cortex`: `GET` shows the knobs and what the deployments made, `POST` with a JSON
object sets any of the knobs and answers like `GET`. Never authenticated, faulted or counted (it is under
`/_emulator/`). Keys of the POST body:

- `deployment_delay`, `whatif_delay`: seconds of emulator clock a run / a what-if takes (3 and 1);
- `deployment_failure`: `{"code", "message", "deployment": name (optional), "count": n (1)}` makes the
  next n runs (of that name) end `Failed` with that error; `null` clears the plan;
- `permissions`: the caller's effective permissions (`[{"actions", "notActions", ...}]`, default `["*"]`);
- `permissions_by_scope`: `{"<scope path>": [...]}`, the permissions at that scope and below it
  (the nearest listed parent path wins; `{}` clears);
- `deny_assignments`: deny assignments' `properties` objects, listed at every scope;
- `unregistered_providers`: namespaces `Providers - List` shows `NotRegistered`;
- `conditional_access_policies`: Graph conditionalAccessPolicy objects (`id` and `state` filled in);
- `subscriptions`: `[{"tenant_id", "subscription_id", "display_name", "parent": group}]` added or moved;
- `management_groups`: `[{"tenant_id", "name", "display_name", "parent": group}]` added.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..azurearm import PlannedFailure
from ..azurecloud import AzureCloud, azure_cloud
from ..core import emulator_of

router = APIRouter(tags=["emulator control plane"])


class BadKnob(ValueError):
    """A control-plane body the emulator cannot apply; the message says which key and why."""


def snapshot(cloud: AzureCloud, now: float) -> dict[str, Any]:
    with cloud.lock:
        cloud.arm.settle(now)
        arm, pre = cloud.arm, cloud.directory.preflight
        return {
            "deployment_delay": arm.deployment_delay,
            "whatif_delay": arm.whatif_delay,
            "deployment_failures": [
                {"code": f.code, "message": f.message, "deployment": f.name, "count": f.remaining}
                for f in arm.failures
            ],
            "permissions": pre.permissions,
            "permissions_by_scope": pre.permissions_by_scope,
            "deny_assignments": pre.deny_assignments,
            "unregistered_providers": pre.unregistered_providers,
            "conditional_access_policies": pre.conditional_access,
            "deployments": [
                {
                    "id": d.id,
                    "tenant_id": d.tenant_id,
                    "provisioningState": d.state_at(now),
                    "tracking_guid": d.tracking_guid(),
                    "resources": [r.resource_id for r in d.planned],
                }
                for d in arm.deployments.values()
            ],
            "resources": [
                {"id": r["id"], "type": r["type"], "name": r["name"], "deployment": r.get("deployment")}
                for r in arm.resources.values()
            ],
            "tenants": {
                tid: {
                    "management_groups": {g.name: g.parent for g in tree.groups.values()},
                    "subscriptions": {s.subscription_id: s.parent for s in tree.subscriptions.values()},
                }
                for tid, tree in cloud.directory.trees.items()
            },
        }


def _seconds(body: dict[str, Any], key: str) -> float:
    value = body[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise BadKnob(f"{key} must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _objects(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body[key]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadKnob(f"{key} must be a list of JSON objects")
    return [dict(v) for v in value]


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise BadKnob(f"{where}: {key} (a non-empty string) is required")
    return value


def _failure(value: Any) -> PlannedFailure | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadKnob("deployment_failure must be an object {code, message, deployment?, count?} or null")
    count = value.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise BadKnob("deployment_failure.count must be a positive integer")
    name = value.get("deployment")
    if name is not None and not isinstance(name, str):
        raise BadKnob("deployment_failure.deployment must be a deployment name")
    code = _text(value, "code", "deployment_failure")
    message = str(
        value.get("message") or f"The deployment failed with {code} (planted by the control plane)."
    )
    return PlannedFailure(code, message, name, count)


KNOWN = (
    "deployment_delay",
    "whatif_delay",
    "deployment_failure",
    "permissions",
    "permissions_by_scope",
    "deny_assignments",
    "unregistered_providers",
    "conditional_access_policies",
    "subscriptions",
    "management_groups",
)


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with every value checked and normalised; BadKnob names the first bad key."""
    unknown = sorted(set(body) - set(KNOWN))
    if unknown:
        raise BadKnob(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    out: dict[str, Any] = {}
    for key in ("deployment_delay", "whatif_delay"):
        if key in body:
            out[key] = _seconds(body, key)
    if "deployment_failure" in body:
        out["deployment_failure"] = _failure(body["deployment_failure"])
    for key in ("permissions", "deny_assignments", "conditional_access_policies"):
        if key in body:
            out[key] = _objects(body, key)
    if "permissions_by_scope" in body:
        by_scope = body["permissions_by_scope"]
        if not isinstance(by_scope, dict) or not all(
            isinstance(v, list) and all(isinstance(p, dict) for p in v) for v in by_scope.values()
        ):
            raise BadKnob("permissions_by_scope must map a scope path to a list of permission objects")
        out["permissions_by_scope"] = {
            "/" + k.strip("/") if k.strip("/") else "": v for k, v in by_scope.items()
        }
    if "unregistered_providers" in body:
        names = body["unregistered_providers"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise BadKnob("unregistered_providers must be a list of namespaces (Microsoft.Security, ...)")
        out["unregistered_providers"] = list(names)
    if "management_groups" in body:
        out["management_groups"] = [
            (_text(g, "tenant_id", "management_groups"), _text(g, "name", "management_groups"), g)
            for g in _objects(body, "management_groups")
        ]
    if "subscriptions" in body:
        out["subscriptions"] = [
            (_text(s, "tenant_id", "subscriptions"), _text(s, "subscription_id", "subscriptions"), s)
            for s in _objects(body, "subscriptions")
        ]
    return out


def apply(cloud: AzureCloud, body: dict[str, Any]) -> None:
    """Apply `body` after checking all of it (a bad body changes nothing); callers hold the lock."""
    knobs = _checked(body)
    arm, directory, pre = cloud.arm, cloud.directory, cloud.directory.preflight
    arm.deployment_delay = knobs.get("deployment_delay", arm.deployment_delay)
    arm.whatif_delay = knobs.get("whatif_delay", arm.whatif_delay)
    if "deployment_failure" in knobs:
        failure = knobs["deployment_failure"]
        if failure is None:
            arm.failures.clear()
        else:
            arm.failures.append(failure)
    pre.permissions = knobs.get("permissions", pre.permissions)
    pre.permissions_by_scope = knobs.get("permissions_by_scope", pre.permissions_by_scope)
    pre.deny_assignments = knobs.get("deny_assignments", pre.deny_assignments)
    pre.unregistered_providers = knobs.get("unregistered_providers", pre.unregistered_providers)
    if "conditional_access_policies" in knobs:
        pre.conditional_access = [
            {"id": str(uuid.uuid4()), "state": "enabled", **p} for p in knobs["conditional_access_policies"]
        ]
    for tenant_id, name, group in knobs.get("management_groups", []):
        directory.add_group(tenant_id, name, str(group.get("display_name") or name), group.get("parent"))
    for tenant_id, sub_id, sub in knobs.get("subscriptions", []):
        display = str(sub.get("display_name") or f"subscription-{sub_id[:8]}")
        directory.add_subscription(tenant_id, sub_id, display, sub.get("parent"))


@router.get("/_emulator/azure")
async def get_azure(request: Request) -> JSONResponse:
    emu = emulator_of(request)
    return JSONResponse(snapshot(azure_cloud(emu), emu.clock.now()))


@router.post("/_emulator/azure")
async def set_azure(request: Request) -> JSONResponse:
    emu = emulator_of(request)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"error": "expected a JSON object"}, status_code=400)
    cloud = azure_cloud(emu)
    try:
        with cloud.lock:
            apply(cloud, body)
    except BadKnob as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(snapshot(cloud, emu.clock.now()))
