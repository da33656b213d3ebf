"""A throwaway `redis-server` (Debian package) on a free loopback port: no persistence, its own temp dir,
stopped on exit. Used by the multi-host governor benchmark and by the tests' `redis_url` fixture."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BINARY = "/usr/bin/redis-server"


def find_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    return BINARY if Path(BINARY).exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
            c.sendall(b"PING\r\n")
            return c.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(workdir: Path, binary: str | None = None) -> Iterator[str]:
    """Start redis-server in `workdir` and yield its `redis://127.0.0.1:<port>/0` URL."""
    exe = binary or find_binary()
    if exe is None:
        raise FileNotFoundError(
            "redis-server is not installed (make test installs it: apt-get install redis-server)"
        )
    port = _free_port()
    log = workdir / "redis.log"
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", ""]
    args += ["--appendonly", "no", "--daemonize", "no", "--logfile", str(log)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {log}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
