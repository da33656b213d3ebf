"""Create the Cortex template ONCE and record the instance id (the tracking GUID).

A PENDING instance of the job's name is looked up first and adopted (fresh links from `edit_instance`);
the intent is checkpointed before the create call, and a lost answer is reconciled by the same lookup
inside `cloud_onboarding.create_instance_template`, never by a second create.
"""

from __future__ import annotations

from typing import Any

from cortexkit import errors as api_errors
from cortexkit.cortex.models import TemplateLinks
from cortexkit.cortex.resources.cloud_onboarding import edit_changes, tracking_guid
from cortexkit.onboarding.context import NeedsAttentionError, StepContext, StepFailedError
from cortexkit.onboarding.cortexflow import access
from cortexkit.onboarding.cortexflow.preflight import consent_link
from cortexkit.onboarding.outage import outage_cause
from cortexkit.retry import RetryConfig, RetryPolicy

CREATE_ATTEMPTS = 5
CREATE_BACKOFF = RetryPolicy(RetryConfig(base=1.0, cap=16.0))


def links_of(links: TemplateLinks) -> dict[str, str]:
    """The package links by kind (`ARM`, `TF`), from the `manual` part of the answer."""
    return {str(k): str(v) for k, v in (links.manual or {}).items() if isinstance(v, str) and v}


def pending_named(ctx: StepContext) -> list[str]:
    rows = access.cortex(ctx).cloud_onboarding.instances(status="PENDING", name=ctx.spec.name)
    return [r.instance_id for r in rows if r.instance_id]


EDIT_ATTEMPTS = 4
EDIT_TRANSIENT = (api_errors.OutcomeUnknownError, api_errors.ServerError, api_errors.APIConnectionError)


def edit_again(ctx: StepContext, instance_id: str, request: dict[str, Any]) -> TemplateLinks:
    """`edit_instance` with the job's own template request, sent again on a lost or 5xx answer.

    The client never resends an edit by itself (a library call cannot know the edit is a repeat); here
    it is: the same changes applied twice leave the same instance and only fresh links, unlike a create,
    which a resend could duplicate. (Seen in the 100-row bench at 5 % faults: one 503 on this call failed
    the job and left its PENDING instance.)"""
    onboarding = access.cortex(ctx).cloud_onboarding
    for attempt in range(1, EDIT_ATTEMPTS + 1):
        try:
            links: TemplateLinks = onboarding.edit_instance(instance_id, edit_changes(request))
            return links
        except EDIT_TRANSIENT as exc:
            if attempt == EDIT_ATTEMPTS:
                raise
            wait = CREATE_BACKOFF.backoff(attempt)
            ctx.log(
                f"editing Cortex instance {instance_id} got no answer ({exc}); sending the same edit again "
                f"in {wait:.1f} s"
            )
            ctx.sleep(wait)
            ctx.check_cancel()
    raise StepFailedError("editing the Cortex instance: no attempt left")  # pragma: no cover


def _record(ctx: StepContext, instance_id: str, owned: bool) -> None:
    """Checkpoint the instance and whether this job made it before anything else can fail: cleanup on
    cancel deletes only an instance the job made (`owned`), never one it found already there."""
    ctx.checkpoint(instance_id=instance_id, owned=owned)
    ctx.io.set_account_id(ctx.job_id, instance_id)


def _adopt(
    ctx: StepContext, instance_id: str, request: dict[str, Any], how: str, *, owned: bool
) -> dict[str, Any]:
    links = edit_again(ctx, instance_id, request)
    _record(ctx, instance_id, owned)
    ctx.log(f"{how}: Cortex instance {instance_id}", instance_id=instance_id)
    return {"instance_id": instance_id, "links": links_of(links), "created": False, "owned": owned}


def _unapproved(exc: api_errors.APIError) -> bool:
    text = f"{exc}".lower()
    return "approv" in text or "consent" in text


def _create_once(ctx: StepContext, request: dict[str, Any]) -> tuple[TemplateLinks | None, str | None]:
    """(links, None) from a create that answered, or (None, instance id) of the one a lost answer made.

    A lost answer is looked up by name: one PENDING instance is adopted, several need a person, none means
    the call did not act, so sending it again is not blind (a few rounds, with jitter)."""
    onboarding = access.cortex(ctx).cloud_onboarding
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return onboarding.create_instance_template(request, reconcile=False), None
        except api_errors.OutcomeUnknownError as exc:
            ctx.hook("template:created")
            found = pending_named(ctx)
            if len(found) > 1:
                raise NeedsAttentionError(
                    f"creating the Cortex template: {exc}; {len(found)} PENDING instances are named "
                    f"{ctx.spec.name!r} ({', '.join(found)}): keep one, delete the others, then resume "
                    "with --force"
                ) from None
            if found:
                return None, found[0]
            if attempt == CREATE_ATTEMPTS:
                raise StepFailedError(f"creating the Cortex template kept failing: {exc}") from None
            wait = CREATE_BACKOFF.backoff(attempt)
            ctx.log(
                "the create call's answer was lost and no instance appeared; sending it again in "
                f"{wait:.1f} s"
            )
            ctx.sleep(wait)
            ctx.check_cancel()
    raise StepFailedError("creating the Cortex template: no attempt left")  # pragma: no cover


def create_template(ctx: StepContext) -> dict[str, Any]:
    request = access.template_request(ctx)
    found = pending_named(ctx)
    if len(found) > 1:
        raise NeedsAttentionError(
            f"{len(found)} PENDING Cortex instances are named {ctx.spec.name!r} ({', '.join(found)}): keep "
            "one, delete the others under Settings > Data Sources (PENDING filter), then resume with --force"
        )
    if found:
        # After this job's own create was interrupted the instance is its own; otherwise it was there first.
        mine = bool(ctx.partial.get("creating"))
        how = "adopted after an interrupted create" if mine else "adopted existing"
        return _adopt(ctx, found[0], request, how, owned=mine)
    ctx.checkpoint(creating=True)
    try:
        links, adopted = _create_once(ctx, request)
    except api_errors.APIError as exc:
        if outage_cause(exc) is not None:
            raise  # Cortex is down (a 5xx): the runner's outage breaker decides, not this step
        if _unapproved(exc):
            raise StepFailedError(
                f"Cortex refused the template: {exc}. An Entra administrator must grant admin consent to "
                f"Cortex's app first: {consent_link(ctx.spec.tenant_id)}"
            ) from None
        raise StepFailedError(f"Cortex refused the template: {exc}") from None
    if adopted is not None:
        return _adopt(ctx, adopted, request, "reconciled after a lost answer", owned=True)
    assert links is not None
    ctx.hook("template:created")
    instance_id = tracking_guid(links)
    if not instance_id:
        ids = pending_named(ctx)
        if len(ids) != 1:
            raise StepFailedError("the template answer carried no instance id and the lookup found none")
        instance_id = ids[0]
    _record(ctx, instance_id, owned=True)
    ctx.log(
        f"created Cortex instance {instance_id} (PENDING until the template runs)", instance_id=instance_id
    )
    return {"instance_id": instance_id, "links": links_of(links), "created": True, "owned": True}
