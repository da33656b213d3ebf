"""Helpers for the emulated Azure (ARM deployments, hierarchy, preflight): a signed-in httpx client per
audience, deployment URLs at the three scopes and the control plane."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from cortexkit.emulator.server import RunningEmulator

ARM = "https://management.azure.com/.default"
GRAPH = "https://graph.microsoft.com/.default"
DEPLOY_VERSION = "api-version=2021-04-01"
MG = "/providers/Microsoft.Management/managementGroups/"


def token(running: RunningEmulator, tenant: str, scope: str = ARM) -> str:
    response = httpx.post(
        f"{running.url}/_azure/login/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": running.access_key_id,
            "client_secret": running.secret_key,
            "scope": scope,
        },
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@contextmanager
def azure_session(running: RunningEmulator, tenant: str, scope: str = ARM) -> Iterator[httpx.Client]:
    """A client on `/_azure/arm` (or `/_azure/graph` for the Graph scope) signed in to `tenant`."""
    base = "/_azure/graph" if scope == GRAPH else "/_azure/arm"
    headers = {"Authorization": f"Bearer {token(running, tenant, scope)}"}
    with httpx.Client(base_url=running.url + base, headers=headers, timeout=10) as client:
        yield client


def deployment_path(scope: str, name: str, suffix: str = "") -> str:
    return f"{scope}/providers/Microsoft.Resources/deployments/{name}{suffix}?{DEPLOY_VERSION}"


def control(running: RunningEmulator, **knobs: Any) -> dict[str, Any]:
    response = httpx.post(f"{running.url}/_emulator/azure", json=knobs, timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def advance(running: RunningEmulator, seconds: float) -> None:
    httpx.post(f"{running.url}/_emulator/clock", json={"advance": seconds}, timeout=10).raise_for_status()


def identity_template(
    identity: str = "cortex-identity", extra: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A small deploymentTemplate: a managed identity named by a parameter and a role assignment."""
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"identityName": {"type": "string", "defaultValue": identity}},
        "resources": [
            {
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                "apiVersion": "2023-01-31",
                "name": "[parameters('identityName')]",
                "location": "eastus",
            },
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "apiVersion": "2022-04-01",
                "name": "[guid(parameters('identityName'), 'reader')]",
                "properties": {"roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
            },
            *(extra or []),
        ],
    }


def deploy_body(template: dict[str, Any] | None = None, **parameters: Any) -> dict[str, Any]:
    return {
        "location": "eastus",
        "properties": {
            "mode": "Incremental",
            "template": template or identity_template(),
            "parameters": {k: {"value": v} for k, v in parameters.items()},
        },
    }
