"""The job specification and its validation, shared by the CLI, the CSV import and the web UI.

`field_errors` is the single source of truth for what a valid job looks like: every entry point calls
it so a row rejected by the UI is rejected by the CLI with the same words. It never raises; it returns
`{field: message}` so a form can show each problem next to its field.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cortexkit.onboarding.cortexflow import spec as _cortex
from cortexkit.resources import azure as _azure_resource

AccountType = Literal["account", "tenant"]
Environment = Literal["azure", "azure_gov", "azure_china"]
ProvisionerName = Literal["existing", "azure-api", "terraform"]
NodeType = Literal["SUBSCRIPTION", "MANAGEMENT_GROUP", "TENANT"]
SelectionType = Literal["ALL", "INCLUDE", "EXCLUDE"]

ACCOUNT_TYPES: tuple[str, ...] = ("account", "tenant")
ENVIRONMENTS: tuple[str, ...] = ("azure", "azure_gov", "azure_china")
PROVISIONERS: tuple[str, ...] = ("existing", "azure-api", "terraform")

ALWAYS_ON_FEATURE = _azure_resource.ALWAYS_ON_FEATURE  # the one definition lives in the resource

STEPS: tuple[str, ...] = ("validate", "features", "identity", "preflight", "add_account", "verify")
"""The ordered steps of a job; a resumed job skips every step already recorded as done."""

STEP_TITLES: dict[str, str] = {
    "validate": "Validate input",
    "features": "Supported features",
    "identity": "Provision the Azure identity",
    "preflight": "Pre-flight status check",
    "add_account": "Add the account",
    "verify": "Verify ingestion",
    **_cortex.STEP_TITLES,
}
CORTEX_STEPS: tuple[str, ...] = _cortex.STEPS
"""The steps of a Cortex Cloud job (a spec with `cortex` options), in order."""


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
GUID_HINT = "Must be a GUID like 00000000-0000-0000-0000-000000000000."


def is_guid(value: object) -> bool:
    return isinstance(value, str) and bool(_GUID.match(value))


class HierarchyNode(BaseModel):
    """One `hierarchySelection` entry of a tenant account with management groups."""

    model_config = ConfigDict(extra="forbid")

    resource_id: str
    display_name: str = ""
    node_type: NodeType = "MANAGEMENT_GROUP"
    selection_type: SelectionType = "INCLUDE"

    def to_api(self) -> dict[str, str]:
        return {
            "resourceId": self.resource_id,
            "displayName": self.display_name or self.resource_id,
            "nodeType": self.node_type,
            "selectionType": self.selection_type,
        }


class JobSpec(BaseModel):
    """What to onboard and how. Never holds a secret: the client secret travels beside it, encrypted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str | None = None
    account_type: AccountType = "account"
    subscription_id: str | None = None
    tenant_id: str
    environment: Environment = "azure"
    name: str = Field(min_length=1, max_length=200)
    account_group_ids: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    monitor_flow_logs: bool = False
    provisioner: ProvisionerName = "existing"
    client_id: str | None = None
    service_principal_id: str | None = None
    root_sync_enabled: bool = False
    hierarchy_selection: tuple[HierarchyNode, ...] = ()
    default_account_group_id: str | None = None
    cortex: _cortex.CortexOptions | None = None
    """Set for an onboarding through Cortex Cloud (its steps are `CORTEX_STEPS`)."""

    @property
    def kind(self) -> str:
        return "cortex" if self.cortex is not None else "prisma"

    @property
    def prisma_account_id(self) -> str:
        """The `accountId` Prisma Cloud keys the account by: the subscription, or the tenant for a tenant."""
        if self.account_type == "tenant":
            return self.tenant_id
        return self.subscription_id or ""

    def requested_features(self) -> list[str]:
        """Features to send: deduplicated, without the always-on one the API refuses."""
        return _azure_resource.requestable(self.features)


def steps_for(spec: JobSpec) -> tuple[str, ...]:
    """The ordered steps of this job's kind."""
    return CORTEX_STEPS if spec.cortex is not None else STEPS


def _guid_error(data: dict[str, Any], name: str, required: bool) -> str | None:
    value = data.get(name)
    if value in (None, ""):
        return "Required." if required else None
    return None if is_guid(value) else GUID_HINT


def field_errors(data: dict[str, Any]) -> dict[str, str]:
    """Every problem of a would-be `JobSpec`, keyed by field name; `{}` means `JobSpec(**data)` is valid.

    Checks the rules the API would otherwise reject late (after an Azure identity was already created):
    GUID shapes, the subscription/tenant split, and what each provisioner needs.
    """
    if data.get("cortex") is not None:
        return _cortex_field_errors(data)
    errors: dict[str, str] = {}
    account_type = data.get("account_type") or "account"
    provisioner = data.get("provisioner") or "existing"
    environment = data.get("environment") or "azure"
    if account_type not in ACCOUNT_TYPES:
        errors["account_type"] = "Must be one of: " + ", ".join(ACCOUNT_TYPES) + "."
    if environment not in ENVIRONMENTS:
        errors["environment"] = "Must be one of: " + ", ".join(ENVIRONMENTS) + "."
    if provisioner not in PROVISIONERS:
        errors["provisioner"] = "Must be one of: " + ", ".join(PROVISIONERS) + "."
    checks = {
        "tenant_id": True,
        "subscription_id": account_type == "account",
        "client_id": provisioner in ("existing", "azure-api"),
        "service_principal_id": provisioner == "existing",
        "default_account_group_id": False,
    }
    for name, required in checks.items():
        problem = _guid_error(data, name, required)
        if problem:
            errors[name] = problem
    if account_type == "tenant" and data.get("subscription_id"):
        errors["subscription_id"] = "A tenant account takes no subscription id."
    given_name = data.get("name")
    if not isinstance(given_name, str) or not given_name.strip():
        errors["name"] = "Required."
    if provisioner == "terraform" and environment == "azure_china":
        errors["provisioner"] = "Azure China has no onboarding template; use 'existing' or 'azure-api'."
    if account_type != "tenant" and (data.get("root_sync_enabled") or data.get("hierarchy_selection")):
        errors["root_sync_enabled"] = "Management groups apply to tenant accounts only."
    if not errors:
        try:
            JobSpec.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else "__all__"
                errors.setdefault(field, str(err["msg"]))
    return errors


def _cortex_field_errors(data: dict[str, Any]) -> dict[str, str]:
    errors = _cortex.field_errors(data)
    if not errors:
        try:
            JobSpec.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][-1]) if err["loc"] else "__all__"
                errors.setdefault(field, str(err["msg"]))
    return errors
