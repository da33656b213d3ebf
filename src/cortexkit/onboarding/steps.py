"""The onboarding steps, in order. Each takes a `StepContext` and returns the output to record.

A step must be safe to run again after a crash at any point inside it: reads are repeatable, and the one
creating call (add the account) looks the account up first and reconciles every ambiguous failure by
looking it up again, so the account is created at most once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cortexkit import errors as api_errors
from cortexkit.onboarding.context import StepContext, StepFailedError
from cortexkit.onboarding.model import JobSpec, field_errors
from cortexkit.onboarding.secrets import Secret
from cortexkit.resources import azure as azure_resource
from cortexkit.resources.azure import ALWAYS_ON_FEATURE
from cortexkit.resources.models import AccountStatus, CloudAccount

DEFAULT_GROUP_NAME = "Default Account Group"
DUPLICATE_KEYS = frozenset({"duplicate_cloud_account"})
MAX_ADD_ATTEMPTS = 3


def _i18n_keys(exc: Exception) -> set[str]:
    keys = getattr(exc, "i18n_keys", None) or ()
    return {str(k) for k in keys}


def features_args(spec: JobSpec) -> dict[str, Any]:
    """Arguments of `client.azure.supported_features` (and of `features_call`, for the plan)."""
    return {
        "account_type": spec.account_type,
        "deployment_type": spec.environment,
        "root_sync_enabled": spec.root_sync_enabled,
    }


def validate(ctx: StepContext) -> dict[str, Any]:
    """Input rules, then the account groups against the tenant (a typo fails here, before Azure changes)."""
    problems = field_errors(ctx.spec.model_dump(mode="json"))
    if problems:
        raise StepFailedError("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
    known = {str(g.id): str(g.name or "") for g in ctx.client.account_groups.list()}
    wanted = list(ctx.spec.account_group_ids)
    if ctx.spec.default_account_group_id:
        wanted.append(ctx.spec.default_account_group_id)
    missing = [g for g in wanted if g not in known]
    if missing:
        raise StepFailedError("account group(s) not found: " + ", ".join(missing))
    group_ids = list(ctx.spec.account_group_ids)
    if not group_ids and ctx.spec.account_type == "account":
        default = [gid for gid, name in known.items() if name == DEFAULT_GROUP_NAME]
        if not default:
            raise StepFailedError("no account group given and the tenant has no 'Default Account Group'")
        group_ids = default[:1]
        ctx.log(f"no account group given: using '{DEFAULT_GROUP_NAME}'")
    return {"account_group_ids": group_ids}


def features(ctx: StepContext) -> dict[str, Any]:
    spec = ctx.spec
    answer = ctx.client.azure.supported_features(**features_args(spec))
    supported = [str(f) for f in answer.supportedFeatures]
    wanted = spec.requested_features()
    unknown = [f for f in wanted if f not in supported]
    if unknown:
        offered = ", ".join(f for f in supported if f != ALWAYS_ON_FEATURE) or "none"
        raise StepFailedError(f"feature(s) not supported here: {', '.join(unknown)} (supported: {offered})")
    return {"supported": supported, "enabled": wanted, "license": answer.licenseType}


def account_body(
    spec: JobSpec, identity: dict[str, Any], group_ids: Iterable[str], key: str
) -> dict[str, Any]:
    """The `/cas/v1/azure_account` body for this job (built by the resource; holds the secret)."""
    return azure_resource.account_body(
        account_type=spec.account_type,
        name=spec.name,
        tenant_id=spec.tenant_id,
        subscription_id=spec.subscription_id,
        client_id=identity["client_id"],
        key=key,
        service_principal_id=identity["service_principal_id"],
        group_ids=list(group_ids),
        environment=spec.environment,
        monitor_flow_logs=spec.monitor_flow_logs,
        features=spec.features,
        root_sync_enabled=spec.root_sync_enabled,
        default_account_group_id=spec.default_account_group_id,
        hierarchy_selection=[node.to_api() for node in spec.hierarchy_selection],
    )


def _key(ctx: StepContext) -> Secret:
    secret = ctx.io.get_secret(ctx.job_id, "key") or ctx.io.get_secret(ctx.job_id, "client_secret")
    if secret is None:
        raise StepFailedError("the job has no Azure client secret stored; resume it with the secret supplied")
    return secret


def _body(ctx: StepContext) -> dict[str, Any]:
    identity = ctx.outputs.get("identity", {})
    groups = ctx.outputs.get("validate", {}).get("account_group_ids", [])
    return account_body(ctx.spec, identity, groups, _key(ctx).reveal())


def _components(statuses: Iterable[AccountStatus]) -> list[dict[str, Any]]:
    """Flatten status answers (pre-flight `CloudAccountStatus` or `config/status` with subComponents)."""
    out: list[dict[str, Any]] = []
    for item in statuses:
        message = item.message
        if message is None and item.statusMessage is not None:
            message = item.statusMessage.message
        out.append(
            {
                "name": str(item.name or item.id or ""),
                "status": str(item.status or "unknown").lower(),
                "message": str(message or ""),
                "remediation": str(item.remediation or ""),
            }
        )
        out.extend(_components(item.subComponents or ()))
    return out


def preflight(ctx: StepContext) -> dict[str, Any]:
    components = _components(ctx.client.azure.status_check(_body(ctx)))
    failed = [c for c in components if c["status"] == "error"]
    if failed:
        detail = "; ".join(f"{c['name']}: {c['message'] or 'error'}" for c in failed)
        raise StepFailedError(f"pre-flight check failed: {detail}", {"components": components})
    for c in components:
        if c["status"] == "warning":
            ctx.log(f"pre-flight warning: {c['name']}: {c['message']}")
    return {"components": components}


def find_account(ctx: StepContext) -> CloudAccount | None:
    """The Azure account with this job's subscription (or tenant) id, pending ones included, if any."""
    return ctx.client.azure.find_by_subscription(ctx.spec.prisma_account_id)


