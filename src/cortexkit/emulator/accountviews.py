"""Cloud-account views (list, detail, names) and the Azure onboarding status timeline.

The timeline is a pure function of (account, seconds since onboarding, `status_delay`): for the first
half of the delay every component is `pending`; then the core config ingestion turns `ok` while the
other components stay pending; after the full delay each component settles on `ok`, or `warning` when
the account name contains `warn` (the documented convention tests use to force a warning).
"""

from __future__ import annotations

from typing import Any

from cortexkit.emulator.entities import AccountGroup, CloudAccount

BASE_FEATURE = "Cloud Visibility Compliance and Governance"
WARNING_MARKER = "warn"
# The onboarding requests say `azure_gov` (AzureTemplateGenRequest, FeaturesAvailableRequest, the
# `environmentType` of an add); the account views' `deploymentType` is the spec's Java enum
# (AZURE, AZURE_GOVERNMENT, AZURE_CHINA, ...), rendered lower case like every enum here.
DEPLOYMENT_TYPES = {"azure": "azure", "azure_gov": "azure_government", "azure_china": "azure_china"}


def deployment_type(account: CloudAccount) -> str:
    return DEPLOYMENT_TYPES.get(account.deployment_type, account.deployment_type)


def group_infos(groups: list[AccountGroup]) -> list[dict[str, Any]]:
    return [
        {
            "groupId": g.id,
            "groupName": g.name,
            "autoCreated": g.auto_created,
            "lastModifiedBy": g.last_modified_by,
        }
        for g in groups
    ]


def list_view(
    account: CloudAccount, groups: list[AccountGroup], status: str, with_groups: bool
) -> dict[str, Any]:
    """`CloudAccountListViewModel`, as `GET /cloud` returns it."""
    view: dict[str, Any] = {
        "accountId": account.account_id,
        "name": account.name,
        "cloudType": account.cloud_type,
        "accountType": account.account_type,
        "enabled": account.enabled,
        "status": status,
        "numberOfChildAccounts": 0,
        "groupIds": [g.id for g in groups],
        "protectionMode": account.protection_mode,
        "deploymentType": deployment_type(account),
        "storageScanEnabled": False,
        "storageUUID": account.storage_uuid,
        "lastModifiedTs": account.last_modified_ts,
        "lastModifiedBy": account.last_modified_by,
        "addedOn": account.added_on,
        "associatedAccountGroupsCount": len(groups),
        "cloudAccountOwner": account.last_modified_by,
        "cloudAccountOwnerCount": 1,
    }
    if with_groups:
        # `groups` is left out: the spec types its items as maps of objects, which no real answer has;
        # `accountGroupInfos` carries the same ids and names.
        view["accountGroupInfos"] = group_infos(groups)
    return view


def detail_view(account: CloudAccount, groups: list[AccountGroup]) -> dict[str, Any]:
    """`CloudAccountModel`, as `GET /cloud/{cloud_type}/{id}` returns it (never the client secret)."""
    view: dict[str, Any] = {
        "accountId": account.account_id,
        "name": account.name,
        "cloudType": account.cloud_type,
        "accountType": account.account_type,
        "enabled": account.enabled,
        "groupIds": [g.id for g in groups],
        "accountGroupInfos": group_infos(groups),
        "associatedAccountGroupsCount": len(groups),
        "features": account.features,
        "deploymentType": deployment_type(account),
        "protectionMode": account.protection_mode,
        "storageScanEnabled": False,
        "storageUUID": account.storage_uuid,
        "addedOn": account.added_on,
        "lastModifiedTs": account.last_modified_ts,
        "lastModifiedBy": account.last_modified_by,
        "cloudAccountOwner": account.last_modified_by,
        "cloudAccountOwnerCount": 1,
    }
    if account.cloud_type == "azure" and account.tenant_id is not None:
        # Azure-specific details the v1 model had; the secret is deliberately absent.
        view.update(
            {
                "tenantId": account.tenant_id,
                "clientId": account.client_id,
                "servicePrincipalId": account.service_principal_id,
                "environmentType": account.environment_type or "azure",
                "monitorFlowLogs": account.monitor_flow_logs,
            }
        )
    return view


def _components(account: CloudAccount) -> list[str]:
    names = [BASE_FEATURE]
    names += [
        f["name"] for f in account.features if f.get("state") == "enabled" and f["name"] != BASE_FEATURE
    ]
    return names


def _sub_components(account: CloudAccount) -> list[str]:
    subs = ["Config", "Microsoft Entra ID"]
    if account.monitor_flow_logs:
        subs.append("Flow Logs")
    return subs


def _warning_for(name: str) -> tuple[str, str]:
    if name == "Flow Logs":
        return (
            "No NSG flow logs were found in the storage accounts Prisma Cloud can read.",
            "Enable NSG flow logs to a storage account in each region and grant the app "
            "Microsoft.Network/networkWatchers/queryFlowLogStatus/action.",
        )
    if name == "Microsoft Entra ID":
        return (
            "Admin consent for the Microsoft Graph permissions has not been granted.",
            "Grant admin consent to the Prisma Cloud app in Entra ID > App registrations > API permissions.",
        )
    return (
        f"{name}: some permissions are missing on the subscription.",
        "Re-apply the Terraform template so the custom role has every action the features need.",
    )


def settle_status(account: CloudAccount) -> str:
    """What a component settles on once ingestion has run."""
    return "warning" if WARNING_MARKER in account.name.lower() else "ok"


def config_status(account: CloudAccount, elapsed_s: float, delay_s: float) -> list[dict[str, Any]]:
    """`CloudAccountConfigStatusView[]` of `GET /account/{id}/config/status`, `elapsed_s` after onboarding."""
    final = settle_status(account)
    half = delay_s / 2
    out: list[dict[str, Any]] = []
    for component in _components(account):
        subs: list[dict[str, Any]] = []
        if component == BASE_FEATURE:
            for sub in _sub_components(account):
                if elapsed_s < half or (elapsed_s < delay_s and sub != "Config"):
                    status, message, remediation = "pending", "Ingestion has not completed yet.", ""
                elif final == "warning" and sub != "Config":
                    status = "warning"
                    message, remediation = _warning_for(sub)
                else:
                    status, message, remediation = "ok", "", ""
                subs.append(
                    {
                        "name": sub,
                        "status": status,
                        "message": message,
                        "remediation": remediation,
                        "subComponents": [],
                    }
                )
        if elapsed_s < half or (elapsed_s < delay_s and component != BASE_FEATURE):
            status, message, remediation = "pending", "Waiting for the first ingestion cycle.", ""
        elif component == BASE_FEATURE:
            worst = (
                "warning"
                if any(s["status"] == "warning" for s in subs)
                else ("pending" if any(s["status"] == "pending" for s in subs) else "ok")
            )
            status = worst
            message = "One or more sub-components need attention." if worst == "warning" else ""
            remediation = "See the sub-components." if worst == "warning" else ""
        elif final == "warning":
            status = "warning"
            message, remediation = _warning_for(component)
        else:
            status, message, remediation = "ok", "", ""
        out.append(
            {
                "name": component,
                "status": status,
                "message": message,
                "remediation": remediation,
                "subComponents": subs,
            }
        )
    return out


def overall_status(account: CloudAccount, elapsed_s: float, delay_s: float) -> str:
    """One word for `GET /cloud`: pending until settled, then ok or warning."""
    if account.onboarded_at_ms is None or account.tenant_id is None or account.client_id is None:
        return "ok"
    if elapsed_s < delay_s:
        return "pending"
    return settle_status(account)
