"""The Terraform JSON document `POST /cas/v1/azure_template` returns (reference/azure.md section 1b).

Same resources, provider pins and outputs as the documented samples: an Entra ID app and service
principal with a password, a custom role plus built-in role assignments at the subscription (account)
or the tenant root management group (tenant with root sync), and Microsoft Graph app roles. An
Entra-only tenant gets no Azure RBAC at all. The custom role's actions grow with the features asked for.
"""

from __future__ import annotations

from typing import Any

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_ROLES = (
    "df021288-bdef-4463-88db-98f22de89214",  # User.Read.All
    "246dd0d5-5bd0-4def-940b-0421030a5b68",  # Policy.Read.All
    "5b567255-7703-4780-807c-7be8301ae99b",  # Group.Read.All
    "98830695-27a2-44f7-8c18-0c3ebc9698f6",  # GroupMember.Read.All
    "230c1aed-a721-4c5d-9cb4-a90514e508ef",  # Reports.Read.All
    "dbb9058a-0e50-45d7-ae91-66909b5d4664",  # Domain.Read.All
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",  # Application.Read.All
    "7ab1d382-f21e-4acd-a863-ba3e13f7da61",  # Directory.Read.All
)
_NET = "Microsoft.Network"
BASE_ACTIONS = (
    "Microsoft.Management/managementGroups/descendants/read",
    "Microsoft.Security/autoProvisioningSettings/read",
    "Microsoft.Security/pricings/read",
    "Microsoft.Security/securityContacts/read",
    "Microsoft.Security/settings/read",
    "Microsoft.Compute/hostGroups/read",
    "Microsoft.Storage/storageAccounts/tableServices/read",
    "Microsoft.Storage/storageAccounts/queueServices/read",
    "Microsoft.Storage/storageAccounts/providers/Microsoft.Insights/diagnosticSettings/read",
    "Microsoft.KeyVault/vaults/read",
    *(
        f"{_NET}/{kind}/read"
        for kind in (
            "locations/usages",
            "connections",
            "applicationGateways",
            "loadBalancers",
            "networkSecurityGroups/securityRules",
            "networkSecurityGroups/defaultSecurityRules",
            "applicationSecurityGroups",
            "virtualNetworks",
            "virtualNetworks/subnets",
            "virtualNetworks/virtualNetworkPeerings",
            "virtualNetworkGateways",
            "routeTables",
            "routeTables/routes",
            "azurefirewalls",
            "firewallPolicies",
            "publicIPAddresses",
        )
    ),
    f"{_NET}/networkWatchers/queryFlowLogStatus/action",
)
FEATURE_ACTIONS: dict[str, tuple[str, ...]] = {
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
    "Remediation": (
        "Microsoft.Storage/storageAccounts/*",
        "Microsoft.Web/sites/Write",
        "Microsoft.Web/sites/config/Write",
        "Microsoft.DBforMySQL/flexibleServers/configurations/write",
    ),
    "Serverless Function Scanning": (
        "Microsoft.Web/sites/config/list/action",
        "Microsoft.Web/sites/publishxml/action",
    ),
    "Auto Protect": ("Microsoft.Compute/virtualMachines/runCommand/action",),
}
PROVIDERS = {"azuread": "2.28.1", "azurerm": "3.24.0", "random": "3.1.0", "time": "0.7.0"}
APP = "azuread_application.prisma_cloud_app"
SP = "azuread_service_principal.prisma_cloud_sp"
PASSWORD = "azuread_application_password.password"


def role_actions(features: list[str]) -> list[str]:
    actions = list(BASE_ACTIONS)
    for feature in features:
        actions += [a for a in FEATURE_ACTIONS.get(feature, ()) if a not in actions]
    return actions


