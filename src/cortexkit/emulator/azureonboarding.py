"""Azure onboarding rules shared by the v2 (`/cas/v1/...`) and deprecated v1 (`/cloud/azure`) routes.

Validation raises `OnboardingProblem(status, i18n_key, message)`; each route renders it in its own error
style. The specs declare no formats for the ids; the emulator requires UUIDs for the tenant, the
subscription, the client id and the service principal (an assumption, written in the docs), because
that is what Azure issues and what catches a swapped field early.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cortexkit.emulator.accountviews import BASE_FEATURE, WARNING_MARKER
from cortexkit.emulator.catalog import REGIONS
from cortexkit.emulator.entities import CloudAccount
from cortexkit.emulator.state import TenantState, fingerprint

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ENVIRONMENTS = ("azure", "azure_gov", "azure_china")
SUBSCRIPTION_FEATURES = (
    "Agentless Scanning",
    "Auto Protect",
    BASE_FEATURE,
    "Remediation",
    "Serverless Function Scanning",
)
KNOWN_FEATURES = frozenset({*SUBSCRIPTION_FEATURES, "Agentless API Discovery"})


class OnboardingProblem(Exception):
    """A request the real service refuses; `i18n_key` is one of the documented keys."""

    def __init__(self, status: int, i18n_key: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.i18n_key = i18n_key
        self.message = message


def supported_features(account_type: str, root_sync: bool) -> tuple[str, list[str]]:
    """(accountType echoed back, feature names) as the onboarding guide's samples show them."""
    if account_type == "tenant":
        if root_sync:
            return "tenantWithMgmt", list(SUBSCRIPTION_FEATURES)
        return "tenant", [BASE_FEATURE]
    return account_type, list(SUBSCRIPTION_FEATURES)


def from_v1(body: Mapping[str, Any]) -> dict[str, Any]:
    """The v2 shape of a v1 body: seed 004 sends the account fields flat, the 2023 spec nests them."""
    full = {"environmentType": "azure", **body}  # seed 004's v1 body has none; v1 meant commercial Azure
    if isinstance(full.get("cloudAccount"), Mapping):
        return full
    account_keys = ("accountId", "accountType", "enabled", "groupIds", "name", "protectionMode")
    nested = {k: full[k] for k in account_keys if k in full}
    rest = {k: v for k, v in full.items() if k not in account_keys}
    return {**rest, "cloudAccount": nested}


