"""Who runs a job: the owner string a claim records, and whether that owner may still be alive."""

from __future__ import annotations

import os
import socket

STALE_OWNER_SECONDS = 900.0
"""A job run by another host counts as abandoned when it has not changed for this long."""


def current_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str, updated_at: float, now: float) -> bool:
    """Whether the process named by `owner` may still be running the job."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return now - updated_at < STALE_OWNER_SECONDS
    if int(pid) == os.getpid():
        return False  # this process: the runner's own thread guard applies
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
