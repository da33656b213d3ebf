"""Installs the peer tools into their own virtualenvs under bench/.peers-venv/, once, and says why when not.

Each peer gets a venv of its own because their pins clash: prismacloud-cli 0.8.11 pins
prismacloud-api==5.2.24 while we compare against prismacloud-api 5.3.0. A stamp file holding the exact
requirement list makes later runs reuse the venv; a failed install is recorded as a reason, never fatal.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VENV_ROOT = Path(__file__).resolve().parent / ".peers-venv"


@dataclass(frozen=True)
class PeerSpec:
    """A peer: its display name, the version we compare, and what pip must install for it to import."""

    name: str
    version: str
    requirements: tuple[str, ...]
    # Why the extra requirements: the wheels under-declare their runtime dependencies (peers.md section 1).
    note: str = ""


PEERS: tuple[PeerSpec, ...] = (
    PeerSpec("pcpi", "1.0.1", ("pcpi==1.0.1",)),
    PeerSpec(
        "prismacloud-api",
        "5.3.0",
        ("prismacloud-api==5.3.0", "requests", "update_checker"),
        note="the 5.3.0 wheel declares no runtime dependencies; requests and update_checker added",
    ),
    PeerSpec(
        "prismacloud-cli",
        "0.8.11",
        ("prismacloud-cli==0.8.11", "setuptools<80"),
        note="pins prismacloud-api==5.2.24; needs the undeclared setuptools (pkg_resources)",
    ),
)


@dataclass
class PeerEnv:
    """The outcome of preparing one peer: a python to run it with, or the reason it is skipped."""

    spec: PeerSpec
    python: Path | None
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.python is not None


def _stamp_text(spec: PeerSpec) -> str:
    return "\n".join(spec.requirements) + "\n"


def ensure_peer(spec: PeerSpec, root: Path = VENV_ROOT, log: Path | None = None) -> PeerEnv:
    """Creates (or reuses) the venv of one peer; never raises for an install failure."""
    venv = root / spec.name
    python = venv / "bin" / "python"
    stamp = venv / ".bench-stamp"
    if python.exists() and stamp.exists() and stamp.read_text() == _stamp_text(spec):
        return PeerEnv(spec, python)
    root.mkdir(parents=True, exist_ok=True)
    out = open(log, "a") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(venv)], check=True, stdout=out, stderr=out
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *spec.requirements],
            check=True,
            stdout=out,
            stderr=out,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        return PeerEnv(spec, None, f"pip install {' '.join(spec.requirements)} failed: {type(exc).__name__}")
    finally:
        if out is not subprocess.DEVNULL:
            out.close()  # type: ignore[union-attr]
    stamp.write_text(_stamp_text(spec))
    return PeerEnv(spec, python)


def ensure_peers(names: list[str] | None = None, log: Path | None = None) -> dict[str, PeerEnv]:
    """Prepares every requested peer (all by default), the three installs side by side on a first run."""
    from concurrent.futures import ThreadPoolExecutor

    wanted = [p for p in PEERS if names is None or p.name in names]
    with ThreadPoolExecutor(max_workers=len(wanted) or 1) as pool:
        envs = list(pool.map(lambda spec: ensure_peer(spec, log=log), wanted))
    return {env.spec.name: env for env in envs}


def installed_version(env: PeerEnv, dist: str) -> str:
    """The version pip actually installed, for the report (a pin can be overridden by a later install)."""
    if env.python is None:
        return "not installed"
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    res = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True, check=False)
    return res.stdout.strip() or "unknown"


if __name__ == "__main__":
    for name, env in ensure_peers().items():
        print(name, env.python or env.reason)
