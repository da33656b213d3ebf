"""`cortexkit api METHOD PATH`: the raw escape hatch, like `gh api`, for either dialect.

The call goes through the same client as every command (session or signed key, retries, rate limits,
redacted logs), so an unwrapped endpoint is as safe to script as a wrapped one. On Cortex, `--paginate`
follows whichever of the three paging styles the path and body use.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cortexkit.cli.context import CliState, state
from cortexkit.cli.errors import UsageProblem
from cortexkit.cli.files import read_data_argument

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Call any API path.")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Auth headers the clients own: the Prisma session token and every header of a Cortex key.
MANAGED_HEADERS = frozenset(
    {"x-redlock-auth", "authorization", "x-xdr-auth-id", "x-xdr-nonce", "x-xdr-timestamp"}
)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a key given twice becomes a list (sent as a repeated query parameter)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageProblem(f"--param {pair!r} is not key=value.")
        if key in params:
            existing = params[key]
            params[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            params[key] = value
    return params


def parse_headers(lines: list[str]) -> dict[str, str]:
    """`Name: value` pairs; the session header is the client's alone and cannot be overridden here."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise UsageProblem(f"--header {line!r} is not 'Name: value'.")
        if name.strip().lower() in MANAGED_HEADERS:
            raise UsageProblem(
                f"the {name.strip().lower()} header is managed by cortexkit; it cannot be set by hand."
            )
        headers[name.strip()] = value.strip()
    return headers


@app.command("api")
def api(  # noqa: PLR0917
    ctx: typer.Context,
    method: Annotated[str, typer.Argument(help="GET, POST, PUT, PATCH or DELETE.")],
    path: Annotated[str, typer.Argument(help="API path, e.g. /cloud or /v2/alert.")],
    data: Annotated[str | None, typer.Option("--data", "-d", help="JSON body, @file or @- (stdin).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Query parameter k=v.")] = None,
    paginate: Annotated[
        bool, typer.Option("--paginate", help="Follow page tokens; print all items.")
    ] = False,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Extra header 'Name: value' (e.g. Accept).")
    ] = None,
) -> None:
    """Send one request (or every page with --paginate) and print the response."""
    verb = method.upper()
    if verb not in METHODS:
        raise UsageProblem(f"unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if not path.startswith("/"):
        path = "/" + path
    body = read_data_argument(data) if data is not None else None
    params = parse_params(param or []) or None
    headers = parse_headers(header or []) or None
    cli = state(ctx)
    if cli.dialect() == "cortex":
        _cortex_call(cli, verb, path, body, params, headers, paginate=paginate)
        return
    client = cli.client()
    if paginate:
        from cortexkit.cli.paging import pager_for

        cli.emit(list(client.paginate(pager_for(verb, path, params, body))))
        return
    result = client.request(verb, path, params=params, json=body, headers=headers)
    if isinstance(result, str):
        typer.echo(result, nl=not result.endswith("\n"))
    elif result is not None:
        cli.emit(result)


def _cortex_call(  # noqa: PLR0917
    cli: CliState,
    verb: str,
    path: str,
    body: Any,
    params: dict[str, Any] | None,
    headers: dict[str, str] | None,
    *,
    paginate: bool,
) -> None:
    client = cli.cortex_client()
    if paginate:
        from cortexkit.cortex.paging import pager_for

        if verb != "POST":
            raise UsageProblem("--paginate on Cortex pages RPC calls: use POST with a request_data body.")
        cli.emit(list(client.paginate(pager_for(path, body))))
        return
    result = client.request(verb, path, params=params, json=body, headers=headers)
    if isinstance(result, str):
        typer.echo(result, nl=not result.endswith("\n"))
    elif result is not None:
        cli.emit(result)
