"""The read-only Azure calls an onboarding preflight makes (what PANW's `cc-permissions-preflight` checks,
through the REST API instead of the az CLI): subscriptions and management-group descendants under a scope,
the caller's effective permissions, deny assignments, resource-provider registration, and Conditional Access
policies (Graph). Pure builders, plus the pure readings of their answers.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cortexkit.azure.deployments import MG_PREFIX
from cortexkit.azure.request import AzureRequest

SUBSCRIPTIONS_VERSION = {"api-version": "2022-12-01"}
MG_VERSION = {"api-version": "2020-05-01"}
AUTHZ_VERSION = {"api-version": "2022-04-01"}
PROVIDERS_VERSION = {"api-version": "2021-04-01"}
ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
"""Azure Resource Manager's application id, as Conditional Access policies name it."""
SUBSCRIPTION_TYPE = "Microsoft.Management/managementGroups/subscriptions"


def _obj(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one (Azure omits what it has not got)."""
    return value if isinstance(value, Mapping) else {}


def _scoped(scope: str, rest: str) -> str:
    return f"{scope.strip('/')}/{rest}" if scope.strip("/") else rest


def subscriptions() -> AzureRequest:
    return AzureRequest("arm", "GET", "subscriptions", params=SUBSCRIPTIONS_VERSION)


def descendants(management_group_id: str) -> AzureRequest:
    return AzureRequest("arm", "GET", f"{MG_PREFIX}/{management_group_id}/descendants", params=MG_VERSION)


def permissions(scope: str) -> AzureRequest:
    """The caller's effective actions at `scope` (a subscription or a management group)."""
    return AzureRequest(
        "arm", "GET", _scoped(scope, "providers/Microsoft.Authorization/permissions"), params=AUTHZ_VERSION
    )


def deny_assignments(scope: str) -> AzureRequest:
    return AzureRequest(
        "arm",
        "GET",
        _scoped(scope, "providers/Microsoft.Authorization/denyAssignments"),
        params=AUTHZ_VERSION,
    )


def providers(subscription_id: str) -> AzureRequest:
    return AzureRequest("arm", "GET", f"subscriptions/{subscription_id}/providers", params=PROVIDERS_VERSION)


def conditional_access_policies() -> AzureRequest:
    return AzureRequest("graph", "GET", "v1.0/identity/conditionalAccess/policies")


def subscription_ids(answer: Mapping[str, Any], tenant_id: str | None = None) -> list[str]:
    """Subscription ids of a `GET /subscriptions` answer (of one tenant when given), enabled ones only."""
    found: list[str] = []
    for row in answer.get("value") or []:
        if not isinstance(row, Mapping):
            continue
        if tenant_id and row.get("tenantId") and str(row["tenantId"]).lower() != tenant_id.lower():
            continue
        if str(row.get("state", "Enabled")) not in ("Enabled", "Warned", "PastDue"):
            continue
        sid = row.get("subscriptionId") or str(row.get("id", "")).rsplit("/", 1)[-1]
        if sid:
            found.append(str(sid))
    return found


def descendant_subscription_ids(answer: Mapping[str, Any]) -> list[str]:
    return [
        str(row.get("name"))
        for row in answer.get("value") or []
        if isinstance(row, Mapping) and row.get("type") == SUBSCRIPTION_TYPE and row.get("name")
    ]


def _matches(action: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def missing_actions(answer: Mapping[str, Any], needed: Sequence[str]) -> list[str]:
    """The `needed` actions the permissions answer does not grant (an action is granted when some entry's
    `actions` match it and none of that entry's `notActions` do, as Azure evaluates them)."""
    entries = [e for e in answer.get("value") or [] if isinstance(e, Mapping)]
    missing: list[str] = []
    for action in needed:
        granted = any(
            _matches(action, e.get("actions") or []) and not _matches(action, e.get("notActions") or [])
            for e in entries
        )
        if not granted:
            missing.append(action)
    return missing


def deny_names(answer: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for row in answer.get("value") or []:
        if isinstance(row, Mapping):
            props = _obj(row.get("properties"))
            names.append(str(props.get("denyAssignmentName") or row.get("name") or row.get("id") or "?"))
    return names


def unregistered(answer: Mapping[str, Any], needed: Sequence[str]) -> list[str]:
    """The `needed` provider namespaces not `Registered` in the answer (absent ones count as missing)."""
    state = {
        str(row.get("namespace", "")).lower(): str(row.get("registrationState", ""))
        for row in answer.get("value") or []
        if isinstance(row, Mapping)
    }
    return [ns for ns in needed if state.get(ns.lower(), "NotRegistered") != "Registered"]


def blocking_policies(answer: Mapping[str, Any]) -> list[str]:
    """Display names of enabled Conditional Access policies that apply to ARM (or to all apps)."""
    names: list[str] = []
    for row in answer.get("value") or []:
        if not isinstance(row, Mapping) or row.get("state") != "enabled":
            continue
        conditions = _obj(row.get("conditions"))
        apps = _obj(conditions.get("applications"))
        included = [str(a) for a in apps.get("includeApplications") or []]
        excluded = [str(a) for a in apps.get("excludeApplications") or []]
        if (ARM_APP_ID in included or "All" in included) and ARM_APP_ID not in excluded:
            names.append(str(row.get("displayName") or row.get("id") or "?"))
    return names