def _adopt(ctx: StepContext, account: CloudAccount, how: str) -> dict[str, Any]:
    account_id = str(account.accountId)
    if account.name not in (None, ctx.spec.name):
        ctx.log(f"adopting existing account named {account.name!r}", account_id=account_id)
    ctx.io.set_account_id(ctx.job_id, account_id)
    return {"account_id": account_id, "adopted": how != "created", "how": how}


def add_account(ctx: StepContext) -> dict[str, Any]:
    """Create the account exactly once: look up, post, and on any doubt look up again and adopt."""
    existing = find_account(ctx)
    if existing is not None:
        return _adopt(ctx, existing, "found before adding")
    body = _body(ctx)
    for attempt in range(1, MAX_ADD_ATTEMPTS + 1):
        ctx.checkpoint(posting=attempt)
        try:
            ctx.client.azure.add_account(body)
        except api_errors.OutcomeUnknownError:
            ctx.hook("add_account:posted")
            ctx.log("the add call's outcome is unknown; looking the account up before anything else")
            found = find_account(ctx)
            if found is not None:
                return _adopt(ctx, found, "reconciled after an unknown outcome")
            continue  # confirmed absent: posting again is not blind
        except api_errors.APIError as exc:
            if _i18n_keys(exc) & DUPLICATE_KEYS:
                found = find_account(ctx)
                if found is not None:
                    return _adopt(ctx, found, "reconciled after duplicate_cloud_account")
            raise StepFailedError(f"adding the account failed: {exc}") from None
        ctx.hook("add_account:posted")
        found = find_account(ctx)
        if found is None:
            raise StepFailedError("the add call succeeded but the account is not listed under /cloud")
        return _adopt(ctx, found, "created")
    raise StepFailedError(f"the account could not be added after {MAX_ADD_ATTEMPTS} attempts")


def _all_ok(components: list[dict[str, Any]]) -> bool:
    return all(c["status"] == "ok" for c in components)


def verify(ctx: StepContext) -> dict[str, Any]:
    """Poll the account and its config status until every component is ok, or the time limit."""
    account_id = ctx.outputs.get("add_account", {}).get("account_id") or ctx.spec.prisma_account_id
    deadline = ctx.monotonic() + ctx.settings.verify_timeout
    last: list[dict[str, Any]] | None = None
    while True:
        ctx.check_cancel()
        enabled = ctx.client.cloud_accounts.get("azure", account_id).enabled
        components = _components(ctx.client.azure.config_status(account_id))
        if components != last:
            ctx.emit("status", components=components, enabled=enabled)
            last = components
        if _all_ok(components):
            return {"components": components, "enabled": enabled, "settled": True}
        if ctx.monotonic() >= deadline:
            break
        ctx.sleep(ctx.settings.poll_interval)
    errors = [c for c in components if c["status"] == "error"]
    if errors:
        detail_text = "; ".join(f"{c['name']}: {c['message']} {c['remediation']}".strip() for c in errors)
        raise StepFailedError(f"the account reports errors: {detail_text}", {"components": components})
    for c in components:
        if c["status"] != "ok":
            ctx.log(f"{c['name']} is {c['status']}: {c['message']}", remediation=c["remediation"])
    return {"components": components, "enabled": enabled, "settled": False}


StepFunction = Callable[[StepContext], dict[str, Any]]
