"""`cortexkit issues list|get|update`: Cortex issues (`list` also answers on Prisma, from its alerts)."""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.cortexcli import require_cortex
from cortexkit.cli.errors import UsageProblem

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Cortex issues.", no_args_is_help=True)

COLUMNS = ("Id=id", "severity", "status", "name", "resource", "Time=time")
DETAIL_COLUMNS = ("Id=id", "name", "severity", "Status=status.progress", "category", "Assets=asset_names")
PRISMA = "use `cortexkit alerts` there"
PROGRESS = ("NEW", "IN_PROGRESS", "RESOLVED")


@app.command("list")
def list_issues(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="open (the default), resolved, or all.")
    ] = "open",
    severity: Annotated[
        list[str] | None, typer.Option("--severity", help="Only this severity (repeatable; Cortex only).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most issues to print.")] = 500,
) -> None:
    """Issues, newest first; on a Prisma tenant the same rows from its alerts (one backend interface)."""
    cli = state(ctx)
    wanted = None if status is None or status.lower() == "all" else status.lower()
    if severity:  # a Cortex-only filter: straight to the issues resource
        from cortexkit.cortex.backend import cortex_issue_row

        require_cortex(cli, "issues list --severity", "use `cortexkit alerts list` there")
        progress = None if wanted is None else _progress(wanted)
        rows = cli.cortex_client().issues.search(status=progress, severity=severity, max_items=limit)
        cli.emit([cortex_issue_row(r).as_dict() for r in rows], output.columns(*COLUMNS))
        return
    backend = cli.api_backend()
    cli.emit(
        [row.as_dict() for row in backend.alerts(status=wanted, max_items=limit)], output.columns(*COLUMNS)
    )


def _progress(status: str) -> list[str]:
    return {"open": ["NEW", "IN_PROGRESS"], "resolved": ["RESOLVED"]}.get(status) or _bad_status(status)


def _bad_status(status: str) -> list[str]:
    raise UsageProblem(f"unknown --status {status!r}: use open, resolved or all.")


@app.command("get")
def get_issue(ctx: typer.Context, issue_id: Annotated[str, typer.Argument(help="The issue id.")]) -> None:
    """Show one issue."""
    cli = state(ctx)
    require_cortex(cli, "issues get", PRISMA)
    cli.emit(cli.cortex_client().issues.get(issue_id))


@app.command("update")
def update_issue(  # noqa: PLR0917
    ctx: typer.Context,
    issue_id: Annotated[str, typer.Argument(help="The issue id.")],
    status: Annotated[str | None, typer.Option("--status", help="NEW, IN_PROGRESS or RESOLVED.")] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="LOW, MEDIUM, HIGH, CRITICAL.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Resolution reason (with RESOLVED).")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Resolution comment.")] = None,
) -> None:
    """Change an issue's status, severity or resolution."""
    cli = state(ctx)
    require_cortex(cli, "issues update", PRISMA)
    if status is not None and status.upper() not in PROGRESS:
        raise UsageProblem(f"unknown --status {status!r}: use {', '.join(PROGRESS)}.")
    if not any((status, severity, reason, comment)):
        raise UsageProblem("nothing to change: give --status, --severity, --reason or --comment.")
    client = cli.cortex_client()
    client.issues.update(
        issue_id,
        status=status.upper() if status else None,
        severity=severity.upper() if severity else None,
        resolution_reason=reason,
        resolution_comment=comment,
    )
    output.message(f"updated issue {issue_id}.")
    cli.emit(client.issues.get(issue_id))
