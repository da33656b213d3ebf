"""The Cortex job's steps in order, for the runner (`model.CORTEX_STEPS` names them)."""

from __future__ import annotations

from typing import Any

from cortexkit.onboarding.context import StepContext, StepFailedError
from cortexkit.onboarding.cortexflow import access, connect, deploy, packages, preflight, template_step
from cortexkit.onboarding.cortexflow.spec import deployment_name, deployment_scope, field_errors
from cortexkit.onboarding.steps import StepFunction


def validate(ctx: StepContext) -> dict[str, Any]:
    """The input rules again (a row edited in the database, an older spec), and what the job will make."""
    problems = field_errors(ctx.spec.model_dump(mode="json"))
    if problems:
        raise StepFailedError("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
    opts = access.options(ctx)
    access.cortex(ctx)
    return {
        "scope": opts.scope,
        "deploy": opts.deploy,
        "deployment": deployment_name(ctx.job_id),
        "deployment_scope": "/" + deployment_scope(opts, ctx.spec.subscription_id, ctx.spec.tenant_id),
    }


STEP_FUNCTIONS: dict[str, StepFunction] = {
    "validate": validate,
    "preflight": preflight.preflight,
    "template": template_step.create_template,
    "download": packages.download,
    "deploy": deploy.deploy,
    "wait_cortex": connect.wait_cortex,
    "reconcile": connect.reconcile,
}
