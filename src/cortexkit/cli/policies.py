"""`cortexkit policies list`."""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Policies.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Policies."""
    # A callback keeps a one-command app a group, so the spelling stays `cortexkit ... list`.


COLUMNS = ("policyId", "name", "severity", "Type=policyType", "Cloud=cloudType", "enabled")


@app.command("list")
def list_policies(  # noqa: PLR0917
    ctx: typer.Context,
    severity: Annotated[list[str] | None, typer.Option("--severity")] = None,
    cloud_type: Annotated[str | None, typer.Option("--cloud-type")] = None,
    policy_type: Annotated[
        str | None, typer.Option("--type", help="config, network, audit_event ...")
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enabled/--disabled", help="Only enabled or disabled.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Exact policy name.")] = None,
) -> None:
    """List policies (filters are the API's own `policy.*` query parameters)."""
    params: dict[str, str | list[str]] = {}
    if severity:
        params["policy.severity"] = [s.lower() for s in severity]
    if cloud_type:
        params["cloud.type"] = cloud_type.lower()
    if policy_type:
        params["policy.type"] = policy_type
    if enabled is not None:
        params["policy.enabled"] = "true" if enabled else "false"
    if name:
        params["policy.name"] = name
    cli = state(ctx)
    # The resource refuses a 200 answer that is not a list of policies rather than printing it as data.
    cli.emit(cli.client().policies.list(params), output.columns(*COLUMNS))
