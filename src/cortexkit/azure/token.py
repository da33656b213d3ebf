"""Entra ID token endpoint: the client-credentials grant (one form POST per audience)."""

from __future__ import annotations

from cortexkit.azure.request import AzureRequest


def client_credentials(tenant_id: str, client_id: str, secret: str, audience: str) -> AzureRequest:
    """A token for `audience` (a service's base URL, e.g. https://graph.microsoft.com)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": f"{audience.rstrip('/')}/.default",
    }
    return AzureRequest("login", "POST", f"{tenant_id}/oauth2/v2.0/token", form=form)
