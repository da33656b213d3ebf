"""`cortexkit emulator serve`: the local Prisma Cloud CSPM API emulator in the foreground.

Heavy imports (FastAPI, uvicorn, cryptography) happen inside the command, so `cortexkit --help` stays fast.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

app = typer.Typer(help="Run the local Prisma Cloud CSPM API emulator.", no_args_is_help=True)

ACCESS_KEY_ENV = "CORTEXKIT_EMULATOR_ACCESS_KEY_ID"
SECRET_KEY_ENV = "CORTEXKIT_EMULATOR_SECRET_KEY"
CORTEX_KEY_ID_ENV = "CORTEXKIT_EMULATOR_CORTEX_API_KEY_ID"
CORTEX_KEY_ENV = "CORTEXKIT_EMULATOR_CORTEX_API_KEY"


class CortexKeyType(StrEnum):
    advanced = "advanced"
    standard = "standard"


class RateLimitMode(StrEnum):
    documented = "documented"
    off = "off"


@app.callback()
def emulator() -> None:
    """Run the local Prisma Cloud CSPM API emulator (same HTTP contract as the real API)."""


@app.command()
def serve(
    *,
    host: Annotated[str, typer.Option(help="Interface to listen on (keep it on loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.", min=0, max=65535)] = 8188,
    tls: Annotated[bool, typer.Option("--tls", help="HTTPS with a self-signed CA made at start.")] = False,
    token_ttl: Annotated[float, typer.Option(help="JWT lifetime in seconds.", min=1)] = 600.0,
    rate_limits: Annotated[
        RateLimitMode, typer.Option(help="Enforce the documented per-user limits, or none.")
    ] = RateLimitMode.documented,
    rate_scale: Annotated[
        float, typer.Option(help="Multiply every sustained rate (bursts unchanged).", min=0.001)
    ] = 1.0,
    default_rate: Annotated[
        float | None, typer.Option(help="Requests/s for routes with no documented limit.", min=0.001)
    ] = None,
    default_burst: Annotated[
        int | None, typer.Option(help="Burst for routes with no documented limit.", min=1)
    ] = None,
    fault_rate: Annotated[
        float, typer.Option(help="Share of requests given a random fault (0..1).", min=0.0, max=1.0)
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the generated data and of the faults.")] = 42,
    alerts: Annotated[int, typer.Option(help="Number of generated alerts.", min=0)] = 5000,
    accounts: Annotated[int, typer.Option(help="Number of generated cloud accounts.", min=0)] = 12,
    status_delay: Annotated[
        float,
        typer.Option(help="Seconds (emulator clock) an onboarded Azure account takes to settle.", min=0),
    ] = 120.0,
    access_key_id: Annotated[
        str | None, typer.Option(envvar=ACCESS_KEY_ENV, help="Access key id to accept (else generated).")
    ] = None,
    secret_key: Annotated[
        str | None,
        typer.Option(envvar=SECRET_KEY_ENV, help="Secret key to accept (else generated); prefer the env."),
    ] = None,
    cortex_api_key_id: Annotated[
        int | None,
        typer.Option(envvar=CORTEX_KEY_ID_ENV, help="Cortex API key id to accept (else generated).", min=1),
    ] = None,
    cortex_api_key: Annotated[
        str | None,
        typer.Option(envvar=CORTEX_KEY_ENV, help="Cortex API key to accept (else generated); use the env."),
    ] = None,
    cortex_api_key_type: Annotated[
        CortexKeyType, typer.Option(help="The Cortex key's type: signed (advanced) or plain (standard).")
    ] = CortexKeyType.advanced,
    cortex_skew: Annotated[
        float, typer.Option(help="Cortex clock-skew window in seconds (either way).", min=1)
    ] = 300.0,
    cortex_rate: Annotated[
        float, typer.Option(help="Cortex tenant-wide requests/s (all endpoints).", min=0.001)
    ] = 10.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the emulated API until interrupted; prints the URL and the keys to log in with."""
    import tempfile
    from pathlib import Path

    from cortexkit import limits
    from cortexkit.emulator.config import EmulatorConfig
    from cortexkit.emulator.server import bind_socket, build_server, url_for
    from cortexkit.emulator.tls import generate_tls_files

    try:
        config = EmulatorConfig(
            host=host,
            port=port,
            tls=tls,
            token_ttl=token_ttl,
            rate_limits=rate_limits.value,
            rate_scale=rate_scale,
            default_rate=default_rate if default_rate is not None else limits.DEFAULT_RATE,
            default_burst=default_burst if default_burst is not None else limits.DEFAULT_BURST,
            fault_rate=fault_rate,
            seed=seed,
            alerts=alerts,
            accounts=accounts,
            status_delay=status_delay,
            access_key_id=access_key_id or None,
            secret_key=secret_key or None,
            cortex_api_key_id=cortex_api_key_id,
            cortex_api_key=cortex_api_key or None,
            cortex_api_key_type=cortex_api_key_type.value,
            cortex_skew=cortex_skew,
            cortex_rate=cortex_rate,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    generated = config.credentials_generated
    cortex_generated = config.cortex_key_generated
    config = config.resolved()

    with tempfile.TemporaryDirectory(prefix="cortexkit-emulator-") as tmp:
        tls_files = generate_tls_files(Path(tmp)) if tls else None
        try:
            sock = bind_socket(host, port)
        except OSError as exc:
            typer.echo(f"cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None
        server, _ = build_server(config, sock, tls_files, log_level=log_level)
        url = url_for(sock, tls)
        typer.echo(f"cortexkit emulator listening on {url}  (Ctrl-C to stop)", err=True)
        if not _is_loopback(host):
            typer.echo(
                "warning: not a loopback address; anyone who can reach it can use the unauthenticated "
                "control plane (/_emulator/)",
                err=True,
            )
        typer.echo(f"PRISMA_API_URL={url}")
        typer.echo(f"PRISMA_ACCESS_KEY_ID={config.access_key_id}")
        if generated:
            # Generated for this run only: the caller has no other way to learn it.
            typer.echo(f"PRISMA_SECRET_KEY={config.secret_key}")
        else:
            typer.echo(f"# secret key: the one you set ({SECRET_KEY_ENV} or --secret-key)", err=True)
        if tls_files is not None:
            typer.echo(f"SSL_CERT_FILE={tls_files.ca_file}")
        # The Cortex dialect on the same port, with the Terraform provider's variable names.
        typer.echo(f"CORTEXCLOUD_API_URL={url}")
        typer.echo(f"CORTEXCLOUD_API_KEY_ID={config.cortex_api_key_id}")
        typer.echo(f"CORTEXCLOUD_API_KEY_TYPE={config.cortex_api_key_type}")
        if cortex_generated:
            typer.echo(f"CORTEXCLOUD_API_KEY={config.cortex_api_key}")
        else:
            typer.echo(f"# Cortex API key: the one you set ({CORTEX_KEY_ENV} or --cortex-api-key)", err=True)

        try:
            server.run(sockets=[sock])
        finally:
            sock.close()


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
