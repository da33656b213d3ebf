"""Azure Resource Manager RBAC requests: custom role definitions and role assignments, both PUTs to a
name the caller derives from the job (so sending one again changes nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from cortexkit.azure.request import AzureRequest

API_VERSION = "2022-04-01"
AUTHZ = "providers/Microsoft.Authorization"
_VERSION = {"api-version": API_VERSION}


def role_definition_id(scope: str, role_guid: str) -> str:
    return f"/{scope}/{AUTHZ}/roleDefinitions/{role_guid}"


def put_role_definition(
    scope: str, role_guid: str, *, role_name: str, description: str, actions: Sequence[str]
) -> AzureRequest:
    body = {
        "properties": {
            "roleName": role_name,
            "description": description,
            "type": "CustomRole",
            "permissions": [{"actions": list(actions), "notActions": []}],
            "assignableScopes": [f"/{scope}"],
        }
    }
    return AzureRequest(
        "arm", "PUT", f"{scope}/{AUTHZ}/roleDefinitions/{role_guid}", params=_VERSION, json=body
    )


def put_role_assignment(scope: str, name: str, *, role_guid: str, principal_id: str) -> AzureRequest:
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id(scope, role_guid),
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }
    }
    return AzureRequest("arm", "PUT", f"{scope}/{AUTHZ}/roleAssignments/{name}", params=_VERSION, json=body)
