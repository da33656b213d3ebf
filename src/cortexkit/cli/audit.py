"""`cortexkit audit-logs list --since 24h` on either dialect (Prisma audit logs, Cortex management logs)."""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import CliState, state
from cortexkit.cli.timespec import parse_time_range

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Audit logs.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Audit logs."""
    # A callback keeps a one-command app a group, so the spelling stays `cortexkit ... list`.


COLUMNS = ("timestamp", "user", "action", "actionType", "resourceType", "resourceName", "result", "ipAddress")


@app.command("list")
def list_logs(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="Time range: 24h, 7d, an ISO date ...")] = "24h",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most entries to print.")] = 500,
) -> None:
    """Audit log entries (who did what, from where), newest first as the API returns them."""
    cli = state(ctx)
    if cli.dialect() == "cortex":
        _cortex_logs(cli, since, limit)
        return
    from cortexkit.pagination import AuditLogPager

    body = {"timeRange": parse_time_range(since), "limit": max(100, min(500, limit))}
    entries = list(cli.client().paginate(AuditLogPager(body), max_items=limit))
    cli.emit(entries, output.columns(*COLUMNS))


CORTEX_COLUMNS = (
    "Time=AUDIT_INSERT_TIME",
    "User=AUDIT_OWNER_EMAIL",
    "Entity=AUDIT_ENTITY",
    "Action=AUDIT_ENTITY_SUBTYPE",
    "Result=AUDIT_RESULT",
    "Description=AUDIT_DESCRIPTION",
)


def _cortex_logs(cli: CliState, since: str, limit: int) -> None:
    from cortexkit.cli.cortexcli import since_ms

    start = since_ms(since)
    rows = cli.cortex_client().audit_logs.list(since_ms=start, max_items=limit)
    cli.emit(list(rows), output.columns(*CORTEX_COLUMNS))
