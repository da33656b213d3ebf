"""Run the Prisma Cloud Terraform template for the job and read the identity from its outputs.

The template comes from `POST /cas/v1/azure_template` and is written to the job's work folder (0700:
Terraform's state there will hold the client secret, as it does for any Terraform user). `terraform init`
and `terraform apply -json` run in that folder; each machine-readable line becomes a job event, with the
`outputs` message's values dropped because one of them is the secret. `terraform output -json` gives the
client id, secret and service principal id.

Without a terraform binary the folder is left ready and the job waits: the user applies it elsewhere
and finishes with `cortexkit onboard resume JOB --terraform-outputs outputs.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cortexkit.onboarding.context import NeedsUserError, StepContext, StepFailedError
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import Secret

TEMPLATE_FILE = "prismacloud.tf.json"
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "client_id": ("c__application_client_id", "b_application_id"),
    "key": ("d__application_client_secret", "c_application_key"),
    "service_principal_id": ("e__enterprise_application_object_id", "e_service_principal_object_id"),
}


def map_outputs(raw: Mapping[str, Any]) -> tuple[str, Secret, str]:
    """(client id, secret, service principal id) from `terraform output -json` or a flat name->value map."""

    def value(field: str) -> str:
        for name in OUTPUT_NAMES[field]:
            if name in raw:
                item = raw[name]
                found = item.get("value") if isinstance(item, Mapping) else item
                if isinstance(found, str) and found:
                    return found
        raise StepFailedError(f"the Terraform outputs lack {' or '.join(OUTPUT_NAMES[field])}")

    return value("client_id"), Secret(value("key")), value("service_principal_id")


def template_args(spec: JobSpec) -> dict[str, Any]:
    """Arguments of `client.azure.template` (and of `template_call`, for the dry-run plan)."""
    return {
        "account_type": spec.account_type,
        "tenant_id": spec.tenant_id,
        "subscription_id": spec.subscription_id if spec.account_type == "account" else None,
        "features": spec.features,
        "deployment_type": spec.environment,
        "root_sync_enabled": spec.root_sync_enabled if spec.account_type == "tenant" else None,
    }


def _command(ctx: StepContext) -> tuple[str, ...] | None:
    if ctx.settings.terraform_command:
        return tuple(ctx.settings.terraform_command)
    found = shutil.which("terraform")
    return (found,) if found else None


def _event_of(line: str) -> dict[str, Any]:
    """A terraform `-json` line as an event payload; plain text lines become messages."""
    try:
        data = json.loads(line)
    except ValueError:
        return {"level": "info", "message": line}
    if not isinstance(data, dict):
        return {"level": "info", "message": line}
    payload = {
        "level": data.get("@level", "info"),
        "message": data.get("@message", ""),
        "type": data.get("type"),
    }
    if data.get("type") == "outputs":  # values may include the client secret: names only
        payload["outputs"] = sorted((data.get("outputs") or {}).keys())
    return payload


def terraform_command_of(ctx: StepContext) -> tuple[str, ...] | None:
    """The terraform command the job runs (the runner's setting, else PATH), None when there is none."""
    return _command(ctx)


def run_command(
    ctx: StepContext,
    command: Sequence[str],
    args: Sequence[str],
    work: Path,
    extra_env: Mapping[str, str] | None = None,
) -> list[str]:
    """Run one terraform command in `work`, each output line a job event (the Cortex deploy uses it too,
    with the azurerm provider's `ARM_*` sign-in in `extra_env`)."""
    return _run(ctx, command, args, work, extra_env)


def _run(
    ctx: StepContext,
    command: Sequence[str],
    args: Sequence[str],
    work: Path,
    extra_env: Mapping[str, str] | None = None,
) -> list[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", **(extra_env or {})}
    errors: list[str] = []
    with subprocess.Popen(
        [*command, *args],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            if not line:
                continue
            payload = _event_of(line)
            if payload["level"] == "error":
                errors.append(str(payload["message"]))
            ctx.emit("terraform", command=args[0], **payload)
        code = proc.wait()
    if code != 0:
        detail = errors[-1] if errors else f"exit status {code}"
        raise StepFailedError(f"terraform {args[0]} failed: {detail}")
    return errors


def _outputs(command: Sequence[str], work: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*command, "output", "-json"], cwd=work, capture_output=True, text=True, check=False, timeout=300
    )
    if done.returncode != 0:
        raise StepFailedError(f"terraform output failed (exit status {done.returncode})")
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise StepFailedError("terraform output -json did not print JSON") from None
    if not isinstance(data, dict):
        raise StepFailedError("terraform output -json did not print an object")
    return data


def prepare(ctx: StepContext) -> Path:
    """The work folder with the template in it (fetched once; a resumed job reuses it)."""
    work = ctx.work_dir
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    template = work / TEMPLATE_FILE
    if not template.exists():
        doc = ctx.client.azure.template(**template_args(ctx.spec))
        tmp = template.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc.model_dump(mode="json"), indent=2))
        tmp.replace(template)
        ctx.log(f"wrote the Terraform template to {template}")
    return work


def provision(ctx: StepContext) -> dict[str, Any]:
    work = prepare(ctx)
    ctx.checkpoint(work_dir=str(work))
    command = _command(ctx)
    if command is None:
        raise NeedsUserError(
            f"terraform is not installed here. The template is ready in {work}: run 'terraform init' and "
            f"'terraform apply' there, then 'terraform output -json > outputs.json', and finish with "
            f"'cortexkit onboard resume {ctx.job_id} --terraform-outputs outputs.json'",
            {"work_dir": str(work)},
        )
    _run(ctx, command, ["init", "-input=false", "-no-color"], work)
    _run(ctx, command, ["apply", "-auto-approve", "-input=false", "-json"], work)
    client_id, key, sp_id = map_outputs(_outputs(command, work))
    ctx.io.put_secret(ctx.job_id, "key", key)
    return {"client_id": client_id, "service_principal_id": sp_id, "work_dir": str(work)}


def outputs_from_file(path: Path) -> tuple[str, Secret, str]:
    """Read a user-supplied `terraform output -json` file (or a flat JSON map) for `resume`."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StepFailedError(f"cannot read Terraform outputs from {path}: {exc}") from None
    if not isinstance(data, dict):
        raise StepFailedError(f"{path} must hold a JSON object (terraform output -json)")
    return map_outputs(data)
