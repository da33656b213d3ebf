"""`cortexkit compliance posture`."""

from __future__ import annotations

from typing import Annotated, Any

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
    params: dict[str, Any] = {"timeType": "to_now", "timeUnit": "epoch"}
    if cloud_type:
        params["cloud.type"] = cloud_type.lower()
    if account:
        params["cloud.account"] = account
    if standard:
        params["policy.complianceStandard"] = standard
    cli = state(ctx)
    result = cli.client().request("GET", "/compliance/posture", params=params)
    if details or not isinstance(result, dict):
        cli.emit(result)
        return
    cli.emit(result.get("complianceDetails") or [], output.columns(*COLUMNS))
