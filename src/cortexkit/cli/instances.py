"""`cortexkit cloud-instances list|get|accounts`: Cortex cloud integration instances and their accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.cortexcli import require_cortex

app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    help="Cortex cloud integration instances.",
    no_args_is_help=True,
)

COLUMNS = (
    "Id=instance_id",
    "Name=instance_name",
    "Cloud=cloud_provider",
    "status",
    "scope",
    "accounts",
    "Created=creation_time",
)
ACCOUNT_COLUMNS = ("Id=account_id", "Name=account_name", "status", "type", "environment")
CAPABILITY_COLUMNS = ("name", "Status=label", "description")
PRISMA = "use `cortexkit accounts list` there"


@app.command("list")
def list_instances(
    ctx: typer.Context,
    cloud: Annotated[str | None, typer.Option("--cloud", help="Only AZURE, AWS, GCP ...")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status (PENDING shows the hidden ones).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Only the instance of this name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Most instances to print.")] = None,
) -> None:
    """List integration instances (the server hides PENDING ones unless --status PENDING)."""
    cli = state(ctx)
    require_cortex(cli, "cloud-instances list", PRISMA)
    rows = cli.cortex_client().cloud_onboarding.instances(
        cloud_provider=cloud, status=status, name=name, max_items=limit
    )
    cli.emit(list(rows), output.columns(*COLUMNS))


@app.command("get")
def get_instance(
    ctx: typer.Context,
    instance_id: Annotated[str, typer.Argument(help="The instance id.")],
    capabilities: Annotated[
        bool, typer.Option("--capabilities", help="Print only the security capabilities and their status.")
    ] = False,
) -> None:
    """One instance's details (capabilities: Connected, Warning, Disabled, Error or Retrieving)."""
    cli = state(ctx)
    require_cortex(cli, "cloud-instances get", PRISMA)
    details = cli.cortex_client().cloud_onboarding.instance(instance_id)
    if capabilities:
        rows = [{**output.to_plain(c), "label": c.label} for c in details.security_capabilities]
        cli.emit(rows, output.columns(*CAPABILITY_COLUMNS))
        return
    from cortexkit.cortex.progress import progress

    plain = output.to_plain(details)
    verdict = progress(details)
    plain["progress"] = {"state": verdict.state, "message": verdict.message()}
    plain["security_capabilities"] = [
        {**output.to_plain(c), "label": c.label} for c in details.security_capabilities
    ]
    cli.emit(plain)


@app.command("accounts")
def instance_accounts(
    ctx: typer.Context,
    instance_id: Annotated[str, typer.Argument(help="The instance id.")],
    status: Annotated[str | None, typer.Option("--status", help="Only ACTIVE, DISABLED ...")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Most accounts to print.")] = None,
) -> None:
    """List the cloud accounts (subscriptions, projects) of one instance."""
    cli = state(ctx)
    require_cortex(cli, "cloud-instances accounts", PRISMA)
    rows = cli.cortex_client().cloud_onboarding.accounts(instance_id, status=status, max_items=limit)
    cli.emit(list(rows), output.columns(*ACCOUNT_COLUMNS))
