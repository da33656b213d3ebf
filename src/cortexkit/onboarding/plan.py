"""Dry run: every call a job would make, in order, without making any.

Pure: built from the spec alone, so `--dry-run` needs neither credentials nor network. Bodies are shown
with the client secret replaced by a marker; ids Azure would assign are shown as placeholders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cortexkit.onboarding import permissions
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.steps import account_body

SECRET_MARKER = "<client secret, never shown>"
PLACEHOLDER_JOB = "<job id>"


@dataclass(frozen=True)
class PlannedCall:
    step: str
    service: str  # prisma | entra | graph | arm | local
    method: str
    path: str
    purpose: str
    body: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _identity_calls(spec: JobSpec) -> list[PlannedCall]:
    if spec.provisioner == "existing":
        return [PlannedCall("identity", "local", "-", "-", "use the given client id and service principal")]
    if spec.provisioner == "terraform":
        from cortexkit.onboarding.provisioners.terraform import template_body

        return [
            PlannedCall(
                "identity",
                "prisma",
                "POST",
                "/cas/v1/azure_template",
                "fetch the template",
                template_body(spec),
            ),
            PlannedCall("identity", "local", "RUN", "terraform init", "prepare providers in the work folder"),
            PlannedCall(
                "identity", "local", "RUN", "terraform apply -auto-approve -json", "create the identity"
            ),
            PlannedCall(
                "identity", "local", "RUN", "terraform output -json", "read client id, secret, SP id"
            ),
        ]
    name = permissions.app_display_name(PLACEHOLDER_JOB)
    calls = [
        PlannedCall(
            "identity", "entra", "POST", f"/{spec.tenant_id}/oauth2/v2.0/token", "client-credentials token"
        ),
        PlannedCall(
            "identity", "graph", "GET", f"/v1.0/applications?$filter=displayName eq '{name}'", "look up"
        ),
        PlannedCall("identity", "graph", "POST", "/v1.0/applications", "create the app registration"),
        PlannedCall(
            "identity", "graph", "GET", "/v1.0/servicePrincipals?$filter=appId eq '<appId>'", "look up"
        ),
        PlannedCall("identity", "graph", "POST", "/v1.0/servicePrincipals", "create the service principal"),
        PlannedCall("identity", "graph", "POST", "/v1.0/applications/<id>/addPassword", "create the secret"),
    ]
    if permissions.needs_graph_roles(spec):
        grants = "/v1.0/servicePrincipals/<sp id>/appRoleAssignments"
        calls.append(PlannedCall("identity", "graph", "GET", grants, "Graph read roles already granted"))
        calls.append(
            PlannedCall(
                "identity",
                "graph",
                "POST",
                grants,
                "grant each missing Graph read role (admin consent)",
                {"appRoleIds": list(permissions.GRAPH_READ_ROLES)},
            )
        )
    scope = permissions.rbac_scope(spec)
    if scope is not None:
        authz = f"/{scope}/providers/Microsoft.Authorization"
        calls.append(
            PlannedCall(
                "identity",
                "arm",
                "PUT",
                f"{authz}/roleDefinitions/<guid>",
                "custom least-privilege role",
                {"actions": permissions.custom_actions(spec)},
            )
        )
        for role in ("Reader", "Reader and Data Access", "custom role"):
            calls.append(
                PlannedCall("identity", "arm", "PUT", f"{authz}/roleAssignments/<guid>", f"assign {role}")
            )
    return calls


def plan(spec: JobSpec) -> list[PlannedCall]:
    account_id = spec.prisma_account_id
    identity = {
        "client_id": spec.client_id or "<client id>",
        "service_principal_id": spec.service_principal_id or "<service principal id>",
    }
    body = account_body(spec, identity, spec.account_group_ids or ("<Default Account Group>",), SECRET_MARKER)
    features_body = {
        "accountType": spec.account_type,
        "deploymentType": spec.environment,
        "rootSyncEnabled": spec.root_sync_enabled,
    }
    return [
        PlannedCall("validate", "prisma", "POST", "/login", "sign in (JWT)"),
        PlannedCall("validate", "prisma", "GET", "/cloud/group", "check the account groups exist"),
        PlannedCall(
            "features", "prisma", "POST", "/cas/v1/features/cloud/azure", "supported features", features_body
        ),
        *_identity_calls(spec),
        PlannedCall(
            "preflight", "prisma", "POST", "/cas/v1/cloud_account/status/azure", "pre-flight check", body
        ),
        PlannedCall("add_account", "prisma", "GET", "/cloud", "look the account up (adopt it if present)"),
        PlannedCall("add_account", "prisma", "POST", "/cas/v1/azure_account", "add the account (once)", body),
        PlannedCall("add_account", "prisma", "GET", "/cloud", "confirm and record the account id"),
        PlannedCall("verify", "prisma", "GET", f"/cloud/azure/{account_id}", "account details (polled)"),
        PlannedCall(
            "verify", "prisma", "GET", f"/account/{account_id}/config/status", "component status (polled)"
        ),
    ]
