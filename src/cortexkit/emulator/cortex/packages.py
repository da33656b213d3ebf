"""The onboarding packages behind the signed template links: what the customer downloads and runs.

Contents follow the evidence in reference/cortex-api.md §3.1 (the community Terraform port of the official
`onboard.sh`): the ARM archive (`arm-<instance id>-<epoch>.zip`) holds `template.json`, `parameters.json`,
`parameters.sh`, `graphAPIRoles.json` and `onboard.sh`; the Terraform archive (`tf-...tar.gz`) holds
`main.tf` (an `azurerm_*_template_deployment` of the same `template.json`), `template.json` and
`terraform.tfvars.json`. `template.json` is an ARM deploymentTemplate whose `trackingGuid` parameter
defaults to the instance id: deploying it (`routes/azure_arm.py`) is what connects the instance. The
bytes are deterministic for one link (fixed timestamps), so a checksum taken at download can be re-checked.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import time
import zipfile
from typing import Any

from ..azuretemplate import GRAPH_ROLES
from .models import CortexInstance

SUBSCRIPTION_SCHEMA = (
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
)
GROUP_SCHEMA = (
    "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"
)
TENANT_SCHEMA = "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#"
ROLE_ACTIONS = (
    "*/read",
    "Microsoft.Insights/diagnosticSettings/write",
    "Microsoft.EventHub/namespaces/authorizationRules/listKeys/action",
    "Microsoft.Compute/disks/beginGetAccess/action",
    "Microsoft.Compute/snapshots/write",
    "Microsoft.Compute/snapshots/delete",
    "Microsoft.Web/sites/config/list/action",
    "Microsoft.ContainerRegistry/registries/pull/read",
)
"""Read everything, plus the writes the capabilities need (audit-log diagnostics, disk and function scans)."""


def audit_logs_on(inst: CortexInstance) -> bool:
    audit = inst.collection.get("audit_logs") if isinstance(inst.collection, dict) else None
    return bool(isinstance(audit, dict) and audit.get("enabled"))


def template_versions(inst: CortexInstance) -> dict[str, str]:
    """`parameters.sh`'s `template_version`: `AUDIT_LOGS-*` keys mean audit-log collection is on."""
    level = "sub" if inst.scope == "ACCOUNT" else "org"
    versions = {f"BASE-arm_{level}_base": "1.0.0"}
    if audit_logs_on(inst):
        versions[f"AUDIT_LOGS-arm_{'subscription' if level == 'sub' else 'organization'}_audit"] = "1.0.0"
    return versions


def arm_template(inst: CortexInstance) -> dict[str, Any]:
    """The deploymentTemplate: identity, custom role + assignment, the Cortex policy and its remediation."""
    schema = {"ACCOUNT": SUBSCRIPTION_SCHEMA, "ORGANIZATION": TENANT_SCHEMA}.get(inst.scope, GROUP_SCHEMA)
    short = inst.id[:8]
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "apiVersion": "2023-01-31",
            "name": "[parameters('identityName')]",
            "location": "[parameters('location')]",
            "tags": "[parameters('tags')]",
        },
        {
            "type": "Microsoft.Authorization/roleDefinitions",
            "apiVersion": "2022-04-01",
            "name": "[guid(parameters('trackingGuid'), 'cortex-role')]",
            "properties": {
                "roleName": f"Cortex Cloud Scanner {short}",
                "description": "Read access and the writes Cortex Cloud's capabilities need.",
                "type": "CustomRole",
                "permissions": [{"actions": list(ROLE_ACTIONS), "notActions": []}],
            },
        },
        {
            "type": "Microsoft.Authorization/roleAssignments",
            "apiVersion": "2022-04-01",
            "name": "[guid(parameters('trackingGuid'), 'cortex-role-assignment')]",
            "properties": {
                "roleDefinitionId": "[guid(parameters('trackingGuid'), 'cortex-role')]",
                "principalType": "ServicePrincipal",
                "description": "Cortex Cloud managed identity",
            },
        },
        {
            "type": "Microsoft.Authorization/policyAssignments",
            "apiVersion": "2022-06-01",
            "name": f"cortex-{short}",
            "location": "[parameters('location')]",
            "identity": {"type": "UserAssigned"},
            "properties": {
                "displayName": f"Cortex Cloud diagnostic settings ({short})",
                "description": "Deploys the diagnostic settings Cortex Cloud reads.",
                "enforcementMode": "Default",
            },
        },
        {
            "type": "Microsoft.PolicyInsights/remediations",
            "apiVersion": "2021-10-01",
            "name": f"cortex-remediation-{short}",
            "properties": {
                "policyAssignmentId": f"cortex-{short}",
                "resourceDiscoveryMode": "ReEvaluateCompliance",
            },
        },
    ]
    if audit_logs_on(inst):
        resources.append(
            {
                "type": "Microsoft.Insights/diagnosticSettings",
                "apiVersion": "2021-05-01-preview",
                "name": f"cortex-audit-logs-{short}",
                "properties": {"logs": [{"category": "Administrative", "enabled": True}]},
            }
        )
    tags = {str(t["key"]): str(t.get("value", "")) for t in inst.tags if isinstance(t, dict) and "key" in t}
    return {
        "$schema": schema,
        "contentVersion": "1.0.0.0",
        "metadata": {"generator": "cortexkit emulator", "templateVersion": template_versions(inst)},
        "parameters": {
            "trackingGuid": {"type": "string", "defaultValue": inst.id},
            "identityName": {"type": "string", "defaultValue": f"cortex-identity-{short}"},
            "location": {"type": "string", "defaultValue": "eastus"},
            "tags": {"type": "object", "defaultValue": tags},
        },
        "resources": resources,
        "outputs": {"trackingGuid": {"type": "string", "value": "[parameters('trackingGuid')]"}},
    }


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=False) + "\n").encode()


