"""The test PostgreSQL cluster never outlives its test session, even one killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests import pg_cluster

SESSION = """
import time
from tests import pg_cluster
with pg_cluster.throwaway_cluster() as url:
    print(url, flush=True)
    time.sleep(600)
"""


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(not pg_cluster.available(), reason="PostgreSQL is not installed (make test installs it)")
def test_a_sigkilled_session_takes_its_cluster_down() -> None:
    root = Path(__file__).resolve().parents[2]
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION], cwd=root, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert session.stdout is not None
        port = int(make_url(session.stdout.readline().strip()).port or 0)
        assert port and _accepts(port)
    finally:
        os.kill(session.pid, signal.SIGKILL)
        session.wait(timeout=30)
    deadline = time.monotonic() + 60
    while _accepts(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _accepts(port), "the cluster was stopped by its watchdog"
