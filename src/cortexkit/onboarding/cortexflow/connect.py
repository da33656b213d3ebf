"""After the deployment: wait for Cortex to connect the instance, then reconcile its accounts with Azure.

The wait polls `get_instances` (the one place PENDING shows) and `get_instance_details`, with a growing
interval, until `cortex.progress` says connected or needs attention (Warning/Error: the job ends
`needs_attention` with Cortex's message). Past the timeout the job waits; `resume` polls again.
"""

from __future__ import annotations

from typing import Any

from cortexkit.azure.client import AzureError
from cortexkit.cortex.progress import Progress, progress
from cortexkit.onboarding.context import NeedsAttentionError, NeedsUserError, StepContext, StepFailedError
from cortexkit.onboarding.cortexflow import access
from cortexkit.onboarding.cortexflow.preflight import in_scope, list_subscriptions

BACKOFF = 1.5
MAX_INTERVAL = 30.0


def next_interval(current: float, base: float) -> float:
    """The poll interval after `current`: x1.5, capped at 30 s (or at the base when that is larger)."""
    return min(current * BACKOFF, max(base, min(MAX_INTERVAL, base * 8)))


def capability_rows(details: Any) -> list[dict[str, Any]]:
    if details is None:
        return []
    rows = []
    for c in details.security_capabilities:
        extra = c.model_extra or {}
        message = extra.get("message") or extra.get("error") or extra.get("status_message")
        rows.append(
            {
                "name": c.name,
                "description": c.description,
                "status": c.status,
                "label": c.label,
                "message": str(message) if message else None,
            }
        )
    return rows


def attention_message(verdict: Progress, rows: list[dict[str, Any]]) -> str:
    """Cortex's verdict with each troubled capability's own message, when it gave one."""
    notes = [f"{r['description'] or r['name']}: {r['message']}" for r in rows if r.get("message")]
    return verdict.message() + (f" ({'; '.join(notes)})" if notes else "")


def _read(ctx: StepContext, instance_id: str) -> tuple[Progress, list[dict[str, Any]]]:
    onboarding = access.cortex(ctx).cloud_onboarding
    row = onboarding.find_instance(instance_id)
    if row is None:
        raise StepFailedError(f"Cortex instance {instance_id} no longer exists (deleted in the console?)")
    status = str(row.status or "")
    details = None if status.upper() == "PENDING" else onboarding.instance(instance_id)
    return progress(details, status), capability_rows(details)


def wait_cortex(ctx: StepContext) -> dict[str, Any]:
    instance_id = access.instance_id(ctx)
    base = ctx.settings.poll_interval
    interval = base
    deadline = ctx.monotonic() + ctx.settings.verify_timeout
    last: tuple[str, list[dict[str, Any]]] | None = None
    verdict: Progress | None = None
    while True:
        ctx.check_cancel()
        try:
            verdict, rows = _read(ctx, instance_id)
        except access.TRANSIENT as exc:
            paused = ctx.api_trouble(exc)  # the bulk's breaker pauses the job while Cortex is down
            if paused > 0:
                deadline += paused  # an outage waited out does not eat Cortex's time to connect
                continue
            ctx.log(f"Cortex could not be read ({exc}); polling again")
        else:
            if (verdict.state, rows) != last:
                ctx.emit("capabilities", instance_id=instance_id, state=verdict.state, capabilities=rows)
                ctx.log(verdict.message())
                last = (verdict.state, rows)
            output = {"instance_id": instance_id, "state": verdict.state, "capabilities": rows}
            if verdict.state == "connected":
                return output
            if verdict.state == "needs_attention":
                raise NeedsAttentionError(
                    f"Cortex instance {instance_id}: {attention_message(verdict, rows)}", output
                )
        if ctx.monotonic() >= deadline:
            where = verdict.message() if verdict else "Cortex could not be read"
            raise NeedsUserError(
                f"Cortex has not finished connecting instance {instance_id} ({where}); resume the job to "
                "wait again",
                {"instance_id": instance_id},
            )
        ctx.sleep(interval)
        interval = next_interval(interval, base)


def compare(expected: list[str], found: list[str]) -> tuple[list[str], list[str]]:
    """(missing, extra): subscriptions Azure lists that Cortex lacks, and accounts Cortex has beyond them."""
    want = {s.lower(): s for s in expected}
    have = {s.lower(): s for s in found}
    missing = [want[k] for k in sorted(set(want) - set(have))]
    extra = [have[k] for k in sorted(set(have) - set(want))]
    return missing, extra


def reconcile(ctx: StepContext) -> dict[str, Any]:
    instance_id = access.instance_id(ctx)
    accounts = list(access.cortex(ctx).cloud_onboarding.accounts(instance_id))
    found = [str(a.account_id) for a in accounts if a.account_id]
    listed = access.scope_subscriptions(ctx)
    if access.has_azure(ctx):
        try:
            with access.azure_client(ctx) as azure:
                listed = list_subscriptions(ctx, azure)
        except AzureError as exc:
            ctx.log(f"Azure's subscriptions could not be listed again ({exc}); using the preflight's list")
    expected = in_scope(access.options(ctx), listed)
    missing, extra = compare(expected, found)
    if missing:
        ctx.log(
            f"{len(missing)} subscription(s) under the scope are not Cortex accounts: "
            + ", ".join(missing[:10])
        )
    if extra:
        ctx.log(f"Cortex lists {len(extra)} account(s) outside the scope: {', '.join(extra[:10])}")
    if not missing and not extra:
        ctx.log(f"the {len(found)} Cortex account(s) match the subscriptions under the scope")
    return {
        "instance_id": instance_id,
        "accounts": [
            {"account_id": a.account_id, "name": a.account_name, "status": a.status} for a in accounts
        ],
        "expected": expected,
        "missing": missing,
        "extra": extra,
    }
