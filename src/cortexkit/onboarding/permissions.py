"""Least privilege: the Azure roles and custom-role actions a job's features need, and nothing more.

Pure data and functions, shared by the `azure-api` provisioner and the dry-run plan. The base is the
Prisma Cloud KB's minimum (Reader plus Reader and Data Access); each feature adds only the actions it
uses, in one custom role, instead of broad built-ins such as Network Contributor or Storage Account
Contributor that the older templates granted.
"""

from __future__ import annotations

import uuid

from cortexkit.azure import graph
from cortexkit.onboarding.model import JobSpec

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
READER_AND_DATA_ACCESS = "c12c1c16-33a1-487b-954d-41c89c60f349"
BUILTIN_NAMES = {READER: "Reader", READER_AND_DATA_ACCESS: "Reader and Data Access"}

BASE_ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action",
    "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
    "Microsoft.Network/networkWatchers/securityGroupView/action",
    "Microsoft.ContainerRegistry/registries/webhooks/getCallbackConfig/action",
    "Microsoft.Web/sites/config/list/action",
)
FLOW_LOG_ACTIONS: tuple[str, ...] = ("Microsoft.Network/networkWatchers/queryFlowLogStatus/action",)
FEATURE_ACTIONS: dict[str, tuple[str, ...]] = {
    "Remediation": (
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Web/sites/config/Write",
        "Microsoft.Web/sites/Write",
        "Microsoft.DBforMySQL/flexibleServers/configurations/write",
    ),
    "Agentless Scanning": (
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        "Microsoft.Compute/disks/write",
        "Microsoft.Compute/disks/delete",
        "Microsoft.Compute/disks/beginGetAccess/action",
        "Microsoft.Compute/snapshots/write",
        "Microsoft.Compute/snapshots/delete",
        "Microsoft.Compute/virtualMachines/write",
        "Microsoft.Compute/virtualMachines/delete",
    ),
    "Serverless Function Scanning": ("Microsoft.Web/sites/publishxml/action",),
    "Auto Protect": ("Microsoft.ContainerRegistry/registries/listCredentials/action",),
}

GRAPH_APP_ID = graph.GRAPH_APP_ID
GRAPH_READ_ROLES: tuple[str, ...] = (
    "df021288-bdef-4463-88db-98f22de89214",  # User.Read.All
    "246dd0d5-5bd0-4def-940b-0421030a5b68",  # Policy.Read.All
    "5b567255-7703-4780-807c-7be8301ae99b",  # Group.Read.All
    "98830695-27a2-44f7-8c18-0c3ebc9698f6",  # GroupMember.Read.All
    "230c1aed-a721-4c5d-9cb4-a90514e508ef",  # Reports.Read.All
    "dbb9058a-0e50-45d7-ae91-66909b5d4664",  # Domain.Read.All
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",  # Application.Read.All
    "7ab1d382-f21e-4acd-a863-ba3e13f7da61",  # Directory.Read.All
)

NAMESPACE = uuid.UUID("2b0f6a4e-58f5-4a7b-9e2a-3c1f0d9c7e41")


def custom_actions(spec: JobSpec) -> list[str]:
    actions = list(BASE_ACTIONS)
    if spec.monitor_flow_logs:
        actions += FLOW_LOG_ACTIONS
    for feature in spec.requested_features():
        actions += FEATURE_ACTIONS.get(feature, ())
    return list(dict.fromkeys(actions))


def rbac_scope(spec: JobSpec) -> str | None:
    """Where roles are assigned: the subscription, the tenant root group, or nowhere (Entra-only tenant)."""
    if spec.account_type == "account":
        return f"subscriptions/{spec.subscription_id}"
    if spec.root_sync_enabled:
        return f"providers/Microsoft.Management/managementGroups/{spec.tenant_id}"
    return None


def needs_graph_roles(spec: JobSpec) -> bool:
    return spec.account_type == "tenant"


def app_display_name(job_id: str) -> str:
    return f"cortexkit-prisma-{job_id[:8]}"


def custom_role_id(job_id: str) -> str:
    """Deterministic per job, so a resumed job PUTs the same definition instead of making another."""
    return str(uuid.uuid5(NAMESPACE, f"{job_id}:custom-role"))


def assignment_id(job_id: str, role_guid: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{job_id}:assignment:{role_guid}"))