def build(
    account_type: str,
    *,
    tenant_id: str,
    subscription_id: str | None,
    features: list[str],
    root_sync: bool,
    deployment_type: str = "azure",
) -> dict[str, Any]:
    """The `terraform.tf.json` document for one onboarding request."""
    environment = "usgovernment" if deployment_type == "azure_gov" else "public"
    rbac = account_type == "account" or root_sync
    unique = "${random_string.unique_id.result}"
    doc: dict[str, Any] = {
        "terraform": {
            "required_providers": {
                name: {"source": f"hashicorp/{name}", "version": f"={version}"}
                for name, version in PROVIDERS.items()
            }
        },
        "provider": {
            "azuread": {"tenant_id": tenant_id, "environment": environment},
            "random": {},
            "time": {},
        },
        "variable": {
            "application_password_expiration": {"type": "string", "default": "8760h"},
            "tenant_id": {"type": "string", "default": tenant_id},
        },
        "resource": {
            "random_string": {
                "unique_id": {"length": 5, "min_lower": 5, "special": False, "upper": False, "numeric": False}
            },
            "azuread_application": {
                "prisma_cloud_app": {
                    "display_name": f"Prisma Cloud App {unique}",
                    "web": {"homepage_url": "https://www.paloaltonetworks.com/prisma/cloud"},
                    "required_resource_access": [
                        {
                            "resource_app_id": GRAPH_APP_ID,
                            "resource_access": [{"id": role, "type": "Role"} for role in GRAPH_ROLES],
                        }
                    ],
                }
            },
            "azuread_service_principal": {
                "prisma_cloud_sp": {"application_id": f"${{{APP}.application_id}}"}
            },
            "random_password": {"application_client_secret": {"length": 32, "special": True}},
            "azuread_application_password": {
                "password": {
                    "application_object_id": f"${{{APP}.object_id}}",
                    "end_date_relative": "${var.application_password_expiration}",
                }
            },
        },
    }
    if rbac:
        doc["provider"]["azurerm"] = {"features": {}, "environment": environment, "tenant_id": tenant_id}
        doc["variable"]["custom_role_actions"] = {"type": "list(string)", "default": role_actions(features)}
        doc["variable"]["builtin_roles"] = {"type": "list(string)", "default": ["Reader"]}
        if account_type == "account":
            doc["provider"]["azurerm"]["subscription_id"] = subscription_id
            doc["variable"]["subscription_id"] = {"type": "string", "default": subscription_id}
            scope = "/subscriptions/${var.subscription_id}"
            role_name = f"Prisma Cloud {unique}"
        else:
            doc["data"] = {"azurerm_management_group": {"tenant_root_group": {"name": tenant_id}}}
            scope = "${data.azurerm_management_group.tenant_root_group.id}"
            role_name = f"prisma-cloud-policy-{unique}"
        doc["resource"]["azurerm_role_definition"] = {
            "custom_prisma_role": {
                "name": role_name,
                "scope": scope,
                "permissions": {"actions": "${var.custom_role_actions}", "not_actions": []},
                "assignable_scopes": [scope],
                "timeouts": {"create": "5m", "read": "5m"},
            }
        }
        doc["resource"]["time_sleep"] = {
            "wait_20_seconds": {
                "depends_on": ["azurerm_role_definition.custom_prisma_role"],
                "create_duration": "20s",
            }
        }
        doc["resource"]["azurerm_role_assignment"] = {
            "assign_custom_prisma_role": {
                "scope": scope,
                "role_definition_id": "${azurerm_role_definition.custom_prisma_role"
                ".role_definition_resource_id}",
                "principal_id": f"${{{SP}.id}}",
                "skip_service_principal_aad_check": True,
                "depends_on": ["time_sleep.wait_20_seconds"],
            },
            "assign_builtin_roles": {
                "for_each": "${toset(var.builtin_roles)}",
                "scope": scope,
                "role_definition_name": "${each.key}",
                "principal_id": f"${{{SP}.id}}",
                "skip_service_principal_aad_check": True,
            },
        }
    doc["output"] = _outputs(account_type, tenant_id, subscription_id)
    return doc


def _outputs(account_type: str, tenant_id: str, subscription_id: str | None) -> dict[str, Any]:
    if account_type == "account":
        return {
            "a__directory_tenant_id": {"value": tenant_id},
            "b__subscription_id": {"value": subscription_id},
            "c__application_client_id": {"value": f"${{{APP}.application_id}}"},
            "d__application_client_secret": {"value": f"${{nonsensitive({PASSWORD}.value)}}"},
            "e__enterprise_application_object_id": {"value": f"${{{SP}.id}}"},
        }
    return {
        "a_active_directory_id": {"value": tenant_id},
        "b_application_id": {"value": f"${{{APP}.application_id}}"},
        "c_application_key": {"value": f"${{nonsensitive({PASSWORD}.value)}}"},
        "d_application_key_expiration": {"value": f"${{{PASSWORD}.end_date}}"},
        "e_service_principal_object_id": {"value": f"${{{SP}.id}}"},
        "f_consent_link": {
            "value": "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/"
            f"CallAnAPI/appId/${{{APP}.application_id}}/isMSAApp~/false"
        },
    }
