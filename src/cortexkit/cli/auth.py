"""`cortexkit auth status`: does the key work, who is it, and if it does not work, why and what to do.

For Cortex, a refused key is probed again (the other key type, the server's clock) so the answer tells a
wrong key type from a skewed clock from a bad key; 402, 403 and a wrong URL are named with their fix.
Exit 0 when the key works, 4 when it does not (1 when the API could not be reached).
"""

from __future__ import annotations

import typer

from cortexkit.cli import output
from cortexkit.cli.context import CliState, state

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
        + "."
    )
    cli.emit({"ok": True, "backend": "prisma", **{k: v for k, v in me.as_dict().items() if k != "dialect"}})
