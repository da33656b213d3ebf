"""Microsoft Graph (v1.0) requests the onboarding needs: applications, service principals, passwords and
app-role assignments (admin consent to Graph's own read roles)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cortexkit.azure.request import AzureRequest

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
PASSWORD_NAME = "Prisma Cloud (cortexkit)"


def _eq(field_name: str, value: str) -> dict[str, str]:
    escaped = value.replace("'", "''")
    return {"$filter": f"{field_name} eq '{escaped}'"}


def find_applications(display_name: str) -> AzureRequest:
    return AzureRequest("graph", "GET", "v1.0/applications", params=_eq("displayName", display_name))


def application_body(display_name: str, graph_roles: Sequence[str] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"displayName": display_name, "signInAudience": "AzureADMyOrg"}
    if graph_roles:
        body["requiredResourceAccess"] = [
            {
                "resourceAppId": GRAPH_APP_ID,
                "resourceAccess": [{"id": r, "type": "Role"} for r in graph_roles],
            }
        ]
    return body


def create_application(display_name: str, graph_roles: Sequence[str] = ()) -> AzureRequest:
    body = application_body(display_name, graph_roles)
    return AzureRequest("graph", "POST", "v1.0/applications", json=body, idempotent=False)


def find_service_principals(app_id: str) -> AzureRequest:
    return AzureRequest("graph", "GET", "v1.0/servicePrincipals", params=_eq("appId", app_id))


def create_service_principal(app_id: str) -> AzureRequest:
    return AzureRequest("graph", "POST", "v1.0/servicePrincipals", json={"appId": app_id}, idempotent=False)


def get_application(app_object_id: str) -> AzureRequest:
    """One application, with its `passwordCredentials` (key ids and display names, never the secrets)."""
    return AzureRequest("graph", "GET", f"v1.0/applications/{app_object_id}")


def remove_password(app_object_id: str, key_id: str) -> AzureRequest:
    """Remove one client secret by key id (removing it twice answers 400: the caller treats that as done)."""
    return AzureRequest(
        "graph", "POST", f"v1.0/applications/{app_object_id}/removePassword", json={"keyId": key_id}
    )


def password_name(nonce: str) -> str:
    """The display name a new secret gets: the nonce recorded before the call finds it after a crash."""
    return f"{PASSWORD_NAME} {nonce}"


def add_password(app_object_id: str, display_name: str = PASSWORD_NAME) -> AzureRequest:
    """A new client secret; its `secretText` is returned once."""
    body = {"passwordCredential": {"displayName": display_name}}
    return AzureRequest(
        "graph", "POST", f"v1.0/applications/{app_object_id}/addPassword", json=body, idempotent=False
    )


def app_role_assignments(sp_id: str) -> AzureRequest:
    return AzureRequest("graph", "GET", f"v1.0/servicePrincipals/{sp_id}/appRoleAssignments")


def grant_app_role(sp_id: str, resource_id: str, app_role_id: str) -> AzureRequest:
    body = {"principalId": sp_id, "resourceId": resource_id, "appRoleId": app_role_id}
    return AzureRequest(
        "graph", "POST", f"v1.0/servicePrincipals/{sp_id}/appRoleAssignments", json=body, idempotent=False
    )
