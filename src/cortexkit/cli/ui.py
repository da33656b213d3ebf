"""`cortexkit ui`: the onboarding web UI on this machine, reached through a tokened URL like Jupyter's.

FastAPI, uvicorn, SQLAlchemy and httpx are imported inside the command so `cortexkit --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state

app = typer.Typer(add_completion=False)

NON_LOOPBACK_WARNING = (
    "WARNING: the UI is listening on {host}, which other machines may reach. Anyone with the URL's "
    "token can onboard accounts with your keys. Prefer --host 127.0.0.1 and an SSH tunnel."
)


def bind_warning(host: str) -> str | None:
    """The stderr warning for an address other machines may reach; None on loopback."""
    from cortexkit.web.security import is_loopback_host

    return None if is_loopback_host(host) else NON_LOOPBACK_WARNING.format(host=host)


@app.command()
def ui(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Interface to listen on; loopback unless you mean it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.", min=0, max=65535)] = 8765,
    store: Annotated[
        str | None, typer.Option(help="Job store URL (default: the one `cortexkit onboard` uses).")
    ] = None,
) -> None:
    """Serve the onboarding UI until Ctrl-C; prints the URL with this session's token."""
    from cortexkit.onboarding.runenv import runner_settings
    from cortexkit.web.app import create_app
    from cortexkit.web.backend import (
        build_engine,
        close_engine,
        list_profiles,
        profile_client_factory,
        speaks_cortex,
    )
    from cortexkit.web.security import new_session_token
    from cortexkit.web.server import RunningUI, base_url, bind, serve_forever
    from cortexkit.web.settings import WebSettings

    cli = state(ctx)
    factory = profile_client_factory(cli.profile, cli.region)
    # The same CORTEXKIT_AZURE_* / CORTEXKIT_TERRAFORM environment `cortexkit onboard` honours.
    engine = build_engine(
        factory,
        store,
        profiles=lambda: list_profiles(cli.profile),
        runner_settings=runner_settings(),
        default_profile=cli.profile,
    )
    token = new_session_token()
    settings = WebSettings(
        backend=engine.backend(),
        session_token=token,
        host=host,
        default_profile=cli.profile,
        cortex=speaks_cortex(cli.profile),
    )
    try:
        sock = bind(host, port)
    except OSError as exc:
        output.message(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}. Try --port 0.")
        raise typer.Exit(1) from None
    warning = bind_warning(host)
    if warning:
        output.message(warning)
    running = RunningUI(base_url(sock), token)
    output.message("cortexkit UI is running (Ctrl-C to stop). Open this URL; it carries your session token:")
    typer.echo(running.url)
    try:
        serve_forever(create_app(settings), sock, log_level="warning")
    finally:
        sock.close()
        close_engine(engine)