def arm_files(inst: CortexInstance) -> dict[str, bytes]:
    template = arm_template(inst)
    tags = template["parameters"]["tags"]["defaultValue"]
    deployment = {"ACCOUNT": "sub", "ACCOUNT_GROUP": "mg", "ORGANIZATION": "tenant"}.get(inst.scope, "mg")
    return {
        "template.json": _json(template),
        "parameters.json": _json(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {"trackingGuid": {"value": inst.id}, "tags": {"value": tags}},
            }
        ),
        "parameters.sh": (
            f"TRACKING_GUID='{inst.id}'\n"
            f"template_version='{json.dumps(template_versions(inst), separators=(',', ':'))}'\n"
            f"tags='{json.dumps(tags, separators=(',', ':'))}'\n"
        ).encode(),
        "graphAPIRoles.json": _json(
            {"resourceAppId": "00000003-0000-0000-c000-000000000000", "appRoleIds": list(GRAPH_ROLES)}
        ),
        "onboard.sh": (
            "#!/usr/bin/env bash\n"
            "# Emulated Cortex Cloud onboarding script: deploys template.json with parameters.json.\n"
            "set -euo pipefail\n"
            'source "$(dirname "$0")/parameters.sh"\n'
            f'az deployment {deployment} create --name "cortex-$TRACKING_GUID" --location eastus '
            '--template-file template.json --parameters @parameters.json "$@"\n'
        ).encode(),
    }


def terraform_files(inst: CortexInstance) -> dict[str, bytes]:
    template = arm_template(inst)
    if inst.scope == "ACCOUNT":
        resource, target = "azurerm_subscription_template_deployment", ""
        variables = 'variable "subscription_id" { type = string }\n'
    else:
        resource = "azurerm_management_group_template_deployment"
        target = "  management_group_id = var.management_group_id\n"
        variables = 'variable "management_group_id" { type = string }\n'
    main_tf = (
        "# Emulated Cortex Cloud onboarding module: deploys template.json as the community port does.\n"
        'variable "tracking_guid" { type = string }\n'
        'variable "tags" { type = map(string) }\n'
        f"{variables}"
        f'resource "{resource}" "cortex" {{\n'
        '  name             = "cortex-${var.tracking_guid}"\n'
        '  location         = "eastus"\n'
        f"{target}"
        '  template_content = file("${path.module}/template.json")\n'
        "  parameters_content = jsonencode({\n"
        "    trackingGuid = { value = var.tracking_guid }\n"
        "    tags         = { value = var.tags }\n"
        "  })\n"
        "}\n"
    )
    return {
        "main.tf": main_tf.encode(),
        "template.json": _json(template),
        "terraform.tfvars.json": _json(
            {"tracking_guid": inst.id, "tags": template["parameters"]["tags"]["defaultValue"]}
        ),
    }


def zip_bytes(files: dict[str, bytes], epoch: int) -> bytes:
    stamp = _zip_time(epoch)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, stamp)
            info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def tar_gz_bytes(files: dict[str, bytes], epoch: int) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), epoch, 0o644
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=epoch)


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(max(epoch, 315532800))  # zip cannot store dates before 1980
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def package(inst: CortexInstance, kind: str, epoch: int) -> tuple[bytes, str]:
    """The archive for a link of `kind` (`arm`, `tf`, `cf`) and its media type."""
    if kind == "arm":
        return zip_bytes(arm_files(inst), epoch), "application/zip"
    if kind == "tf":
        return tar_gz_bytes(terraform_files(inst), epoch), "application/gzip"
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Emulated Cortex Cloud onboarding stack.",
        "Parameters": {"TrackingGuid": {"Type": "String", "Default": inst.id}},
        "Resources": {},
    }
    return _json(template), "application/json"
