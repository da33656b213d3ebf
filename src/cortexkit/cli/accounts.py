"""`cortexkit accounts list|get|status` and `cortexkit account-groups list`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.errors import CliError

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.resources.models import CloudAccount

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Cloud accounts.", no_args_is_help=True)
groups_app = typer.Typer(
    add_completion=False, rich_markup_mode=None, help="Account groups.", no_args_is_help=True
)


@groups_app.callback()
def _group() -> None:
    """Account groups."""
    # A callback keeps a one-command app a group, so the spelling stays `cortexkit ... list`.


ACCOUNT_COLUMNS = ("accountId", "name", "Cloud=cloudType", "Type=accountType", "enabled", "status")
BACKEND_COLUMNS = ("Id=account_id", "name", "cloud", "status", "Instance=parent_name")
GROUP_COLUMNS = ("id", "name", "description", "Accounts=accountIds")


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    cloud_type: Annotated[str | None, typer.Option("--cloud-type", help="Only azure, aws, gcp ...")] = None,
) -> None:
    """List onboarded cloud accounts (on Cortex: the accounts of every integration instance)."""
    cli = state(ctx)
    if cli.dialect() == "cortex":  # through the backend interface both dialects share
        rows = cli.api_backend().cloud_accounts(cloud=cloud_type)
        cli.emit([r.as_dict() for r in rows], output.columns(*BACKEND_COLUMNS))
        return
    # Through the resource, not a raw request: it refuses a 200 answer that is not a list of accounts
    # (an error body, a string, a list of numbers) instead of printing it as data.
    accounts = cli.client().cloud_accounts.list(exclude_group_details=True)
    if cloud_type:
        accounts = [a for a in accounts if str(a.cloudType or "").lower() == cloud_type.lower()]
    cli.emit(accounts, output.columns(*ACCOUNT_COLUMNS))


def _cloud_type_of(accounts: list[CloudAccount], account_id: str) -> str:
    for account in accounts:
        if account.accountId == account_id and account.cloudType:
            return account.cloudType
    raise CliError(f"no cloud account has the id {account_id!r}; see `cortexkit accounts list`.")


@app.command("get")
def get_account(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The account id (subscription id for Azure).")],
    cloud_type: Annotated[
        str | None, typer.Option("--cloud-type", help="Skip the lookup of the type.")
    ] = None,
) -> None:
    """Show one cloud account."""
    cli = state(ctx)
    client = cli.client()
    kind = cloud_type or _cloud_type_of(client.cloud_accounts.list(), account_id)
    cli.emit(client.cloud_accounts.get(kind, account_id))


@app.command("status")
def account_status(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The account id.")],
) -> None:
    """Show the configuration status of an account's components (ingestion, permissions ...)."""
    cli = state(ctx)
    result = cli.client().cloud_accounts.status(account_id)
    cli.emit(result, output.columns("name", "status", "message"))


@groups_app.command("list")
def list_groups(ctx: typer.Context) -> None:
    """List account groups."""
    cli = state(ctx)
    cli.emit(cli.client().account_groups.list(), output.columns(*GROUP_COLUMNS))
