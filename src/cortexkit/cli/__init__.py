"""cortexkit.cli: the `cortexkit` console script.

`run` is the entry point so that a core-only install (no `cli` extra, so no typer) still answers with one
sentence naming the extra to install rather than an ImportError traceback.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Console-script entry point (`cortexkit`)."""
    try:
        from cortexkit.cli.main import run as run_main
    except ModuleNotFoundError as exc:
        from cortexkit.cli.extras import missing_extra_message

        group = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        message = missing_extra_message(exc, group)
        if message is None:
            raise
        sys.stderr.write(f"Error: {message}\n")
        raise SystemExit(2) from None
    run_main()
