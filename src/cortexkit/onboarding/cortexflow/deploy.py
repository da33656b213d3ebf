"""Deploy the Cortex template to Azure: an ARM deployment (what-if first, then create-or-update polled to a
terminal state), `terraform apply` of the package, or `manual` (the job waits for the user to run it).

The ARM deployment's name is fixed by the job (`spec.deployment_name`), so every run of this step first
GETs it: a running deployment is adopted, a succeeded one is taken as done, and only a missing one (or
one that failed in an earlier, reported attempt) is PUT. ARM answers a PUT while the name runs with 409
`DeploymentActive`, which is adopted too: one deployment however often the job is killed and resumed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cortexkit.azure import deployments
from cortexkit.azure.client import AzureCallError, AzureClient, AzureConnectionError, AzureError
from cortexkit.onboarding.context import NeedsUserError, StepContext, StepFailedError
from cortexkit.onboarding.cortexflow import access
from cortexkit.onboarding.cortexflow.spec import deployment_name, deployment_scope

WHAT_IF_TIMEOUT = 300.0
AZ_GROUPS = {"subscription": "sub", "management-group": "mg", "tenant": "tenant"}


def arm_folder(work: Path) -> Path:
    """The folder of the unpacked ARM package holding `template.json` (the package may nest it)."""
    root = work / "arm"
    found = sorted(root.rglob("template.json"), key=lambda p: len(p.parts)) if root.exists() else []
    return found[0].parent if found else root


def arm_package(work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(template, parameters) from the unpacked ARM package; parameters as in an ARM parameters file."""
    folder = arm_folder(work)
    path = folder / "template.json"
    if not path.exists():
        raise StepFailedError(f"the ARM package has no template.json (looked in {work / 'arm'})")
    try:
        template = json.loads(path.read_text())
        params_path = folder / "parameters.json"
        params_doc = json.loads(params_path.read_text()) if params_path.exists() else {}
    except ValueError as exc:
        raise StepFailedError(f"the ARM package holds invalid JSON: {exc}") from None
    params = params_doc.get("parameters", params_doc) if isinstance(params_doc, dict) else {}
    return template, {k: v for k, v in params.items() if not str(k).startswith("$")}


def body_of(ctx: StepContext) -> dict[str, Any]:
    template, params = arm_package(ctx.work_dir)
    return deployments.deployment_body(template, params, location=access.options(ctx).location)


def az_command(ctx: StepContext) -> str:
    """The az CLI line that runs the package by hand (what `--deploy manual` prints)."""
    opts = access.options(ctx)
    folder = arm_folder(ctx.work_dir)
    where = {
        "subscription": f" --subscription {ctx.spec.subscription_id}",
        "management-group": f" --management-group-id {opts.management_group_id}",
        "tenant": "",
    }[opts.scope]
    return (
        f"az deployment {AZ_GROUPS[opts.scope]} create{where} --location {opts.location} "
        f"--name {deployment_name(ctx.job_id)} --template-file {folder / 'template.json'} "
        f"--parameters @{folder / 'parameters.json'}"
    )


def _current(azure: AzureClient, scope: str, name: str) -> dict[str, Any] | None:
    try:
        return azure.send(deployments.get(scope, name))
    except AzureCallError as exc:
        if exc.status == 404:
            return None
        raise


