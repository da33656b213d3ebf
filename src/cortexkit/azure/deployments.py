"""ARM template deployments at a subscription, management-group or tenant scope: create-or-update, get,
what-if (a 202 whose `Location` is polled) and the deployment's operations (its resources as they are made).

A deployment is a PUT to a name: sending it again while it runs answers 409 `DeploymentActive`, after it
finished starts it again incrementally (no duplicate resources), so a caller that derives the name from its
job adopts the running deployment instead of starting a second one. Pure builders: the dry-run plan and the
job send the same requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from cortexkit.azure.request import AzureRequest

API_VERSION = "2021-04-01"
_VERSION = {"api-version": API_VERSION}
MG_PREFIX = "providers/Microsoft.Management/managementGroups"
DEPLOYMENTS = "providers/Microsoft.Resources/deployments"
TERMINAL_STATES = frozenset({"Succeeded", "Failed", "Canceled"})
"""`provisioningState`s after which a deployment no longer changes by itself."""
NAME_PATTERN = re.compile(r"^[-\w.()]{1,64}$")

ScopeKind = Literal["subscription", "management-group", "tenant"]


def _obj(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one (Azure omits what it has not got)."""
    return value if isinstance(value, Mapping) else {}


def scope_path(
    kind: str, *, subscription_id: str | None = None, management_group_id: str | None = None
) -> str:
    """The ARM path before `/providers/Microsoft.Resources/...` (no leading slash; the tenant's is empty)."""
    if kind == "subscription":
        if not subscription_id:
            raise ValueError("a subscription scope needs the subscription id")
        return f"subscriptions/{subscription_id}"
    if kind == "management-group":
        if not management_group_id:
            raise ValueError("a management-group scope needs the management group id")
        return f"{MG_PREFIX}/{management_group_id}"
    if kind == "tenant":
        return ""
    raise ValueError(f"unknown deployment scope {kind!r}: use subscription, management-group or tenant")


def _join(scope: str, rest: str) -> str:
    return f"{scope.strip('/')}/{rest}" if scope.strip("/") else rest


def deployment_path(scope: str, name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError(f"{name!r} is not a deployment name (1-64 letters, digits, -, _, ., parentheses)")
    return _join(scope, f"{DEPLOYMENTS}/{name}")


def deployment_body(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    *,
    location: str = "eastus",
    mode: str = "Incremental",
) -> dict[str, Any]:
    """`parameters` as ARM wants them (`{"p": {"value": v}}`); plain values are wrapped."""
    wrapped = {
        k: v if isinstance(v, Mapping) and ("value" in v or "reference" in v) else {"value": v}
        for k, v in (parameters or {}).items()
    }
    return {
        "location": location,
        "properties": {"mode": mode, "template": dict(template), "parameters": wrapped},
    }


def create_or_update(scope: str, name: str, body: Mapping[str, Any]) -> AzureRequest:
    """PUT to a fixed name: a resend while it runs meets 409 DeploymentActive (the caller adopts it)."""
    return AzureRequest("arm", "PUT", deployment_path(scope, name), params=_VERSION, json=dict(body))


def get(scope: str, name: str) -> AzureRequest:
    return AzureRequest("arm", "GET", deployment_path(scope, name), params=_VERSION)


def what_if(scope: str, name: str, body: Mapping[str, Any]) -> AzureRequest:
    """POST .../whatIf: changes nothing in Azure, so a resend is harmless (202 + Location to poll)."""
    return AzureRequest(
        "arm", "POST", f"{deployment_path(scope, name)}/whatIf", params=_VERSION, json=dict(body)
    )


def operations(scope: str, name: str) -> AzureRequest:
    return AzureRequest("arm", "GET", f"{deployment_path(scope, name)}/operations", params=_VERSION)


def poll(location: str, arm_base: str) -> AzureRequest:
    """A GET of an async-operation URL ARM returned (`Location`), relative to the ARM base it must be on."""
    parts = urlsplit(location)
    base = urlsplit(arm_base.rstrip("/"))
    if parts.scheme and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        raise ValueError(f"the operation URL {location!r} is not on {arm_base}")
    path = parts.path
    if base.path and path.startswith(base.path.rstrip("/") + "/"):
        path = path[len(base.path.rstrip("/")) :]
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    return AzureRequest("arm", "GET", path.lstrip("/"), params=params or None)


def state_of(deployment: Mapping[str, Any]) -> str:
    props = deployment.get("properties")
    return str(props.get("provisioningState", "")) if isinstance(props, Mapping) else ""


def error_of(deployment: Mapping[str, Any]) -> str:
    """`code: message` of a failed deployment (nested `details` flattened), or an empty string."""
    props = deployment.get("properties")
    error = props.get("error") if isinstance(props, Mapping) else None
    if not isinstance(error, Mapping):
        return ""
    parts = [f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")]
    for detail in error.get("details") or []:
        if isinstance(detail, Mapping):
            parts.append(f"{detail.get('code', '')}: {detail.get('message', '')}".strip(": "))
    return "; ".join(p for p in parts if p)


def changes_of(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """A what-if result's changes as `{"resource_id", "change"}` rows."""
    props = result.get("properties")
    raw = props.get("changes") if isinstance(props, Mapping) else result.get("changes")
    rows: list[dict[str, str]] = []
    for change in raw or []:
        if isinstance(change, Mapping):
            rows.append(
                {
                    "resource_id": str(change.get("resourceId", "")),
                    "change": str(change.get("changeType", "")),
                }
            )
    return rows


def resources_of(answer: Mapping[str, Any]) -> list[dict[str, str]]:
    """The operations list as `{"type", "name", "state"}` rows (one per template resource)."""
    rows: list[dict[str, str]] = []
    for op in answer.get("value") or []:
        props = op.get("properties") if isinstance(op, Mapping) else None
        if not isinstance(props, Mapping):
            continue
        target = _obj(props.get("targetResource"))
        rows.append(
            {
                "type": str(target.get("resourceType", "")),
                "name": str(target.get("resourceName", "")),
                "state": str(props.get("provisioningState", "")),
            }
        )
    return rows
