"""A throwaway PostgreSQL cluster for the tests: Debian's `postgresql` binaries, an unprivileged user,
a temporary directory (on /dev/shm when it has room), a free loopback port; stopped and deleted at the
end. A watchdog process stops it too when the test process dies without cleaning up (SIGKILL, a timeout),
so no cluster outlives a session.

`make test` installs Debian's `postgresql` when it is missing; without it the PostgreSQL tests skip.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ADMIN_USER = "cortexkit"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user() -> list[str]:
    """PostgreSQL refuses to run as root: run it as `postgres` (Debian's) or `nobody` then."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root with neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yields the SQLAlchemy URL of the cluster's `postgres` database (superuser, trust auth, loopback)."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise FileNotFoundError("initdb/pg_ctl not found: install Debian's postgresql (make test does)")
    prefix = _as_user()
    root = Path(tempfile.mkdtemp(prefix="cortexkit-pg-", dir=_scratch_dir()))
    if prefix:
        user = pwd.getpwnam(prefix[2])
        os.chown(root, user.pw_uid, user.pw_gid)
    data, log = root / "data", root / "server.log"
    port = _free_port()
    stop = [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
    guard = _watchdog(stop, root)  # before the start: a session killed while it waits leaves nothing
    atexit.register(_stop_quietly, stop, root)
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-U", ADMIN_USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        options += " -c max_wal_size=64MB -c min_wal_size=32MB"  # in memory on tmpfs: recycle the WAL
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield f"postgresql+psycopg://{ADMIN_USER}@127.0.0.1:{port}/postgres"
    finally:
        atexit.unregister(_stop_quietly)
        subprocess.run(stop, check=False, timeout=60, capture_output=True)
        _release(guard)
        shutil.rmtree(root, ignore_errors=True)


SHM = Path("/dev/shm")
SHM_FREE_BYTES = 2 << 30


def _scratch_dir() -> str | None:
    """/dev/shm when it is a tmpfs with room (2 GiB free), else the usual temporary directory. A disk
    cluster's files are deleted at the end of the session while the kernel may still be writing them
    back: in a loaded suite run that rmtree held the last test of each worker 35-41 s (5-6 s at load 3)."""
    try:
        if os.access(SHM, os.W_OK) and shutil.disk_usage(SHM).free >= SHM_FREE_BYTES:
            return str(SHM)
    except OSError:
        pass
    return None


WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()  # returns at EOF: the test process closed its end, or died (even by SIGKILL)
subprocess.run(sys.argv[2:], check=False, capture_output=True, timeout=60)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


def _watchdog(stop: list[str], root: Path) -> subprocess.Popen[bytes]:
    """A process that stops the cluster when the test process goes away however it ends: PostgreSQL runs
    detached, so a test session killed by a timeout or SIGKILL would otherwise leave it running."""
    return subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(root), *stop],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to the session's process group must not kill the guard first
    )


def _release(guard: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        assert guard.stdin is not None
        guard.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        guard.wait(timeout=60)


def _stop_quietly(stop: list[str], root: Path) -> None:
    """atexit: the session ended without leaving the context (an exception escaping pytest)."""
    subprocess.run(stop, check=False, timeout=60, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """A new empty database on the cluster; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name
