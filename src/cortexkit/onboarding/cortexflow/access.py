"""What the Cortex steps share: the job's Cortex options, its Azure client, the template request, and the
transient errors a poll waits out."""

from __future__ import annotations

from typing import Any

from cortexkit import errors as api_errors
from cortexkit.azure import sessions
from cortexkit.azure.client import AzureClient
from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.cortex import template
from cortexkit.onboarding.context import StepContext, StepFailedError
from cortexkit.onboarding.cortexflow.spec import CortexOptions, template_spec

TRANSIENT: tuple[type[Exception], ...] = (
    api_errors.APIConnectionError,
    api_errors.RateLimitError,
    api_errors.ServerError,
    api_errors.UnexpectedResponseError,
)
"""Cortex answers a poll may meet during an outage: waited out, never the end of the job."""


def options(ctx: StepContext) -> CortexOptions:
    if ctx.spec.cortex is None:  # the runner picks the Cortex steps only for a Cortex spec
        raise StepFailedError("this job has no Cortex options")
    return ctx.spec.cortex


def has_azure(ctx: StepContext) -> bool:
    """Whether the job may call Azure: an operator app id and its secret were given."""
    return bool(ctx.spec.client_id) and ctx.io.get_secret(ctx.job_id, "client_secret") is not None


def azure_client(ctx: StepContext) -> AzureClient:
    """The Azure operator client of the job (its app id from the spec, its secret from the store).

    It borrows the process's session of that identity: every step and every job of a bulk with the same
    tenant and app share one token (one sign-in), and leaving the `with` does not close it."""
    secret = ctx.io.get_secret(ctx.job_id, "client_secret")
    if not ctx.spec.client_id or secret is None:
        raise StepFailedError(
            "this step signs in to Azure: give --client-id and the app's secret in AZURE_CLIENT_SECRET "
            "(or use --deploy manual)"
        )
    endpoints = ctx.settings.azure_endpoints or AzureEndpoints.for_environment(ctx.spec.environment)
    session = sessions.shared_session(
        endpoints, ctx.spec.tenant_id, ctx.spec.client_id, secret, monotonic=ctx.monotonic
    )
    return AzureClient(
        endpoints,
        ctx.spec.tenant_id,
        ctx.spec.client_id,
        secret,
        sleep=ctx.sleep,
        monotonic=ctx.monotonic,
        session=session,
    )


def scope_subscriptions(ctx: StepContext) -> list[str]:
    """The subscriptions the preflight listed under the job's scope (before exclusions)."""
    listed = ctx.outputs.get("preflight", {}).get("subscriptions")
    return [str(s) for s in listed] if isinstance(listed, list) else []


def template_request(ctx: StepContext) -> dict[str, Any]:
    """The `create_instance_template` body of the job (the same body on every run and in the plan)."""
    spec = template_spec(
        ctx.spec.tenant_id, ctx.spec.name, options(ctx), ctx.spec.subscription_id, scope_subscriptions(ctx)
    )
    return template.request_data(spec)


def instance_id(ctx: StepContext) -> str:
    found = ctx.outputs.get("template", {}).get("instance_id")
    if not found:
        raise StepFailedError("the template step recorded no instance id")
    return str(found)


def cortex(ctx: StepContext) -> Any:
    """The job's Cortex client (`CortexClient`; typed loosely since the context is typed for Prisma)."""
    client: Any = ctx.client
    if not hasattr(client, "cloud_onboarding"):
        raise StepFailedError(
            "a Cortex onboarding job needs a Cortex Cloud profile (or CORTEXCLOUD_* settings)"
        )
    return client
