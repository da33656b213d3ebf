"""`cortexkit rql "config from cloud.resource where ..."`: run an RQL config search, every page."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.errors import UsageProblem
from cortexkit.cli.timespec import parse_time_range

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Run an RQL config query.")

COLUMNS = (
    "id",
    "name",
    "Cloud=cloudType",
    "Account=accountName",
    "Region=regionName",
    "Type=resourceType",
)


def search_body(query: str, *, since: str | None, page_size: int, with_json: bool) -> dict[str, Any]:
    if not query.strip():
        raise UsageProblem(
            "the RQL query is empty: for example `config from cloud.resource where cloud.type = 'azure'`."
        )
    body: dict[str, Any] = {"query": query, "limit": page_size, "withResourceJson": with_json}
    if since:
        body["timeRange"] = parse_time_range(since)
    return body


@app.command("rql")
def rql(  # noqa: PLR0917
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="An RQL config query.")],
    since: Annotated[str | None, typer.Option("--since", help="Time range: 24h, 7d ...")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most resources to print.")] = 1000,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=10_000)] = 100,
    with_json: Annotated[bool, typer.Option("--with-json", help="Include each resource's raw JSON.")] = False,
    api: Annotated[str, typer.Option("--api", help="legacy (/search/config), v1 or v2.")] = "legacy",
) -> None:
    """Run a config query and print the matching resources."""
    from cortexkit.pagination import RQL_PATHS, RqlConfigPager

    if api not in RQL_PATHS:
        raise UsageProblem(f"unknown --api {api!r}: use one of {', '.join(RQL_PATHS)}.")
    cli = state(ctx)
    body = search_body(query, since=since, page_size=min(page_size, limit), with_json=with_json)
    items = list(cli.client().paginate(RqlConfigPager(body, api=api), max_items=limit))
    cli.emit(items, output.columns(*COLUMNS))
