"""Virtualenvs for the community clients the peer tests run unmodified against the emulator.

Each set of pinned packages gets its own venv under the user's cache directory (`$XDG_CACHE_HOME`, else
`~/.cache`, as it was when the tests started; `CORTEXKIT_TEST_PEERS_DIR` overrides it), keyed by the pins
and the Python version, so it is built once per machine and reused by later runs. Two xdist workers that
ask for the same venv at once take turns on a file lock: one builds it, the other then finds it ready.
A venv is used only once its marker file is written, so an interrupted build is redone, never half-used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

NETWORK_HINTS = (
    "NewConnectionError",
    "Max retries",
    "Temporary failure in name resolution",
    "Could not fetch URL",
    "No matching distribution",
    "Network is unreachable",
    "timed out",
)
"""pip's words for a registry it cannot reach: the test is skipped with the reason, not failed."""

# Read at import (collection), before tests/conftest.py points XDG_CACHE_HOME at a temp dir for the session.
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
PEERS_DIR = Path(os.environ.get("CORTEXKIT_TEST_PEERS_DIR") or _USER_CACHE / "cortexkit-test-peers")
MARKER = ".cortexkit-ready"


def venv_dir(name: str, specs: Sequence[str], root: Path = PEERS_DIR) -> Path:
    """Where the venv of `specs` lives: the name says what it is, the hash what exactly (pins + Python)."""
    python = f"py{sys.version_info.major}.{sys.version_info.minor}"
    key = hashlib.sha256(json.dumps([python, sorted(specs)]).encode()).hexdigest()[:12]
    return root / f"{name}-{python}-{key}"


def peer_venv(name: str, specs: Sequence[str], root: Path = PEERS_DIR, timeout: float = 900) -> Path:
    """The Python of a venv with `specs` installed from the registry: built on first use, then reused.
    Skips the test when the registry cannot be reached; fails it with pip's output otherwise."""
    where = venv_dir(name, specs, root)
    python = where / "bin" / "python"
    if (where / MARKER).exists():
        return python
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{where.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        if (where / MARKER).exists():  # the other worker built it while this one waited
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(where)], check=True, capture_output=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *specs]
        result = subprocess.run(pip, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            if any(hint in result.stderr for hint in NETWORK_HINTS):
                pytest.skip(
                    f"package registry unreachable, cannot install {list(specs)}: {result.stderr[-300:]}"
                )
            raise AssertionError(f"pip install {list(specs)} failed:\n{result.stderr}")
        (where / MARKER).write_text(json.dumps(sorted(specs)))
    return python


def run_peer(
    python: Path, args: Sequence[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 300
) -> str:
    """Run the peer's Python with `args`; its stdout, after checking it exited 0 (else its output's tail)."""
    done = subprocess.run(
        [str(python), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"peer {' '.join(args)[:200]} failed:\n{done.stdout[-1000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout
