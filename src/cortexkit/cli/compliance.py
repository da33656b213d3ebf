"""`cortexkit compliance posture`."""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state

app = typer.Typer(
    add_completion=False, rich_markup_mode=None, help="Compliance posture.", no_args_is_help=True
)


@app.callback()
def _group() -> None:
    """Compliance posture."""
    # A callback keeps a one-command app a group, so the spelling stays `cortexkit ... list`.


COLUMNS = ("name", "Resources=totalResources", "Passed=passedResources", "Failed=failedResources")


@app.command("posture")
def posture(
    ctx: typer.Context,
    cloud_type: Annotated[str | None, typer.Option("--cloud-type")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Cloud account name.")] = None,
    standard: Annotated[str | None, typer.Option("--standard", help="Compliance standard name.")] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Print the whole answer, not the per-standard rows.")
    ] = False,
) -> None:
    """Compliance posture per standard (the posture API only knows `to_now epoch` as a range)."""
    cli = state(ctx)
    result = cli.client().compliance.posture(cloud_type=cloud_type, account=account, standard=standard)
    if details:
        cli.emit(result)
        return
    cli.emit(result.complianceDetails, output.columns(*COLUMNS))
