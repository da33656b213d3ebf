"""The onboarding steps, in order. Each takes a `StepContext` and returns the output to record.

A step must be safe to run again after a crash at any point inside it: reads are repeatable, and the one
creating call (add the account) looks the account up first and reconciles every ambiguous failure by
looking it up again, so the account is created at most once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cortexkit import errors as api_errors
from cortexkit.onboarding.context import (
    ApiUnavailableError,
    NeedsAttentionError,
    NeedsUserError,
    StepContext,
    StepFailedError,
)
from cortexkit.onboarding.model import JobSpec, field_errors
from cortexkit.onboarding.secrets import Secret
from cortexkit.resources import azure as azure_resource
from cortexkit.resources.azure import ALWAYS_ON_FEATURE
from cortexkit.resources.models import AccountStatus, CloudAccount, SupportedFeatures
from cortexkit.retry import RetryConfig, RetryPolicy, parse_retry_after

DEFAULT_GROUP_NAME = "Default Account Group"
DUPLICATE_KEYS = frozenset({"duplicate_cloud_account"})
MAX_ADD_ATTEMPTS = 5
ADD_BACKOFF = RetryPolicy(RetryConfig(base=1.0, cap=16.0))
"""Jitter between add rounds (each round is a reconcile-and-add; the client itself never resends it)."""


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
    """Input rules, then the account groups against the tenant (a typo fails here, before Azure changes).

    The groups are read by name (`GET /cloud/group/name`: id and name of each): the full listing carries
    every member account of every group, so its size, like the account listing's, grows with the tenant
    (the Default Account Group holds every account a bulk adds). The runner's jobs share one answer
    (`TenantReads`); a group it lacks is looked for again before the job fails on it."""
    problems = field_errors(ctx.spec.model_dump(mode="json"))
    if problems:
        raise StepFailedError("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
    wanted = list(ctx.spec.account_group_ids)
    if ctx.spec.default_account_group_id:
        wanted.append(ctx.spec.default_account_group_id)
    needs_default = not ctx.spec.account_group_ids and ctx.spec.account_type == "account"

    def has_all(names: dict[str, str]) -> bool:
        return all(g in names for g in wanted) and (not needs_default or DEFAULT_GROUP_NAME in names.values())

    known = _group_names(ctx, enough=has_all)
    missing = [g for g in wanted if g not in known]
    if missing:
        raise StepFailedError("account group(s) not found: " + ", ".join(missing))
    group_ids = list(ctx.spec.account_group_ids)
    if needs_default:
        default = [gid for gid, name in known.items() if name == DEFAULT_GROUP_NAME]
        if not default:
            raise StepFailedError("no account group given and the tenant has no 'Default Account Group'")
        group_ids = default[:1]
        ctx.log(f"no account group given: using '{DEFAULT_GROUP_NAME}'")
    return {"account_group_ids": group_ids}


def _group_names(ctx: StepContext, *, enough: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    """Account-group id -> name, read once for the runner's jobs on this tenant (`TenantReads`), and
    again when the kept answer is not `enough` (the bulk's answer may predate a new group)."""

    def read() -> tuple[tuple[str, str], ...]:
        return tuple((str(g.id), str(g.name or "")) for g in ctx.client.account_groups.names())

    return dict(ctx.tenant.get("account_group_names", read, enough=lambda pairs: enough(dict(pairs))))


def _offered(answer: SupportedFeatures) -> list[str]:
    return [str(f) for f in answer.supportedFeatures]


def features(ctx: StepContext) -> dict[str, Any]:
    """The features the job asks for, checked against what the tenant offers for its account type; the
    runner's jobs share one answer, read again when it lacks one of them (a licence may have changed)."""
    wanted = ctx.spec.requested_features()
    args = features_args(ctx.spec)
    answer = ctx.tenant.get(
        ("supported_features", *sorted(args.items())),
        lambda: ctx.client.azure.supported_features(**args),
        enough=lambda kept: all(f in _offered(kept) for f in wanted),
    )
    supported = _offered(answer)
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


def find_account(ctx: StepContext, *, thorough: bool = True) -> CloudAccount | None:
    """The Azure account with this job's subscription (or tenant) id, pending ones included, if any.

    By id first: one read whose size does not grow with the tenant (a subscription account's Prisma id is
    its subscription id). When that finds nothing, `thorough` adds the listing with
    `includePendingAccounts=true`, the one proof that an account is absent: a pending account may not be
    readable by id (what is known and assumed: `cortexkit.resources.azure`). The happy path (a first add
    and its confirmation) never lists; the rare paths do (a resume after a post, an unknown outcome, a
    `duplicate_cloud_account` refusal, a by-id miss after a 2xx add).
    """
    account_id = ctx.spec.prisma_account_id
    found = ctx.client.azure.get_by_id(account_id)
    if found is not None or not thorough:
        return found
    return ctx.client.azure.find_by_subscription(account_id)


def _differences(ctx: StepContext, account: CloudAccount) -> list[str]:
    """How an existing account differs from what this job would create: name, client id, groups. A
    pending account the by-id read cannot see yet is judged on its list view (no client id there)."""
    detail = ctx.client.azure.get_by_id(str(account.accountId)) or account
    found: list[str] = []
    if detail.name is not None and detail.name != ctx.spec.name:
        found.append(f"it is named {detail.name!r}, the job says {ctx.spec.name!r}")
    theirs = str((detail.model_extra or {}).get("clientId") or "")
    ours = str(ctx.outputs.get("identity", {}).get("client_id") or "")
    if theirs and ours and theirs.lower() != ours.lower():
        found.append(f"its client id is {theirs}, the job's is {ours}")
    wanted = set(ctx.outputs.get("validate", {}).get("account_group_ids", []))
    if detail.groupIds is not None and wanted and not wanted <= set(detail.groupIds):
        found.append(
            f"it is in account groups {', '.join(sorted(detail.groupIds)) or 'none'}, "
            f"the job asks for {', '.join(sorted(wanted))}"
        )
    return found


def _adopt(ctx: StepContext, account: CloudAccount, how: str) -> dict[str, Any]:
    """Record the account as the job's, unless it is someone else's: then stop for a person to decide."""
    account_id = str(account.accountId)
    if how != "created":
        differences = _differences(ctx, account)
        if differences:
            identity = ctx.outputs.get("identity", {})
            created = ", ".join(
                f"{k} {identity[k]}" for k in ("client_id", "app_object_id") if identity.get(k)
            )
            leftover = f" The Azure identity this job created ({created}) is unused." if created else ""
            ctx.log("an account for this subscription already exists and differs", account_id=account_id)
            raise NeedsAttentionError(
                f"Prisma Cloud already has account {account_id} for this subscription, but "
                + "; ".join(differences)
                + f". Check it, then delete it (cortexkit accounts delete) or change the job.{leftover}",
                {"account_id": account_id, "differences": differences},
            )
    ctx.io.set_account_id(ctx.job_id, account_id)
    if account.enabled is not None:  # verify's first poll would read the same: hand it over
        ctx.carried[ACCOUNT_READ] = (ctx.monotonic(), account.enabled)
    return {"account_id": account_id, "adopted": how != "created", "how": how}


ACCOUNT_READ = "add_account.read"


def _recent_enabled(ctx: StepContext) -> bool | None:
    """The account's `enabled` as this run's add step just read it, if that read is younger than one poll
    interval (as fresh as verify's own first read would be), else None. Saves one by-id read per job, a
    third of that route's calls in a bulk; a resumed job (another run) reads the account again."""
    read = ctx.carried.pop(ACCOUNT_READ, None)
    if read is None:
        return None
    read_at, enabled = read
    return bool(enabled) if 0 <= ctx.monotonic() - read_at < ctx.settings.poll_interval else None


@dataclass(frozen=True)
class _Refusal:
    """What the API last said about an add that did not happen, for the log and the step's error."""

    status: int | None
    keys: tuple[str, ...]
    request_id: str | None
    retry_after: float | None
    text: str

    @classmethod
    def of(cls, exc: Exception) -> _Refusal:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, api_errors.APIError):
            cause = cause.__cause__
        if cause is None:
            return cls(None, (), None, None, str(exc))
        hinted = parse_retry_after(cause.retry_after, time.time()) if cause.retry_after else None
        keys = (
            cause.i18n_keys
            or tuple(  # the cas style names its key in the body, not the header
                " ".join(k.split())[:80] for k in (cause.body.debug_message or cause.body.code,) if k
            )
        )
        return cls(cause.status, keys, cause.request_id, hinted, str(cause))

    def describe(self) -> str:
        if self.status is None:
            return self.text
        keys = f" [{', '.join(self.keys)}]" if self.keys else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.status}{keys}{rid}"

    def fields(self) -> dict[str, Any]:
        return {"status": self.status, "error_keys": list(self.keys), "request_id": self.request_id}


