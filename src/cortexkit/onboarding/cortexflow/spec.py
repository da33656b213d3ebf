"""What a Cortex onboarding job asks for, and its validation (pure; imports nothing of the engine).

A `JobSpec` whose `cortex` field is set is a Cortex job: `tenant_id`, `subscription_id`, `name`,
`environment` and `client_id` (the Azure operator app that deploys the template) come from the `JobSpec`,
the rest from `CortexOptions`. The Cortex template request itself is `cortex.template.request_data`, fed by
`template_spec`, so the plan, the CLI and the job send the same body.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cortexkit.azure import deployments
from cortexkit.cortex import template

Scope = Literal["subscription", "management-group", "tenant"]
Deploy = Literal["arm", "terraform", "manual"]
SCOPES: tuple[str, ...] = ("subscription", "management-group", "tenant")
DEPLOYS: tuple[str, ...] = ("arm", "terraform", "manual")
STEPS: tuple[str, ...] = (
    "validate",
    "preflight",
    "template",
    "download",
    "deploy",
    "wait_cortex",
    "reconcile",
)
STEP_TITLES: dict[str, str] = {
    "template": "Create the Cortex template",
    "download": "Download the packages",
    "deploy": "Deploy the template to Azure",
    "wait_cortex": "Wait for Cortex to connect",
    "reconcile": "Reconcile accounts",
}
_LOCATION = re.compile(r"^[a-z0-9]{2,40}$")
_TAG_KEY = re.compile(r"^[^<>%&\\?/]{1,128}$")


class CortexOptions(BaseModel):
    """The Cortex-only part of a job's spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scope: Scope = "subscription"
    management_group_id: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    """Capabilities to turn on besides the defaults (`cortex.template.CAPABILITY_DEFAULTS` names);
    `no-<name>` turns a default off."""
    audit_logs: bool = True
    tags: tuple[tuple[str, str], ...] = ()
    deploy: Deploy = "arm"
    location: str = Field(default="eastus", min_length=2, max_length=40)


def _guid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def capability_overrides(names: Sequence[str]) -> dict[str, bool]:
    """`["dspm", "no-registry_scanning"]` -> `{"data_security_posture_management": True, ...}`."""
    aliases = {"dspm": "data_security_posture_management", "ads": "agentless_disk_scanning"}
    out: dict[str, bool] = {}
    for raw in names:
        name = raw.strip().lower().replace("-", "_")
        on = not name.startswith("no_")
        name = name[3:] if not on else name
        out[aliases.get(name, name)] = on
    return out


def template_spec(
    tenant_id: str,
    name: str,
    options: CortexOptions,
    subscription_id: str | None = None,
    scope_subscriptions: Sequence[str] = (),
) -> template.AzureTemplateSpec:
    """The Cortex template request for the job. A management-group job asks Cortex for a tenant-scope
    template limited to the subscriptions Azure lists under the group (`scope_subscriptions`), since the
    API's field that names a management group is not documented."""
    scope = options.scope
    include = options.include
    if scope == "management-group":
        scope = "tenant"
        excluded = {s.lower() for s in options.exclude}
        include = tuple(s for s in scope_subscriptions if s.lower() not in excluded) or options.include
    return template.AzureTemplateSpec(
        tenant_id=tenant_id,
        name=name,
        scope=scope,
        subscription_id=subscription_id if scope == "subscription" else None,
        include=include,
        exclude=options.exclude if options.scope == "tenant" else (),
        capabilities=capability_overrides(options.capabilities),
        audit_logs=options.audit_logs,
        tags=dict(options.tags),
    )


def field_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """Every problem of a would-be Cortex `JobSpec` (its `cortex` given as a dict or `CortexOptions`)."""
    errors: dict[str, str] = {}
    raw = data.get("cortex")
    options_data = raw.model_dump() if isinstance(raw, CortexOptions) else dict(raw or {})
    scope = options_data.get("scope") or "subscription"
    deploy = options_data.get("deploy") or "arm"
    if scope not in SCOPES:
        errors["scope"] = f"Must be one of: {', '.join(SCOPES)}."
    if deploy not in DEPLOYS:
        errors["deploy"] = f"Must be one of: {', '.join(DEPLOYS)}."
    tenant_id = data.get("tenant_id")
    if not _guid(tenant_id):
        errors["tenant_id"] = "Required: the Azure tenant (directory) id, a GUID."
    sub = data.get("subscription_id")
    if scope == "subscription" and not _guid(sub):
        errors["subscription_id"] = "Subscription scope needs the subscription id (a GUID)."
    if scope != "subscription" and sub:
        errors["subscription_id"] = "Only subscription scope takes a subscription id."
    group = options_data.get("management_group_id")
    if scope == "management-group" and not group:
        errors["management_group_id"] = "Management-group scope needs the management group id."
    if scope != "management-group" and group:
        errors["management_group_id"] = "Only management-group scope takes a management group id."
    include = list(options_data.get("include") or ())
    exclude = list(options_data.get("exclude") or ())
    if scope == "subscription" and (include or exclude):
        errors["include"] = "--include/--exclude apply to tenant and management-group scope only."
    elif include and exclude:
        errors["exclude"] = "Give --include or --exclude, not both."
    elif include and scope == "management-group":
        errors["include"] = "Management-group scope takes every subscription of the group; use --exclude."
    bad = [s for s in (*include, *exclude) if not _guid(s)]
    if bad:
        errors.setdefault("include", f"Subscription ids must be GUIDs: {', '.join(map(str, bad[:3]))}.")
    unknown = sorted(
        set(capability_overrides(options_data.get("capabilities") or ())) - set(template.CAPABILITY_DEFAULTS)
    )
    if unknown:
        errors["capabilities"] = (
            f"Unknown capability {', '.join(unknown)}: use {', '.join(template.CAPABILITY_DEFAULTS)} "
            "(or no-<name> to turn a default off)."
        )
    location = options_data.get("location") or "eastus"
    if not isinstance(location, str) or not _LOCATION.match(location):
        errors["location"] = "An Azure region name such as eastus or westeurope."
    for key, _value in options_data.get("tags") or ():
        if key == "managed_by" or not _TAG_KEY.match(str(key)):
            errors["tags"] = f"Tag key {key!r} is not allowed (managed_by is Cortex's own; no <>%&\\?/)."
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "Required: the Cortex instance name (unique: a lost answer is reconciled by it)."
    if deploy in ("arm", "terraform") and not _guid(data.get("client_id")):
        errors["client_id"] = (
            f"--deploy {deploy} signs in to Azure as an app: give its --client-id (a GUID) and its secret in "
            "AZURE_CLIENT_SECRET (or use --deploy manual)."
        )
    if data.get("environment", "azure") not in ("azure", None):
        errors["environment"] = "Cortex onboarding supports the Azure public cloud only."
    return errors


def deployment_name(job_id: str) -> str:
    """The ARM deployment's name, fixed by the job: a resumed job finds (and adopts) its own deployment."""
    return f"cortexkit-onboarding-{job_id}"[:64]


def deployment_scope(options: CortexOptions, subscription_id: str | None, tenant_id: str) -> str:
    """Where the template deploys: the subscription, the management group, or the tenant."""
    return deployments.scope_path(
        options.scope, subscription_id=subscription_id, management_group_id=options.management_group_id
    )


def permission_scope(options: CortexOptions, subscription_id: str | None, tenant_id: str) -> str:
    """The scope whose permissions the preflight reads: the tenant's root management group for a tenant."""
    if options.scope == "tenant":
        return deployments.scope_path("management-group", management_group_id=tenant_id)
    return deployment_scope(options, subscription_id, tenant_id)