def _what_if(ctx: StepContext, azure: AzureClient, scope: str, name: str, body: dict[str, Any]) -> list[Any]:
    if "what_if" in ctx.partial:
        return list(ctx.partial["what_if"])
    first = azure.send_response(deployments.what_if(scope, name, body))
    result = azure.wait_operation(first, timeout=WHAT_IF_TIMEOUT, interval=ctx.settings.poll_interval)
    changes = deployments.changes_of(result)
    ctx.checkpoint(what_if=changes)
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["change"]] = counts.get(change["change"], 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no changes"
    ctx.emit("what_if", changes=changes)
    ctx.log(f"what-if at /{scope}: {summary}")
    return changes


def _put(ctx: StepContext, azure: AzureClient, scope: str, name: str, body: dict[str, Any]) -> None:
    ctx.checkpoint(putting=True)
    try:
        azure.send(deployments.create_or_update(scope, name, body))
    except AzureCallError as exc:
        if exc.status != 409:
            raise StepFailedError(f"Azure refused the deployment: {exc}") from None
        ctx.log("the deployment is already running: adopting it", deployment=name)
    ctx.hook("deploy:put")
    ctx.log(f"deployment {name} started at /{scope}", deployment=name)


def _poll(ctx: StepContext, azure: AzureClient, scope: str, name: str) -> dict[str, Any]:
    deadline = ctx.monotonic() + ctx.settings.verify_timeout
    last_resources: list[dict[str, str]] | None = None
    while True:
        ctx.check_cancel()
        try:
            current = _current(azure, scope, name) or {}
            resources = deployments.resources_of(azure.send(deployments.operations(scope, name)))
        except (AzureConnectionError, AzureCallError) as exc:
            if isinstance(exc, AzureCallError) and exc.status < 500 and exc.status != 429:
                raise
            current, resources = {}, last_resources or []
            ctx.log(f"the deployment could not be read ({exc}); polling again")
        if resources != last_resources:
            ctx.emit("resources", deployment=name, resources=resources)
            last_resources = resources
        state = deployments.state_of(current)
        if state in deployments.TERMINAL_STATES:
            return {**current, "_resources": resources}
        if ctx.monotonic() >= deadline:
            raise NeedsUserError(
                f"deployment {name} is still {state or 'running'} at /{scope}; resume the job to adopt it",
                {"deployment": name},
            )
        ctx.sleep(ctx.settings.poll_interval)


def _correlation(deployment: dict[str, Any]) -> str:
    props = deployment.get("properties")
    return str(props.get("correlationId", "")) if isinstance(props, dict) else ""


def arm(ctx: StepContext) -> dict[str, Any]:
    opts = access.options(ctx)
    scope = deployment_scope(opts, ctx.spec.subscription_id, ctx.spec.tenant_id)
    name = deployment_name(ctx.job_id)
    body = body_of(ctx)
    with access.azure_client(ctx) as azure:
        try:
            current = _current(azure, scope, name)
            state = deployments.state_of(current or {})
            retry_failed = state == "Failed" and _correlation(current or {}) == ctx.partial.get("failed")
            if current is None or state == "Canceled" or retry_failed:
                changes = _what_if(ctx, azure, scope, name, body)
                _put(ctx, azure, scope, name, body)
            else:
                changes = list(ctx.partial.get("what_if") or [])
                ctx.log(f"deployment {name} found ({state}): adopting it", deployment=name)
            final = _poll(ctx, azure, scope, name)
        except AzureError as exc:
            raise StepFailedError(f"the ARM deployment failed: {exc}") from None
    output = {
        "method": "arm",
        "deployment": name,
        "scope": f"/{scope}",
        "state": deployments.state_of(final),
        "correlation_id": _correlation(final),
        "what_if": changes,
        "resources": final.get("_resources", []),
    }
    if output["state"] != "Succeeded":
        reason = deployments.error_of(final) or output["state"]
        raise StepFailedError(
            f"deployment {name} ended {output['state']}: {reason}; fix it and resume the job "
            "(it deploys again)",
            {**output, "failed": output["correlation_id"]},
        )
    return output


def _connected_already(ctx: StepContext) -> bool:
    """The template ran outside this step (by hand, or an apply this step lost): Cortex saw it."""
    row = access.cortex(ctx).cloud_onboarding.find_instance(access.instance_id(ctx))
    return row is not None and str(row.status or "").upper() not in ("", "PENDING")


def manual(ctx: StepContext) -> dict[str, Any]:
    if _connected_already(ctx):
        return {"method": "manual", "deployed_by": "user"}
    links = ctx.outputs.get("download", {}).get("links") or {}
    command = az_command(ctx)
    lines = [f"{kind}: {url}" for kind, url in sorted(links.items())]
    raise NeedsUserError(
        f"the Cortex template is ready in {ctx.work_dir}: run it in Azure ({command}; or onboard.sh from the "
        f"ARM package, or terraform apply in {ctx.work_dir / 'terraform'}), then 'cortexkit onboard resume "
        f"{ctx.job_id}'. Links: " + "; ".join(lines),
        {"command": command, "links": links, "work_dir": str(ctx.work_dir)},
    )


def terraform(ctx: StepContext) -> dict[str, Any]:
    from cortexkit.onboarding.provisioners import terraform as tf

    if ctx.partial.get("applying") and _connected_already(ctx):
        return {"method": "terraform", "work_dir": str(ctx.work_dir / "terraform"), "state": "connected"}
    root = ctx.work_dir / "terraform"
    found = sorted(root.rglob("*.tf"), key=lambda p: len(p.parts)) if root.exists() else []
    if not found:
        raise StepFailedError(f"the Terraform package has no .tf file (looked in {root})")
    folder = found[0].parent  # the package may hold its module in a sub-folder
    command = tf.terraform_command_of(ctx)
    if command is None:
        if _connected_already(ctx):
            return {"method": "terraform", "deployed_by": "user"}
        raise NeedsUserError(
            f"terraform is not installed here. The package is ready in {folder}: run 'terraform init' and "
            f"'terraform apply' there, then 'cortexkit onboard resume {ctx.job_id}'",
            {"work_dir": str(folder)},
        )
    secret = ctx.io.get_secret(ctx.job_id, "client_secret")
    if not ctx.spec.client_id or secret is None:
        raise StepFailedError("terraform apply signs in to Azure: give --client-id and AZURE_CLIENT_SECRET")
    subs = ctx.outputs.get("preflight", {}).get("in_scope") or []
    env = {
        "ARM_TENANT_ID": ctx.spec.tenant_id,
        "ARM_CLIENT_ID": ctx.spec.client_id,
        "ARM_CLIENT_SECRET": secret.reveal(),
        "ARM_SUBSCRIPTION_ID": str(ctx.spec.subscription_id or (subs[0] if subs else "")),
    }
    _write_scope_vars(ctx, folder)
    ctx.checkpoint(applying=True)
    tf.run_command(ctx, command, ["init", "-input=false", "-no-color"], folder, env)
    tf.run_command(ctx, command, ["apply", "-auto-approve", "-input=false", "-json"], folder, env)
    return {"method": "terraform", "work_dir": str(folder), "state": "applied"}


def scope_vars(ctx: StepContext, main_tf: str) -> dict[str, str]:
    """Values of the scope variables the package's `main.tf` declares and its tfvars leave out."""
    opts = access.options(ctx)
    values: dict[str, str] = {}
    if 'variable "subscription_id"' in main_tf and ctx.spec.subscription_id:
        values["subscription_id"] = ctx.spec.subscription_id
    if 'variable "management_group_id"' in main_tf:
        values["management_group_id"] = opts.management_group_id or ctx.spec.tenant_id  # the tenant root
    return values


def _write_scope_vars(ctx: StepContext, folder: Path) -> None:
    main_tf = "".join(p.read_text() for p in sorted(folder.glob("*.tf")))
    values = scope_vars(ctx, main_tf)
    if values:
        path = folder / "cortexkit.auto.tfvars.json"
        path.write_text(json.dumps(values, indent=2))
        path.chmod(0o600)


def deploy(ctx: StepContext) -> dict[str, Any]:
    method = access.options(ctx).deploy
    if method == "manual":
        return manual(ctx)
    if method == "terraform":
        return terraform(ctx)
    return arm(ctx)