def _required_str(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise OnboardingProblem(400, "missing_required_parameter", f"{name} is required")
    return value.strip()


def _uuid(value: str, name: str) -> None:
    if not UUID_RE.match(value):
        raise OnboardingProblem(400, "invalid_account_id_format", f"{name} must be a UUID")


V1_REQUIRED = ("servicePrincipalId", "monitorFlowLogs")
V1_ACCOUNT_REQUIRED = ("groupIds", "protectionMode")


def require_v1_fields(body: Mapping[str, Any]) -> None:
    """The deprecated `POST /cloud/azure` requires more than v2 (2023 spec, historical/CloudAccounts.json):
    `servicePrincipalId` and `monitorFlowLogs`, and for a subscription `cloudAccount.groupIds` and
    `cloudAccount.protectionMode`."""
    account = body.get("cloudAccount")
    missing = [name for name in V1_REQUIRED if name not in body]
    if isinstance(account, Mapping) and account.get("accountType", "account") == "account":
        missing += [f"cloudAccount.{name}" for name in V1_ACCOUNT_REQUIRED if name not in account]
    if missing:
        raise OnboardingProblem(400, "missing_required_parameter", f"{', '.join(missing)} required")


def validate(
    state: TenantState, body: Mapping[str, Any], existing: CloudAccount | None = None, *, v1: bool = False
) -> dict[str, Any]:
    """Check an add/update/status body against the tenant; returns the normalised fields.

    `v1`: the deprecated body, whose `cloudAccount.enabled` defaults to false (v2 defaults to true)."""
    account = body.get("cloudAccount")
    if not isinstance(account, Mapping):
        raise OnboardingProblem(400, "missing_required_parameter", "cloudAccount is required")
    account_type = account.get("accountType")
    if account_type not in ("account", "tenant"):
        raise OnboardingProblem(
            404, "invalid_account_type", "cloudAccount.accountType must be account or tenant"
        )
    name = _required_str(account, "name")
    tenant_id = _required_str(body, "tenantId")
    client_id = _required_str(body, "clientId")
    key = _required_str(body, "key")
    environment = _required_str(body, "environmentType")
    if environment not in ENVIRONMENTS:
        raise OnboardingProblem(
            400, "bad_request", f"environmentType must be one of {', '.join(ENVIRONMENTS)}"
        )
    _uuid(tenant_id, "tenantId")
    _uuid(client_id, "clientId")
    sp_id = body.get("servicePrincipalId")
    if sp_id is not None:
        if not isinstance(sp_id, str):
            raise OnboardingProblem(400, "invalid_account_id_format", "servicePrincipalId must be a UUID")
        _uuid(sp_id, "servicePrincipalId")
    if account_type == "account":
        account_id = _required_str(account, "accountId")
        _uuid(account_id, "cloudAccount.accountId")
    else:
        account_id = tenant_id
    group_ids = account.get("groupIds") or []
    if not isinstance(group_ids, list) or not all(isinstance(g, str) for g in group_ids):
        raise OnboardingProblem(
            400, "invalid_account_group_ids", "cloudAccount.groupIds must be a list of ids"
        )
    if account_type == "account" and account.get("groupIds") == []:
        # A subscription must sit in a group (the specs list this key for add and update); leaving the
        # key out picks the Default Account Group. Tenants may send [] (their children get groups).
        raise OnboardingProblem(
            400, "cannot_select_zero_account_groups", "cloudAccount.groupIds must name at least one group"
        )
    unknown = [g for g in group_ids if state.group_by_id(g) is None]
    if unknown:
        raise OnboardingProblem(
            400, "invalid_account_group_ids", f"unknown account group ids: {', '.join(unknown)}"
        )
    features = _features(body.get("features"))
    taken = state.find_account("azure", account_id) is not None
    if taken and (existing is None or existing.account_id != account_id):
        raise OnboardingProblem(400, "duplicate_cloud_account", f"account {account_id} is already onboarded")
    if any(a.name == name and a is not existing for a in state.accounts):
        raise OnboardingProblem(400, "duplicate_cloud_account_name", f"the name {name!r} is already used")
    return {
        "account_id": account_id,
        "account_type": account_type,
        "name": name,
        "enabled": account.get("enabled", not v1) is not False,
        "group_ids": group_ids,
        "tenant_id": tenant_id,
        "client_id": client_id,
        "service_principal_id": sp_id,
        "key_fingerprint": fingerprint(key),
        "environment_type": environment,
        "monitor_flow_logs": bool(body.get("monitorFlowLogs", False)),
        "features": features,
        "protection_mode": account.get("protectionMode") or "MONITOR",
    }


def _features(raw: Any) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise OnboardingProblem(400, "bad_request", "features must be a list")
    out = []
    for item in raw:
        name = item.get("name") if isinstance(item, Mapping) else None
        if name not in KNOWN_FEATURES:
            raise OnboardingProblem(400, "bad_request", f"unknown feature {name!r}")
        state = item.get("state", "enabled")
        if state not in ("enabled", "disabled"):
            raise OnboardingProblem(
                400, "bad_request", f"feature {name!r}: state must be enabled or disabled"
            )
        feature = {"name": str(name), "state": str(state)}
        if item.get("defaultMemberState") in ("enabled", "disabled"):
            feature["defaultMemberState"] = str(item["defaultMemberState"])
        out.append(feature)
    return out


def add(state: TenantState, fields: dict[str, Any], user: str) -> CloudAccount:
    """Create the account from validated fields; it starts its status timeline now."""
    now = state.now_ms()
    default_group = next((g.id for g in state.groups if g.name == "Default Account Group"), None)
    account = CloudAccount(
        account_id=fields["account_id"],
        name=fields["name"],
        cloud_type="azure",
        account_type=fields["account_type"],
        enabled=fields["enabled"],
        added_on=now,
        last_modified_ts=now,
        last_modified_by=user,
        deployment_type=fields["environment_type"],
        protection_mode=fields["protection_mode"],
        regions=REGIONS["azure"],
        features=fields["features"],
        tenant_id=fields["tenant_id"],
        client_id=fields["client_id"],
        service_principal_id=fields["service_principal_id"],
        key_fingerprint=fields["key_fingerprint"],
        monitor_flow_logs=fields["monitor_flow_logs"],
        environment_type=fields["environment_type"],
        onboarded_at_ms=now,
        storage_uuid="",
    )
    state.accounts.append(account)
    groups = fields["group_ids"] or ([default_group] if default_group else [])
    state.set_account_groups(account, groups)
    return account


def update(state: TenantState, account: CloudAccount, fields: dict[str, Any], user: str) -> None:
    """Apply validated fields to `account`; new credentials restart the status timeline."""
    now = state.now_ms()
    credentials_changed = (
        fields["client_id"] != account.client_id or fields["key_fingerprint"] != account.key_fingerprint
    )
    account.name = fields["name"]
    account.enabled = fields["enabled"]
    account.features = fields["features"]
    account.client_id = fields["client_id"]
    account.service_principal_id = fields["service_principal_id"]
    account.key_fingerprint = fields["key_fingerprint"]
    account.monitor_flow_logs = fields["monitor_flow_logs"]
    account.environment_type = fields["environment_type"]
    account.deployment_type = fields["environment_type"]
    account.last_modified_ts = now
    account.last_modified_by = user
    if credentials_changed:
        account.onboarded_at_ms = now
    if fields["group_ids"]:
        state.set_account_groups(account, fields["group_ids"])


def precheck(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """`CloudAccountStatus[]` of the dry run: one entry per component the account would use."""
    warn = WARNING_MARKER in fields["name"].lower()
    components = ["Authentication", "Config"]
    if fields["monitor_flow_logs"]:
        components.append("Flow Logs")
    components += [
        f["name"] for f in fields["features"] if f["state"] == "enabled" and f["name"] != BASE_FEATURE
    ]
    out = []
    for component in components:
        if warn and component not in ("Authentication", "Config"):
            status, message = "warning", f"{component}: some required permissions are missing"
        else:
            status, message = "ok", ""
        out.append(
            {
                "id": component.lower().replace(" ", "_"),
                "name": component,
                "status": status,
                "statusMessage": {"message": message, "staticMessage": False},
            }
        )
    return out
