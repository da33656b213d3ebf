"""The Cortex job's preflight: read-only checks, each pass or fail with the fix, before anything is made.

The checks of PANW's `cc-permissions-preflight` through the REST API: the tenant approved Cortex's app
(admin consent), the caller's ARM permissions at the scope for the chosen capabilities, deny assignments,
resource-provider registration and Conditional Access policies that block ARM. It also lists the
subscriptions under the scope (the management-group template and the accounts reconciliation use them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from cortexkit.azure import preflight as reads
from cortexkit.azure.client import AzureCallError, AzureClient, AzureError
from cortexkit.onboarding.context import StepContext, StepFailedError
from cortexkit.onboarding.cortexflow import access
from cortexkit.onboarding.cortexflow.spec import CortexOptions, permission_scope

CONSENT_APP_ENV = "CORTEXKIT_CORTEX_AZURE_APP_ID"
BASE_ACTIONS = (
    "Microsoft.Resources/deployments/write",
    "Microsoft.Resources/deployments/read",
    "Microsoft.Authorization/roleDefinitions/write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/policyAssignments/write",
    "Microsoft.PolicyInsights/remediations/write",
    "Microsoft.ManagedIdentity/userAssignedIdentities/write",
)
AUDIT_LOG_ACTIONS = ("Microsoft.Insights/diagnosticSettings/write", "Microsoft.EventHub/namespaces/write")
GROUP_ACTIONS = ("Microsoft.Management/managementGroups/read",)
DISK_SCANNING_ACTIONS = ("Microsoft.Compute/galleries/write",)
PROVIDERS = (
    "Microsoft.Security",
    "Microsoft.Insights",
    "Microsoft.Communication",
    "Microsoft.Datadog",
    "Microsoft.Aadiam",
)
"""The namespaces PANW's `cc-permissions-preflight` checks (reference/cortex-api.md §3.1)."""
MAX_PROVIDER_CHECKS = 20
"""Subscriptions whose provider registration is read (a tenant may hold hundreds)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: could not be told (not a failure; said so)
    detail: str
    fix: str = ""

    def line(self) -> str:
        verdict = {True: "pass", False: "FAIL", None: "unknown"}[self.ok]
        fix = f" Fix: {self.fix}" if self.fix and self.ok is not True else ""
        return f"[{verdict}] {self.name}: {self.detail}.{fix}"


def consent_link(tenant_id: str) -> str:
    """The admin-consent URL for Cortex's multi-tenant app (its id from the Cortex console, or the env)."""
    app = os.environ.get(CONSENT_APP_ENV) or "<Cortex application id from Settings > Data Sources > Azure>"
    return f"https://login.microsoftonline.com/{tenant_id}/adminconsent?client_id={app}"


def needed_actions(options: CortexOptions) -> list[str]:
    from cortexkit.onboarding.cortexflow.spec import capability_overrides

    actions = list(BASE_ACTIONS)
    if options.audit_logs:
        actions += AUDIT_LOG_ACTIONS
    if options.scope != "subscription":
        actions += GROUP_ACTIONS
    if capability_overrides(options.capabilities).get("agentless_disk_scanning", True):
        actions += DISK_SCANNING_ACTIONS
    return actions


def approved_tenant(ctx: StepContext) -> Check:
    tenant = ctx.spec.tenant_id.lower()
    rows = access.cortex(ctx).cloud_onboarding.approved_tenants()
    found = next((t for t in rows if str(t.tenant_id).lower() == tenant), None)
    fix = f"an Entra administrator grants admin consent to Cortex's app: {consent_link(ctx.spec.tenant_id)}"
    if found is None:
        return Check(
            "approved tenant",
            None,
            "the tenant is not in Cortex's approved list yet (template creation fails if it never consented)",
            fix,
        )
    if found.is_still_approved is False:
        return Check("approved tenant", False, "the tenant's consent to Cortex's app was revoked", fix)
    return Check("approved tenant", True, "Cortex's app is approved in the tenant")


def list_subscriptions(ctx: StepContext, azure: AzureClient) -> list[str]:
    opts = access.options(ctx)
    if opts.scope == "subscription":
        return [str(ctx.spec.subscription_id)]
    if opts.scope == "management-group":
        return reads.descendant_subscription_ids(azure.send(reads.descendants(str(opts.management_group_id))))
    return reads.subscription_ids(azure.send(reads.subscriptions()), ctx.spec.tenant_id)


def in_scope(options: CortexOptions, listed: list[str]) -> list[str]:
    """The subscriptions the job onboards: the listed ones, only the included, minus the excluded."""
    included = {s.lower() for s in options.include}
    excluded = {s.lower() for s in options.exclude}
    return [s for s in listed if (not included or s.lower() in included) and s.lower() not in excluded]


def _guarded(name: str, read: Callable[[], Check]) -> Check:
    try:
        return read()
    except AzureError as exc:
        status = getattr(exc, "status", None)
        if status in (401, 403):
            return Check(
                name, None, f"not allowed to read it ({exc})", "grant the operator app Reader at the scope"
            )
        return Check(name, None, f"could not be read ({exc})")


