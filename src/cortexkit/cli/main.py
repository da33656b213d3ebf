"""The `cortexkit` command: the root typer app, its global options and the lazily loaded command groups.

Command groups are imported only when invoked (`cortexkit alerts ...` imports cli/alerts.py), and the root
`--help` lists them from a static table, so `--help` and `--version` import neither httpx, pydantic, rich
tables nor any web or database module. A group whose module is not in the tree is simply not offered.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from cortexkit import __version__
from cortexkit.cli import argv, errors, extras, output
from cortexkit.cli.context import CliState, configure_logging

# name -> (module, attribute, one-line help). The attribute is a typer app or a plain function.
GROUPS: dict[str, tuple[str, str, str]] = {
    "profile": ("cortexkit.cli.profile", "app", "Manage named credential profiles."),
    "api": ("cortexkit.cli.api", "app", "Call any API path, like `gh api`."),
    "accounts": ("cortexkit.cli.accounts", "app", "Cloud accounts: list, get, status."),
    "account-groups": ("cortexkit.cli.accounts", "groups_app", "Account groups."),
    "alerts": ("cortexkit.cli.alerts", "app", "Alerts: list, count, change, export, report."),
    "policies": ("cortexkit.cli.policies", "app", "Policies."),
    "compliance": ("cortexkit.cli.compliance", "app", "Compliance posture."),
    "audit-logs": ("cortexkit.cli.audit", "app", "Audit logs."),
    "rql": ("cortexkit.cli.rql", "app", "Run an RQL config query."),
    "onboard": ("cortexkit.cli.onboard", "app", "Onboard Azure subscriptions and tenants."),
    "emulator": ("cortexkit.cli.emulator", "app", "Run the local API emulator."),
    "ui": ("cortexkit.cli.ui", "app", "Start the onboarding web UI."),
    "demo": ("cortexkit.cli.demo", "app", "Start the emulator and the web UI together."),
    # Cortex Cloud (and both dialects where the job is the same).
    "auth": ("cortexkit.cli.auth", "app", "Credentials: does the key work, why not (both dialects); logout."),
    "cloud-instances": ("cortexkit.cli.instances", "app", "Cortex cloud integration instances."),
    "issues": ("cortexkit.cli.issues", "app", "Cortex issues: list, get, update."),
    "assets": ("cortexkit.cli.assets", "app", "Cortex assets."),
}


# ctx.meta key: the command group being resolved, so a missing extra is named for that command.
_GROUP_KEY = "cortexkit.group"


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _load(name: str) -> Any:
    """The click command for a group: a typer app, or a function wrapped as a single command."""
    module_name, attribute, _help = GROUPS[name]
    module = importlib.import_module(module_name)
    target = getattr(module, attribute, None)
    if target is None:
        target = getattr(module, name.replace("-", "_"), None) or getattr(module, "main", None)
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    elif callable(target):
        wrapper = typer.Typer(add_completion=False)
        wrapper.command(name=name)(target)
        command = typer.main.get_command(wrapper)
    else:
        return None
    command.name = name
    return command


class CortexkitGroup(TyperGroup):
    """Root group: argv normalised, groups loaded on demand, exceptions turned into sentences."""

    def main(self, args: Sequence[str] | None = None, *pargs: Any, **kwargs: Any) -> Any:
        raw = list(sys.argv[1:] if args is None else args)
        kwargs.setdefault("prog_name", "cortexkit")
        return super().main(argv.normalise(raw), *pargs, **kwargs)

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        names = [name for name, spec in GROUPS.items() if _module_exists(spec[0])]
        return names + [name for name in super().list_commands(ctx) if name not in GROUPS]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        if cmd_name in GROUPS:
            ctx.meta[_GROUP_KEY] = cmd_name
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in GROUPS or not _module_exists(GROUPS[cmd_name][0]):
            return None
        command = _load(cmd_name)
        if command is not None:
            self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        rows = [(name, GROUPS[name][2]) for name in self.list_commands(ctx) if name in GROUPS]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            state = ctx.obj if isinstance(ctx.obj, CliState) else None
            debug = state.debug if state else "--debug" in sys.argv
            message, code = errors.describe(exc)
            missing = extras.missing_extra_message(exc, ctx.meta.get(_GROUP_KEY))
            if missing is not None:
                message, code = missing, errors.USAGE
            if debug:
                traceback.print_exc(file=sys.stderr)
            output.message(f"Error: {message}")
            raise typer.Exit(code) from None
        finally:
            if isinstance(ctx.obj, CliState):
                ctx.obj.close()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cortexkit {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    cls=CortexkitGroup,
    name="cortexkit",
    help="Work with the Prisma Cloud / Cortex Cloud CSPM API from the shell.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(  # noqa: PLR0917
    ctx: typer.Context,
    profile: str | None = typer.Option(
        None, "--profile", envvar="CORTEXKIT_PROFILE", help="Credential profile to use."
    ),
    region: str | None = typer.Option(
        None, "--region", help="Region name, API host or console URL (overrides the profile's URL)."
    ),
    output_format: str | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Output format: table, json, jsonl, csv, yaml (table only on a terminal).",
    ),
    query: str | None = typer.Option(None, "--query", help="JMESPath expression applied to the output."),
    backend: str | None = typer.Option(
        None, "--backend", help="prisma or cortex, when both PRISMA_* and CORTEXCLOUD_* are set."
    ),
    verbose: int = typer.Option(0, "-v", "--verbose", count=True, help="More log lines on stderr."),
    debug: bool = typer.Option(
        False, "--debug", help="Log requests and responses (secrets redacted); tracebacks on errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Global options; they are accepted before or after the subcommand."""
    if output_format is not None:
        try:
            output_format = output.resolve_format(output_format)
        except output.OutputError as exc:
            raise typer.BadParameter(str(exc), param_hint="'-o' / '--output'") from None
    if backend is not None and backend.strip().lower() not in ("prisma", "cortex"):
        raise typer.BadParameter(f"{backend!r} is not prisma or cortex.", param_hint="'--backend'")
    ctx.obj = CliState(
        profile=profile,
        region=region,
        output=output_format,
        query=query,
        verbose=verbose,
        debug=debug,
        backend=backend.strip().lower() if backend else None,
    )
    configure_logging(verbose, debug)


def run() -> None:
    """Console-script entry point (`cortexkit`)."""
    app()


if __name__ == "__main__":
    run()
