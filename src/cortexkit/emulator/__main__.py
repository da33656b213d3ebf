"""`python -m cortexkit.emulator serve ...`: the same command as `cortexkit emulator serve`."""

from __future__ import annotations

from cortexkit.cli.emulator import app

if __name__ == "__main__":
    app(prog_name="python -m cortexkit.emulator")
