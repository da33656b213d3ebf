"""`cortexkit cloud-instances list|get|accounts`: Cortex cloud integration instances and their accounts."""

from __future__ import annotations

from pathlib import Path
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
    "job",
)
ACCOUNT_COLUMNS = ("Id=account_id", "Name=account_name", "status", "type", "environment")
CAPABILITY_COLUMNS = ("name", "Status=label", "description")
PRISMA = "use `cortexkit accounts list` there"


@app.command("list")
def list_instances(  # noqa: PLR0917 (typer maps parameters to options)
    ctx: typer.Context,
    cloud: Annotated[str | None, typer.Option("--cloud", help="Only AZURE, AWS, GCP ...")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status (PENDING shows the hidden ones).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Only the instance of this name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Most instances to print.")] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only instances cortexkit onboarding jobs created (PENDING too).")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Folder of the job database.", envvar="CORTEXKIT_DATA_DIR"),
    ] = None,
    store_url: Annotated[
        str | None, typer.Option("--store", envvar="CORTEXKIT_STORE_URL", help="Job store URL.")
    ] = None,
) -> None:
    """List integration instances, each with the cortexkit job that created it (the server hides PENDING
    ones unless --status PENDING; --mine looks each of the jobs' instances up, PENDING included)."""
    cli = state(ctx)
    require_cortex(cli, "cloud-instances list", PRISMA)
    jobs = _jobs_by_instance(data_dir, store_url)
    onboarding = cli.cortex_client().cloud_onboarding
    if mine:
        found = [onboarding.find_instance(instance_id) for instance_id in jobs]
        rows = [r for r in found if r is not None][: limit or None]
    else:
        rows = list(onboarding.instances(cloud_provider=cloud, status=status, name=name, max_items=limit))
    plain = [{**output.to_plain(r), "job": jobs.get(r.instance_id)} for r in rows]
    cli.emit(plain, output.columns(*COLUMNS))


def _jobs_by_instance(data_dir: Path | None, store_url: str | None) -> dict[str, str]:
    """Instance id -> id of the Cortex onboarding job that created it, from the job store (when there is
    one: listing instances never creates a store)."""
    try:
        from cortexkit.onboarding.store.engine import default_url, sqlite_path
    except ImportError:  # the onboarding extra is not installed: no job store to read
        return {}
    if data_dir is None and store_url is None:
        path = sqlite_path(default_url())
        if path is not None and not path.exists():
            return {}
    elif data_dir is not None and store_url is None and not (data_dir / "jobs.db").exists():
        return {}
    from cortexkit.cli.onboard import _store

    store = _store(data_dir, store_url)
    try:
        return {j.account_id: j.id for j in store.list_jobs() if j.spec.cortex is not None and j.account_id}
    finally:
        store.close()


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
