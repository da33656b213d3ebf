"""`cortexkit profile add|list|show|remove|default|test|import`: named credentials.

A secret key is never a command-line value (it would land in shell history and `ps`): it is asked for
without echo on a terminal, or read from an environment variable (`--secret-env NAME`) or stdin
(`--secret-stdin`). Profiles live in `credentials.yml` (0600) with the secret in the OS keyring, or in the
file only with `--insecure-storage`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cortexkit.cli import output
from cortexkit.cli.context import state
from cortexkit.cli.errors import UsageProblem

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.credentials import Credentials, ProfileInfo, ProfileStore

app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    help="Manage named credential profiles.",
    no_args_is_help=True,
)

COLUMNS = (
    "name",
    "Default=default",
    "Backend=backend",
    "Api url=api_url",
    "Access key=access_key_id",
    "Secret=storage",
)
DEFAULT_IMPORT = Path("~/.prismacloud/credentials.json")


def _info_row(info: ProfileInfo) -> dict[str, Any]:
    from cortexkit.cortex.profiles import cortex_key

    row = {
        "name": info.name,
        "default": info.is_default,
        "api_url": info.api_url,
        "access_key_id": info.access_key_id,
        "verify": info.verify,
        "storage": info.storage,
        "backend": "prisma",
    }
    cortex = cortex_key(info.name)
    if cortex is not None:  # a Cortex profile: its key ID and type where Prisma has the access key
        row.update(backend="cortex", access_key_id=f"{cortex[0]} ({cortex[1]})")
    return row


def read_secret(
    *, secret_env: str | None, secret_stdin: bool, interactive: bool, what: str = "secret key"
) -> str:
    """The secret key from stdin, a named environment variable or a no-echo prompt (in that order)."""
    if secret_stdin and secret_env:
        raise UsageProblem("give the secret through --secret-stdin or --secret-env, not both.")
    if secret_stdin:
        secret = sys.stdin.readline().strip()
        if not secret:
            raise UsageProblem("--secret-stdin read nothing: pipe the secret key into the command.")
        return secret
    if secret_env:
        secret = os.environ.get(secret_env, "").strip()
        if not secret:
            raise UsageProblem(
                f"the environment variable {secret_env} named by --secret-env is empty or unset."
            )
        return secret
    if interactive:
        return str(typer.prompt(what.capitalize(), hide_input=True, err=True)).strip()
    raise UsageProblem(
        "no secret key: use --secret-stdin or --secret-env NAME when not on a terminal "
        "(a secret is never taken as a command-line value)."
    )


def _require_storage(store: ProfileStore, insecure_storage: bool) -> None:
    """Refuse early (exit 2) when the secret would have nowhere safe to go."""
    if not insecure_storage and not store.keyring_available:
        raise UsageProblem(
            "no OS keyring is available to hold the secret key: pass --insecure-storage to keep it in "
            f"{store.path} (mode 0600), or use the PRISMA_* environment variables instead of a profile."
        )


@app.command("add")
def add(  # noqa: PLR0917
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Profile name.")],
    url: Annotated[str, typer.Option("--url", help="API URL, region name or console URL.")],
    access_key_id: Annotated[
        str | None, typer.Option("--access-key-id", help="Access key ID (Prisma Cloud).")
    ] = None,
    cortex: Annotated[
        bool, typer.Option("--cortex", help="A Cortex Cloud API key (with --api-key-id) instead.")
    ] = False,
    api_key_id: Annotated[
        int | None, typer.Option("--api-key-id", help="Cortex API key ID (the ID column).", min=1)
    ] = None,
    api_key_type: Annotated[
        str, typer.Option("--api-key-type", help="Cortex key type: advanced or standard.")
    ] = "advanced",
    secret_env: Annotated[
        str | None, typer.Option("--secret-env", help="Read the secret key from this environment variable.")
    ] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the secret key from stdin.")
    ] = False,
    verify: Annotated[str, typer.Option("--verify", help="true, false or a CA bundle path.")] = "true",
    insecure_storage: Annotated[
        bool, typer.Option("--insecure-storage", help="Keep the secret in the file (0600) without a keyring.")
    ] = False,
    make_default: Annotated[bool, typer.Option("--default", help="Make it the default profile.")] = False,
) -> None:
    """Save a profile (the secret goes to the OS keyring)."""
    if cortex:
        _add_cortex(ctx, name, url, api_key_id, api_key_type, access_key_id=access_key_id,
                    secret_env=secret_env, secret_stdin=secret_stdin, verify=verify,
                    insecure_storage=insecure_storage, make_default=make_default)  # fmt: skip
        return
    if api_key_id is not None:
        raise UsageProblem(
            "--api-key-id is for Cortex Cloud keys: add --cortex (Prisma takes --access-key-id)."
        )
    if not access_key_id:
        raise UsageProblem("--access-key-id is required (or --cortex with --api-key-id for Cortex Cloud).")
    from cortexkit._redact import Secret
    from cortexkit.credentials import Credentials, ProfileStore, parse_verify

    secret = read_secret(secret_env=secret_env, secret_stdin=secret_stdin, interactive=sys.stdin.isatty())
    credentials = Credentials(url, access_key_id, Secret(secret), verify=parse_verify(verify), name=name)
    store = ProfileStore()
    _require_storage(store, insecure_storage)
    where = store.add(name, credentials, insecure_storage=insecure_storage, make_default=make_default or None)
    place = "the OS keyring" if where == "keyring" else f"{store.path} (mode 0600)"
    output.message(f"saved profile {name!r} for {credentials.api_url}; the secret key is in {place}.")
    info = next(i for i in store.list() if i.name == name)
    state(ctx).emit(_info_row(info))


def _add_cortex(
    ctx: typer.Context,
    name: str,
    url: str,
    api_key_id: int | None,
    api_key_type: str,
    *,
    access_key_id: str | None,
    secret_env: str | None,
    secret_stdin: bool,
    verify: str,
    insecure_storage: bool,
    make_default: bool,
) -> None:
    from cortexkit.cortex.credentials import CortexCredentials
    from cortexkit.cortex.profiles import add_profile
    from cortexkit.credentials import ProfileStore, parse_verify
    from cortexkit.errors import CredentialsError

    if access_key_id:
        raise UsageProblem("--access-key-id is for Prisma Cloud; a Cortex key takes --api-key-id.")
    if api_key_id is None:
        raise UsageProblem("--cortex needs --api-key-id N (the key's ID column in the console).")
    if api_key_type.strip().lower() not in ("advanced", "standard"):
        raise UsageProblem(f"--api-key-type {api_key_type!r}: use advanced or standard.")
    secret = read_secret(
        secret_env=secret_env, secret_stdin=secret_stdin, interactive=sys.stdin.isatty(), what="API key"
    )
    try:
        credentials = CortexCredentials(
            url, api_key_id, secret, api_key_type.strip().lower(),  # type: ignore[arg-type]
            parse_verify(verify), name=name,
        )  # fmt: skip
    except CredentialsError as exc:
        raise UsageProblem(f"{exc}.") from None
    store = ProfileStore()
    _require_storage(store, insecure_storage)
    where = add_profile(
        name, credentials, store=store, insecure_storage=insecure_storage, make_default=make_default or None
    )
    place = "the OS keyring" if where == "keyring" else f"{store.path} (mode 0600)"
    output.message(f"saved Cortex profile {name!r} for {credentials.api_url}; the API key is in {place}.")
    info = next(i for i in store.list() if i.name == name)
    state(ctx).emit(_info_row(info))


@app.command("list")
def list_profiles(ctx: typer.Context) -> None:
    """List profiles (never their secrets)."""
    from cortexkit.credentials import ProfileStore

    state(ctx).emit([_info_row(info) for info in ProfileStore().list()], output.columns(*COLUMNS))


@app.command("show")
def show(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Profile name.")]) -> None:
    """Show one profile; the secret is only said to exist."""
    from cortexkit.credentials import ProfileStore

    store = ProfileStore()
    for info in store.list():
        if info.name == name:
            row = _info_row(info)
            row["secret_key"] = f"(stored in the {'OS keyring' if info.storage == 'keyring' else 'file'})"
            row["file"] = str(store.path)
            state(ctx).emit(row)
            return
    raise UsageProblem(f"no profile named {name!r}; see `cortexkit profile list`.")


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="Profile name.")]) -> None:
    """Delete a profile and its keyring entry."""
    from cortexkit.credentials import ProfileStore

    store = ProfileStore()
    if name not in store.names():
        raise UsageProblem(f"no profile named {name!r}; see `cortexkit profile list`.")
    store.remove(name)
    output.message(f"removed profile {name!r}.")


@app.command("default")
def set_default(name: Annotated[str, typer.Argument(help="Profile name.")]) -> None:
    """Make a profile the one used when neither --profile nor CORTEXKIT_PROFILE says otherwise."""
    from cortexkit.credentials import ProfileStore

    store = ProfileStore()
    if name not in store.names():
        raise UsageProblem(f"no profile named {name!r}; see `cortexkit profile list`.")
    store.set_default(name)
    output.message(f"{name!r} is now the default profile.")


def _tenant(login_body: Any) -> str | None:
    names = login_body.get("customerNames") if isinstance(login_body, dict) else None
    if isinstance(names, list):
        found = [str(n.get("customerName")) for n in names if isinstance(n, dict) and n.get("customerName")]
        return ", ".join(found) or None
    return None


@app.command("test")
def test(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Profile (default: --profile, env, default).")] = None,
) -> None:
    """Log in and say which tenant and region the credentials reach."""
    from cortexkit.client import Client
    from cortexkit.regions import region_name
    from cortexkit.resources.session import Session

    cli = state(ctx)
    credentials = cli.credentials(name or cli.profile)
    with Client(credentials) as client:
        secret = credentials.secret_key.get_secret_value()
        body = Session(client).login(credentials.access_key_id, secret).model_dump(mode="json")
    region = region_name(credentials.api_url)
    tenant = _tenant(body)
    output.message(
        f"logged in to {credentials.api_url} ({f'region {region}' if region else 'not a documented region'})"
        f" with access key {credentials.access_key_id}"
        + (f"; tenant {tenant}" if tenant else "")
        + f" [credentials from {credentials.source}]."
    )
    cli.emit(
        {
            "ok": True,
            "api_url": credentials.api_url,
            "region": region,
            "tenant": tenant,
            "access_key_id": credentials.access_key_id,
            "source": credentials.source,
        }
    )


def _read_import(path: Path, kind: str) -> list[Credentials]:
    """The tenants of a file named on the command line.

    A file the user hands us that cannot be read or is malformed is bad input (exit 2), not an
    authentication failure: nothing was refused and the fix is to point at the right file. The library
    raises CredentialsError for it (as for a broken credentials.yml, which does mean "no credentials").
    """
    from cortexkit.errors import CredentialsError

    if path.is_dir():
        raise UsageProblem(f"{path} is a directory; give the credentials.json file inside it.")
    try:
        return _parse_import(path, kind)
    except CredentialsError as exc:
        raise UsageProblem(f"cannot import {path}: {str(exc).removeprefix(f'{path}: ')}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        strerror = exc.strerror if isinstance(exc, OSError) else None
        reason = strerror.lower() if strerror else "it is not UTF-8 text"
        raise UsageProblem(f"cannot import {path}: {reason}.") from None


def _parse_import(path: Path, kind: str) -> list[Credentials]:
    from cortexkit.credentials import import_pcpi_credentials, import_prismacloud_api_credentials

    if kind == "pcpi":
        return import_pcpi_credentials(path)
    if kind == "prismacloud-api":
        return [import_prismacloud_api_credentials(path)]
    # auto: pcpi writes a JSON list of tenants, prismacloud-api one object.
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text.lstrip().startswith("["):
        return import_pcpi_credentials(path)
    return [import_prismacloud_api_credentials(path)]


@app.command("import")
def import_profiles(  # noqa: PLR0917
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="credentials.json to read.")] = DEFAULT_IMPORT,
    kind: Annotated[str, typer.Option("--from", help="pcpi, prismacloud-api or auto.")] = "auto",
    name: Annotated[str | None, typer.Option("--name", help="Profile name (one tenant only).")] = None,
    insecure_storage: Annotated[bool, typer.Option("--insecure-storage")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace profiles of the same name.")
    ] = False,
) -> None:
    """Import pcpi's or prismacloud-api's credentials.json as profiles."""
    from dataclasses import replace

    from cortexkit.credentials import ProfileStore

    if kind not in ("auto", "pcpi", "prismacloud-api"):
        raise UsageProblem(f"unknown --from {kind!r}: use pcpi, prismacloud-api or auto.")
    source = path.expanduser()
    tenants = _read_import(source, kind)
    if name and len(tenants) > 1:
        raise UsageProblem(f"{source} holds {len(tenants)} tenants; --name only applies to one.")
    store = ProfileStore()
    _require_storage(store, insecure_storage)
    existing = set(store.names())
    rows = []
    for tenant in tenants:
        target = name or tenant.name or source.stem
        if target in existing and not overwrite:
            raise UsageProblem(f"a profile named {target!r} exists; pass --overwrite or --name.")
        where = store.add(target, replace(tenant, name=target), insecure_storage=insecure_storage)
        rows.append({"name": target, "api_url": tenant.api_url, "access_key_id": tenant.access_key_id,
                     "storage": where})  # fmt: skip
    output.message(f"imported {len(rows)} profile(s) from {source}.")
    state(ctx).emit(rows, output.columns("name", "api_url", "access_key_id", "storage"))