def _add_wait(round_: int, refusal: _Refusal) -> float:
    """At least what the server asked (Retry-After), plus full jitter over a growing ceiling, so a fleet
    of jobs does not come back on the same beat."""
    return (refusal.retry_after or 0.0) + ADD_BACKOFF.backoff(round_)


def add_account(ctx: StepContext) -> dict[str, Any]:
    """Create the account exactly once: look up, post, and on any doubt look up again and adopt. A
    transient refusal is waited out (Retry-After, jitter) for a few rounds; giving up says what the API
    last answered and its request id.

    Before the first post the lookup is by id only: an account this job has not posted yet that the
    by-id read cannot see (someone else's, still pending) makes the post answer `duplicate_cloud_account`,
    which is reconciled through the listing. Once a post may have happened (`posting` recorded: a resume),
    the lookup is thorough from the start."""
    existing = find_account(ctx, thorough="posting" in ctx.partial)
    if existing is not None:
        return _adopt(ctx, existing, "found before adding")
    body = _body(ctx)
    refusal: _Refusal | None = None
    refused: Exception | None = None
    attempt = 0
    while attempt < MAX_ADD_ATTEMPTS:
        attempt += 1
        ctx.checkpoint(posting=attempt)
        try:
            ctx.client.azure.add_account(body)
        except api_errors.OutcomeUnknownError as exc:
            ctx.hook("add_account:posted")
            ctx.log("the add call's outcome is unknown; looking the account up before anything else")
            found = find_account(ctx)
            if found is not None:
                return _adopt(ctx, found, "reconciled after an unknown outcome")
            refusal, refused = _Refusal.of(exc), exc  # confirmed absent: posting again is not blind
        except (api_errors.RateLimitError, api_errors.ServerError) as exc:
            refusal, refused = (
                _Refusal.of(exc),
                exc,
            )  # answered before acting (the client resends only such calls)
        except api_errors.APIError as exc:
            if _i18n_keys(exc) & DUPLICATE_KEYS:
                found = find_account(ctx)
                if found is not None:
                    return _adopt(ctx, found, "reconciled after duplicate_cloud_account")
            raise StepFailedError(f"adding the account failed: {exc}") from None
        else:
            ctx.hook("add_account:posted")
            found = find_account(ctx)
            if found is None:
                raise StepFailedError("the add call succeeded but the account is not listed under /cloud")
            return _adopt(ctx, found, "created")
        if ctx.api_trouble(refused) > 0:
            attempt = 0  # an outage waited out: the rounds are for blips, the outage budget for outages
            ctx.log(f"the API answers again after an outage ({refusal.describe()}); adding the account")
            continue
        if attempt < MAX_ADD_ATTEMPTS:
            wait = _add_wait(attempt, refusal)
            ctx.log(
                f"the account was not added ({refusal.describe()}); trying the add again in {wait:.1f} s",
                wait=round(wait, 3),
                **refusal.fields(),
            )
            ctx.sleep(wait)
            ctx.check_cancel()
    last = refusal.describe() if refusal else "no answer"
    message = (
        f"the account could not be added after {MAX_ADD_ATTEMPTS} attempts; the API last answered {last}"
    )
    ctx.log(message, **(refusal.fields() if refusal else {}))
    if refusal is not None and (refusal.status is None or refusal.status >= 500):
        raise ApiUnavailableError(
            message, f"answered {refusal.status}" if refusal.status else "could not be reached"
        )
    raise StepFailedError(message)


