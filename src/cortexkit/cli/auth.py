"""`cortexkit auth status`: does the key work, who is it, and if it does not work, why and what to do.
`cortexkit auth logout`: forget the Prisma session the CLI shares between its processes (the token cache).

For Cortex, a refused key is probed again (the other key type, the server's clock) so the answer tells a
wrong key type from a skewed clock from a bad key; 402, 403 and a wrong URL are named with their fix.
Exit 0 when the key works, 4 when it does not (1 when the API could not be reached).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import CliState, state
from cortexkit.cli.errors import CliError, UsageProblem

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Credentials.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Credentials."""


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Check the selected credentials (either dialect): identity, tenant, URL, key type, diagnosis."""
    cli = state(ctx)
    if cli.dialect() == "cortex":
        _cortex_status(cli)
        return
    _prisma_status(cli)


def _cortex_status(cli: CliState) -> None:
    from cortexkit.cortex.credentials import load_cortex_credentials
    from cortexkit.cortex.diagnose import diagnose

    credentials = load_cortex_credentials(cli.profile, api_url=cli.region)
    found = diagnose(credentials)
    row = {
        "ok": found.ok,
        "backend": "cortex",
        "api_url": credentials.api_url,
        "api_key_id": credentials.api_key_id,
        "api_key_type": credentials.api_key_type,
        "tenant": found.identity.tenant if found.identity else None,
        "region": found.identity.region if found.identity else None,
        "role": found.identity.role if found.identity else None,
        "source": credentials.source,
        "problem": found.problem,
        "message": found.message,
        "fix": found.fix,
        "clock_skew_s": round(found.skew_seconds, 1) if found.skew_seconds is not None else None,
    }
    if found.ok:
        who = f"key {credentials.api_key_id} ({credentials.api_key_type})"
        tenant = f" on tenant {row['tenant']}" if row["tenant"] else ""
        output.message(f"the Cortex {who} works{tenant} at {credentials.api_url}.")
    else:
        output.message(f"Error: {found.message}; fix: {found.fix}.")
    cli.emit(row)
    if found.exit_code:
        raise typer.Exit(found.exit_code)


def _prisma_status(cli: CliState) -> None:
    from cortexkit import errors

    backend = cli.api_backend()
    try:
        me = backend.whoami()
    except errors.AuthenticationError:
        output.message(
            "Error: the access key or secret key was refused; fix: check PRISMA_ACCESS_KEY_ID and "
            "PRISMA_SECRET_KEY (or the profile) and that the key is enabled and not expired."
        )
        cli.emit({"ok": False, "backend": "prisma", "api_url": backend.api_url, "problem": "bad_key"})
        raise typer.Exit(4) from None
    output.message(
        f"the Prisma access key {me.key_id} works at {me.api_url}"
        + (f" (region {me.region})" if me.region else "")
        + (f" on tenant {me.tenant}" if me.tenant else "")
        + "."
    )
    cli.emit({"ok": True, "backend": "prisma", **{k: v for k, v in me.as_dict().items() if k != "dialect"}})


@app.command("logout")
def logout(
    ctx: typer.Context,
    every: Annotated[
        bool, typer.Option("--all", help="Forget the cached sessions of every profile and API URL.")
    ] = False,
) -> None:
    """Forget the cached Prisma session of the selected credentials (or all with --all): consecutive
    commands share one login per key for its life; after this the next command logs in again. The
    profile and its secret key are kept (`cortexkit profile remove` deletes those)."""
    from cortexkit.session_cache import TokenCache, TokenCacheError, clear_all

    if every:
        try:
            removed = clear_all()
        except OSError as exc:
            raise CliError(f"could not remove the cached sessions: {exc.strerror}.") from None
        output.message(f"removed {removed} cached session{'' if removed == 1 else 's'}.")
        return
    cli = state(ctx)
    if cli.dialect() == "cortex":
        output.message("Cortex API keys sign every request: there is no cached session to forget.")
        return
    from cortexkit import errors
    from cortexkit.credentials import load_credentials

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
