"""`cortexkit auth logout`: forget the session the CLI shares between its processes (the token cache).

Consecutive `cortexkit` commands reuse one login per profile for the token's life (`session_cache.py`);
logging out removes that cached token, so the next command logs in again. It never touches the profile
or its secret key (that is `cortexkit profile remove`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.errors import CliError, UsageProblem

app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    help="Cached sessions shared by cortexkit processes.",
    no_args_is_help=True,
)


@app.command("logout")
def logout(
    ctx: typer.Context,
    every: Annotated[
        bool, typer.Option("--all", help="Forget the cached sessions of every profile and API URL.")
    ] = False,
) -> None:
    """Forget the cached session of the selected profile (or of all with --all); the next command logs in."""
    from cortexkit.session_cache import TokenCache, TokenCacheError, clear_all

    if every:
        try:
            removed = clear_all()
        except OSError as exc:
            raise CliError(f"could not remove the cached sessions: {exc.strerror}.") from None
        output.message(f"removed {removed} cached session{'' if removed == 1 else 's'}.")
        return
    from cortexkit import errors
    from cortexkit.credentials import load_credentials

    cli = state(ctx)
    try:
        creds = cli.credentials() if cli.profile else load_credentials(api_url=cli.region, interactive=False)
    except errors.CredentialsError:
        raise UsageProblem(
            "no profile or PRISMA_* environment selects a session to forget; "
            "name one with --profile, or forget every cached session with --all."
        ) from None
    try:
        removed = TokenCache(str(creds.api_url), str(creds.access_key_id)).clear()
    except TokenCacheError as exc:
        raise CliError(f"could not remove the cached session: {exc}.") from None
    where = f"{creds.api_url} (access key {creds.access_key_id})"
    output.message(f"logged out of {where}." if removed else f"no cached session for {where}.")