def _all_ok(components: list[dict[str, Any]]) -> bool:
    return all(c["status"] == "ok" for c in components)


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    api_errors.APIConnectionError,
    api_errors.RateLimitError,
    api_errors.ServerError,
    api_errors.UnexpectedResponseError,
)
"""What a poll may meet during an outage: waited out, never the end of the job."""


def verify(ctx: StepContext) -> dict[str, Any]:
    """Poll the account and its config status until every component is ok, or the time limit. A poll
    that fails transiently is retried at the next interval; if the API is still failing at the limit, the
    job waits (resume verifies again) instead of failing an account that exists."""
    account_id = ctx.outputs.get("add_account", {}).get("account_id") or ctx.spec.prisma_account_id
    deadline = ctx.monotonic() + ctx.settings.verify_timeout
    last: list[dict[str, Any]] | None = None
    enabled: bool | None = None
    just_read = _recent_enabled(ctx)
    while True:
        ctx.check_cancel()
        try:
            if just_read is not None:
                enabled, just_read = just_read, None
            else:
                detail = ctx.client.azure.get_by_id(account_id)  # None while pending, if Prisma hides them
                enabled = detail.enabled if detail is not None else None
            components = _components(ctx.client.azure.config_status(account_id))
        except TRANSIENT_ERRORS as exc:
            if ctx.monotonic() >= deadline:
                if last is None:
                    raise NeedsUserError(
                        f"account {account_id} was added, but its status could not be read ({exc}); "
                        "resume the job to verify it again",
                        {"account_id": account_id},
                    ) from None
                components = last
                break
            paused = ctx.api_trouble(exc)
            if paused > 0:
                deadline += paused  # an outage waited out does not eat the account's time to settle
                continue
            ctx.log(f"the account status could not be read ({exc}); polling again", account_id=account_id)
            ctx.sleep(ctx.settings.poll_interval)
            continue
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