def azure_checks(ctx: StepContext, azure: AzureClient, subscriptions: list[str]) -> list[Check]:
    opts = access.options(ctx)
    scope = permission_scope(opts, ctx.spec.subscription_id, ctx.spec.tenant_id)
    where = f"/{scope}"

    def perms() -> Check:
        missing = reads.missing_actions(azure.send(reads.permissions(scope)), needed_actions(opts))
        if missing:
            return Check(
                "ARM permissions",
                False,
                f"missing at {where}: {', '.join(missing)}",
                "assign Owner (or Contributor + User Access Administrator) at that scope to the "
                "deploying identity",
            )
        return Check("ARM permissions", True, f"every action the template needs is granted at {where}")

    def deny() -> Check:
        names = reads.deny_names(azure.send(reads.deny_assignments(scope)))
        if names:
            return Check(
                "deny assignments",
                False,
                f"{len(names)} at {where}: {', '.join(names[:5])}",
                "remove them or exclude the deploying identity (they come from blueprints or "
                "managed applications)",
            )
        return Check("deny assignments", True, f"none at {where}")

    def providers() -> Check:
        problems: list[str] = []
        for sub in subscriptions[:MAX_PROVIDER_CHECKS]:
            missing = reads.unregistered(azure.send(reads.providers(sub)), PROVIDERS)
            if missing:
                problems.append(f"{sub}: {', '.join(missing)}")
        if problems:
            return Check(
                "resource providers",
                False,
                "not registered in " + "; ".join(problems[:5]),
                "register them: az provider register --namespace <name> --subscription <id> (or the portal)",
            )
        checked = min(len(subscriptions), MAX_PROVIDER_CHECKS)
        return Check("resource providers", True, f"registered in the {checked} subscription(s) checked")

    def conditional_access() -> Check:
        blocking = reads.blocking_policies(azure.send(reads.conditional_access_policies()))
        if blocking:
            return Check(
                "conditional access",
                False,
                f"enabled policies target Azure Resource Manager: {', '.join(blocking[:5])}",
                "exclude the deploying identity from them, or use --deploy manual from a compliant device",
            )
        return Check("conditional access", True, "no enabled policy targets Azure Resource Manager")

    return [
        _guarded("ARM permissions", perms),
        _guarded("deny assignments", deny),
        _guarded("resource providers", providers),
        _guarded("conditional access", conditional_access),
    ]


def sign_in(azure: AzureClient) -> Check:
    """Azure refusing the operator app's credentials is a setup error: found here, before the template
    creates an instance, not as every read `unknown` and then a failed deployment."""
    try:
        azure.token(azure.endpoints.arm)
    except AzureCallError as exc:
        if exc.status in (400, 401):
            return Check(
                "Azure sign-in",
                False,
                f"Azure refused the operator app's sign-in ({exc})",
                "check --client-id, its secret in AZURE_CLIENT_SECRET (the secret's value, not its id) and "
                "--tenant-id (the app's home tenant)",
            )
        raise
    return Check("Azure sign-in", True, f"the operator app {azure.client_id} signed in")


def preflight(ctx: StepContext) -> dict[str, Any]:
    """Every check, reported pass/fail with its fix; any failure fails the step (nothing was made yet)."""
    checks = [approved_tenant(ctx)]
    subscriptions: list[str] = [str(ctx.spec.subscription_id)] if ctx.spec.subscription_id else []
    if access.has_azure(ctx):
        with access.azure_client(ctx) as azure:
            try:
                signed_in = sign_in(azure)
            except AzureError as exc:
                signed_in = Check("Azure sign-in", None, f"could not be checked ({exc})")
            checks.append(signed_in)
            if signed_in.ok is False:
                return _report(ctx, checks, subscriptions)
            try:
                subscriptions = list_subscriptions(ctx, azure)
            except AzureError as exc:
                raise StepFailedError(
                    f"the subscriptions under the scope could not be listed: {exc}"
                ) from None
            checks += azure_checks(ctx, azure, in_scope(access.options(ctx), subscriptions))
    else:
        checks.append(Check("Azure checks", None, "skipped: no Azure sign-in for --deploy manual"))
    return _report(ctx, checks, subscriptions)


def _report(ctx: StepContext, checks: list[Check], subscriptions: list[str]) -> dict[str, Any]:
    for check in checks:
        ctx.log(check.line(), check=check.name, ok=check.ok)
    output = {
        "checks": [asdict(c) for c in checks],
        "subscriptions": subscriptions,
        "in_scope": in_scope(access.options(ctx), subscriptions),
    }
    failed = [c for c in checks if c.ok is False]
    if failed:
        raise StepFailedError("preflight failed: " + " ".join(c.line() for c in failed), output)
    if access.options(ctx).scope != "subscription" and not output["in_scope"]:
        raise StepFailedError("no subscription is left under the scope after --include/--exclude", output)
    return output
