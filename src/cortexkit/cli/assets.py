"""`cortexkit assets list|get`: Cortex assets (`xdm.asset.*` fields, shown without the prefix)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.cortexcli import require_cortex

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Cortex assets.", no_args_is_help=True)

COLUMNS = ("id", "name", "Type=type.name", "provider", "Region=cloud.region", "realm")
PRISMA = "use `cortexkit rql` there"
PREFIX = "xdm.asset."


def _short(asset: Any) -> dict[str, Any]:
    """`xdm.asset.type.name` as `type.name`, nested, so columns and --query read naturally."""
    out: dict[str, Any] = {}
    for key, value in output.to_plain(asset).items():
        parts = key.removeprefix(PREFIX).split(".")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else node
        node[parts[-1]] = value
    return out


@app.command("list")
def list_assets(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Option("--provider", help="Only AZURE, AWS, GCP ...")] = None,
    type_name: Annotated[str | None, typer.Option("--type", help="Only this asset type name.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most assets to print.")] = 500,
) -> None:
    """List assets."""
    from cortexkit.cortex.paging import all_of, where

    cli = state(ctx)
    require_cortex(cli, "assets list", PRISMA)
    leaves = []
    if provider:
        leaves.append(where("xdm.asset.provider", "EQ", provider.upper()))
    if type_name:
        leaves.append(where("xdm.asset.type.name", "EQ", type_name))
    filters = all_of(*leaves) if leaves else None
    rows = cli.cortex_client().assets.list(filters=filters, max_items=limit)
    cli.emit([_short(a) for a in rows], output.columns(*COLUMNS))


@app.command("get")
def get_asset(ctx: typer.Context, asset_id: Annotated[str, typer.Argument(help="The asset id.")]) -> None:
    """Show one asset."""
    cli = state(ctx)
    require_cortex(cli, "assets get", PRISMA)
    cli.emit(_short(cli.cortex_client().assets.get(asset_id)))
