"""Dry run: every call a job would make, in order, without making any.

Pure: built from the spec alone, so `--dry-run` needs neither credentials nor network. Each call is
derived from the same request builders the steps send (`resources.*_call`, `azure.graph` / `azure.arm`)
with the same arguments (`steps.features_args`, `steps.account_body`, `terraform.template_args`), so the
plan cannot drift from a run; `tests/integration/test_onboarding_plan.py` compares it with what a real
run sends to the emulator. Bodies are shown with the client secret replaced by a marker; ids Azure would
assign are shown as placeholders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cortexkit.azure import arm, graph, token
from cortexkit.azure.request import AzureRequest
from cortexkit.onboarding import permissions
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.steps import account_body, features_args
from cortexkit.resources import account_groups, azure, cloud_accounts, session
from cortexkit.resources._base import Call

SECRET_MARKER = "<client secret, never shown>"
PLACEHOLDER_JOB = "<job id>"
AZURE_SERVICES = {"login": "entra", "graph": "graph", "arm": "arm"}


@dataclass(frozen=True)
class PlannedCall:
    step: str
    service: str  # prisma | entra | graph | arm | local
    method: str
    path: str
    purpose: str
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _prisma(step: str, call: Call[Any], purpose: str, *, show_body: bool = True) -> PlannedCall:
    spec = call.spec
    body = dict(spec.json) if show_body and isinstance(spec.json, dict) else None
    params = dict(spec.params) if spec.params else None
    return PlannedCall(step, "prisma", spec.method, spec.path, purpose, body, params)


def _azure(request: AzureRequest, purpose: str) -> PlannedCall:
    body = dict(request.json) if isinstance(request.json, dict) else None
    params = dict(request.params) if request.params else None
    service = AZURE_SERVICES[request.api]
    return PlannedCall("identity", service, request.method, f"/{request.path}", purpose, body, params)


def _terraform_calls(spec: JobSpec) -> list[PlannedCall]:
    from cortexkit.onboarding.provisioners.terraform import template_args

    return [
        _prisma("identity", azure.template_call(**template_args(spec)), "fetch the template"),
        PlannedCall("identity", "local", "RUN", "terraform init", "prepare providers in the work folder"),
        PlannedCall("identity", "local", "RUN", "terraform apply -auto-approve -json", "create the identity"),
        PlannedCall("identity", "local", "RUN", "terraform output -json", "read client id, secret, SP id"),
    ]


def _azure_api_calls(spec: JobSpec) -> list[PlannedCall]:
    from cortexkit.azure.endpoints import AzureEndpoints
    from cortexkit.onboarding.provisioners.azure_api import custom_role_request

    endpoints = AzureEndpoints.for_environment(spec.environment)
    operator = spec.client_id or "<operator client id>"
    name = permissions.app_display_name(PLACEHOLDER_JOB)
    graph_roles = permissions.GRAPH_READ_ROLES if permissions.needs_graph_roles(spec) else ()
    calls = [
        _azure(
            token.client_credentials(spec.tenant_id, operator, SECRET_MARKER, endpoints.graph),
            "client-credentials token for Graph",
        ),
        _azure(graph.find_applications(name), "look the app registration up"),
        _azure(graph.create_application(name, graph_roles), "create the app registration"),
        _azure(graph.find_service_principals("<appId>"), "look the service principal up"),
        _azure(graph.create_service_principal("<appId>"), "create the service principal"),
        _azure(graph.add_password("<app object id>"), "create the secret"),
    ]
    scope = permissions.rbac_scope(spec)
    if scope is not None:
        calls.append(
            _azure(
                token.client_credentials(spec.tenant_id, operator, SECRET_MARKER, endpoints.arm),
                "client-credentials token for ARM",
            )
        )
        calls.append(_azure(custom_role_request(PLACEHOLDER_JOB, spec, scope), "custom least-privilege role"))
        for role in (permissions.READER, permissions.READER_AND_DATA_ACCESS, "<custom role>"):
            assignment = arm.put_role_assignment(
                scope, "<guid>", role_guid=role, principal_id="<service principal id>"
            )
            calls.append(_azure(assignment, f"assign {permissions.BUILTIN_NAMES.get(role, 'custom role')}"))
    if graph_roles:
        sp_id = "<service principal id>"
        calls += [
            _azure(graph.find_service_principals(permissions.GRAPH_APP_ID), "Microsoft Graph's principal"),
            _azure(graph.app_role_assignments(sp_id), "Graph read roles already granted"),
            _azure(
                graph.grant_app_role(sp_id, "<graph sp id>", "<each missing role>"),
                f"grant each missing Graph read role (admin consent, {len(graph_roles)} roles)",
            ),
        ]
    return calls


def _identity_calls(spec: JobSpec) -> list[PlannedCall]:
    if spec.provisioner == "existing":
        return [PlannedCall("identity", "local", "-", "-", "use the given client id and service principal")]
    if spec.provisioner == "terraform":
        return _terraform_calls(spec)
    return _azure_api_calls(spec)


def plan(spec: JobSpec) -> list[PlannedCall]:
    account_id = spec.prisma_account_id
    identity = {
        "client_id": spec.client_id or "<client id>",
        "service_principal_id": spec.service_principal_id or "<service principal id>",
    }
    body = account_body(spec, identity, spec.account_group_ids or ("<Default Account Group>",), SECRET_MARKER)
    return [
        _prisma(
            "validate", session.login_call("<access key id>", SECRET_MARKER), "sign in (JWT)", show_body=False
        ),
        _prisma("validate", account_groups.names_call(), "check the account groups exist"),
        _prisma("features", azure.features_call(**features_args(spec)), "supported features"),
        *_identity_calls(spec),
        _prisma("preflight", azure.status_check_call(body), "pre-flight check"),
        _prisma(
            "add_account", azure.by_id_call(account_id), "look the account up by id (adopt it if present)"
        ),
        _prisma("add_account", azure.add_call(body), "add the account (once)"),
        _prisma("add_account", azure.by_id_call(account_id), "confirm and record the account id"),
        _prisma(
            "verify",
            cloud_accounts.get_call("azure", account_id),
            "account details (polled; the add step's read serves the first)",
        ),
        _prisma("verify", azure.config_status_call(account_id), "component status (polled)"),
    ]
