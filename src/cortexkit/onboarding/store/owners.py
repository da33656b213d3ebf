"""Who runs a job: the owner string and lease a claim records, and whether that owner may still be alive."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

LEASE_SECONDS = 30.0
"""How long a claim holds without a heartbeat; a runner renews it every third of that while it works."""

STALE_OWNER_SECONDS = 900.0
"""A job claimed before leases existed, by another host, counts as abandoned after this long unchanged."""


@dataclass(frozen=True)
class Lease:
    """A runner's claim on a job: writes carrying it are refused once another runner took the job over."""

    job_id: str
    owner: str
    token: int
    """The job's fencing token when this claim was made; every later claim increments it."""
    expires_at: float


def current_owner() -> str:
    """`host:pid#runner`: the host and process (so a dead local process is noticed at once) and a random
    part, so two runners of one process are two owners."""
    return f"{socket.gethostname()}:{os.getpid()}#{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str, updated_at: float, now: float, *, lease_expired: bool = True) -> bool:
    """Whether the process named by `owner` may still be running the job.

    On this host the process table answers. For another host there is no way to ask: with a lease
    (`lease_expired=False`, the caller checked the expiry) it counts as alive; without one, it is alive
    until the job has not changed for `STALE_OWNER_SECONDS`.
    """
    host, _, rest = owner.rpartition(":")
    pid = rest.split("#", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return not lease_expired or now - updated_at < STALE_OWNER_SECONDS
    if int(pid) == os.getpid():
        # This process: another runner of it holds the job until its lease runs out; a pre-lease claim
        # of this process is stale (the runner's own thread guard keeps one thread per job).
        return not lease_expired
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
