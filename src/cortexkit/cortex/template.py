"""The `create_instance_template` body for an Azure onboarding, from what the user chose (pure).

Reference §3.2 (the Go SDK's `CreateIntegrationTemplateRequest`, the Terraform provider's defaults): scope
ORGANIZATION (an Azure tenant) or ACCOUNT (a subscription), `account_details.organization_id` = the tenant
(required for Azure), the `managed_by: paloaltonetworks` tag always present, audit-log collection, and the
capabilities with the provider's defaults (all on but DSPM). Targeting one subscription as scope ACCOUNT with
a subscriptions INCLUDE list is the reference's GUESS; the field that names a management group (scope
ACCOUNT_GROUP) is not documented at all, so that scope is refused with the way round it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Scope = Literal["subscription", "management-group", "tenant"]
SCOPES: tuple[Scope, ...] = ("subscription", "management-group", "tenant")
API_SCOPE = {"subscription": "ACCOUNT", "management-group": "ACCOUNT_GROUP", "tenant": "ORGANIZATION"}

CAPABILITY_DEFAULTS: dict[str, bool] = {
    "xsiam_analytics": True,
    "data_security_posture_management": False,  # [TF]: false at object level, although its doc says true
    "registry_scanning": True,
    "serverless_scanning": True,
    "agentless_disk_scanning": True,
}
REGISTRY_SCANNING_TYPES = ("ALL", "LATEST_TAG", "TAGS_MODIFIED_DAYS")
MANAGED_BY = {"key": "managed_by", "value": "paloaltonetworks"}


@dataclass(frozen=True)
class AzureTemplateSpec:
    tenant_id: str
    name: str
    scope: str = "subscription"
    subscription_id: str | None = None
    include: tuple[str, ...] = ()  # tenant scope: only these subscriptions
    exclude: tuple[str, ...] = ()  # tenant scope: all but these
    capabilities: Mapping[str, bool] = field(default_factory=dict)  # overrides of CAPABILITY_DEFAULTS
    audit_logs: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)
    registry_scanning_type: str = "ALL"
    registry_scanning_days: int | None = None  # with TAGS_MODIFIED_DAYS: 0..90


def _guid(value: str | None) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def field_errors(spec: AzureTemplateSpec) -> dict[str, str]:
    """Every problem of the spec, by field, each a sentence with the fix (empty: the spec is good)."""
    out: dict[str, str] = {}
    if not _guid(spec.tenant_id):
        out["tenant_id"] = "the Azure tenant id must be a GUID (Entra ID > Overview > Tenant ID)"
    if not spec.name.strip():
        out["name"] = "give the instance a name (it is how a lost answer is reconciled, so keep it unique)"
    if spec.scope not in SCOPES:
        out["scope"] = f"scope must be one of {', '.join(SCOPES)}"
    elif spec.scope == "management-group":
        out["scope"] = (
            "management-group scope is not supported yet: the API field that names the management group is "
            "not documented; use tenant scope with --include for its subscriptions"
        )
    elif spec.scope == "subscription":
        if not _guid(spec.subscription_id):
            out["subscription_id"] = "subscription scope needs the subscription id (a GUID)"
        if spec.include or spec.exclude:
            out["include"] = "--include/--exclude apply to tenant scope only"
    if spec.include and spec.exclude:
        out["exclude"] = "give --include or --exclude, not both"
    bad = [s for s in (*spec.include, *spec.exclude) if not _guid(s)]
    if bad:
        out.setdefault("include", f"subscription ids must be GUIDs: {', '.join(bad[:3])}")
    unknown = sorted(set(spec.capabilities) - set(CAPABILITY_DEFAULTS))
    if unknown:
        out["capabilities"] = (
            f"unknown capabilities {', '.join(unknown)}: use {', '.join(CAPABILITY_DEFAULTS)}"
        )
    if spec.registry_scanning_type not in REGISTRY_SCANNING_TYPES:
        out["registry_scanning_type"] = f"use one of {', '.join(REGISTRY_SCANNING_TYPES)}"
    days = spec.registry_scanning_days
    if spec.registry_scanning_type == "TAGS_MODIFIED_DAYS" and (days is None or not 0 <= days <= 90):
        out["registry_scanning_days"] = "TAGS_MODIFIED_DAYS needs a number of days from 0 to 90"
    if "managed_by" in spec.tags and spec.tags["managed_by"] != MANAGED_BY["value"]:
        out["tags"] = "the managed_by tag is Cortex's own (paloaltonetworks); use another key"
    return out


def _subscriptions(spec: AzureTemplateSpec) -> dict[str, Any]:
    if spec.scope == "subscription":
        return {"enabled": True, "type": "INCLUDE", "subscription_ids": [spec.subscription_id]}
    if spec.include:
        return {"enabled": True, "type": "INCLUDE", "subscription_ids": list(spec.include)}
    if spec.exclude:
        return {"enabled": True, "type": "EXCLUDE", "subscription_ids": list(spec.exclude)}
    return {"enabled": False}


def request_data(spec: AzureTemplateSpec) -> dict[str, Any]:
    """The `request_data` of `create_instance_template`; `ValueError` naming every problem otherwise."""
    problems = field_errors(spec)
    if problems:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in problems.items()))
    capabilities: dict[str, Any] = {**CAPABILITY_DEFAULTS, **spec.capabilities}
    options: dict[str, Any] = {"type": spec.registry_scanning_type}
    if spec.registry_scanning_type == "TAGS_MODIFIED_DAYS":
        options["last_days"] = spec.registry_scanning_days
    capabilities["registry_scanning_options"] = options
    tags = [MANAGED_BY] + [{"key": k, "value": v} for k, v in spec.tags.items() if k != "managed_by"]
    return {
        "scope": API_SCOPE[spec.scope],
        "scan_mode": "MANAGED",
        "cloud_provider": "AZURE",
        "account_details": {"organization_id": spec.tenant_id},
        "instance_name": spec.name.strip(),
        "custom_resources_tags": tags,
        "collection_configuration": {
            "audit_logs": {"enabled": spec.audit_logs, "collection_method": "AUTOMATED", "data_events": False}
        },
        "scope_modifications": {"subscriptions": _subscriptions(spec), "regions": {"enabled": False}},
        "additional_capabilities": capabilities,
    }
