"""One onboarding worker process of the multi-host tests (`python -m tests.integration.onboarding_worker`).

A worker is what each host of a team runs: the real `Runner` and `JobStore` on the shared store, taking
every unfinished job it can claim until none is left. A job another live runner holds is refused
(`JobBusyError`) and tried again later, so a job whose runner died is taken over once its lease expires.

Arguments: the store URL, `--data-dir` (the work folder), `--lease` in seconds, `--host NAME` to claim as
another host would (so the lease expiry, not this machine's process table, decides when a dead worker's
job is free), `--kill-at POINT` and `--kill-after N` to SIGKILL itself the Nth time the runner reaches
POINT. The Prisma and Azure endpoints come from the environment (PRISMA_*, CORTEXKIT_AZURE_*_URL) and the
store key from CORTEXKIT_STORE_KEY.
Prints one JSON line per event: {"busy": id}, {"ran": id, "state": ...}, {"finished": n}.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

from cortexkit.client import Client
from cortexkit.onboarding.runenv import runner_settings
from cortexkit.onboarding.runner import JobBusyError, Runner, shared_client_factory
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore

SETTLED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.NEEDS_ATTENTION})


def say(**event: object) -> None:
    print(json.dumps(event), flush=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("store_url")
    p.add_argument("--lease", type=float, required=True)
    p.add_argument("--host", default=None)
    p.add_argument("--kill-at", default=None)
    p.add_argument("--kill-after", type=int, default=1)
    p.add_argument("--deadline", type=float, default=120.0)
    p.add_argument("--data-dir", required=True, help="the runner's work folder (never the user's data dir)")
    args = p.parse_args(argv)

    reached = [0]

    def hook(point: str) -> None:
        if point == args.kill_at:
            reached[0] += 1
            if reached[0] >= args.kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

    store = JobStore(args.store_url, data_dir=Path(args.data_dir))
    client = Client()
    settings = runner_settings(verify_timeout=60.0, poll_interval=0.05)
    runner = Runner(
        store, shared_client_factory(lambda: client), settings=settings, hook=hook, lease_seconds=args.lease
    )
    if args.host:
        runner.owner = f"{args.host}:{os.getpid()}#{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + args.deadline
    while time.monotonic() < deadline:
        todo = [j for j in store.list_jobs() if j.state not in SETTLED]
        if not todo:
            say(finished=len(store.list_jobs()))
            return 0
        for job in todo:
            try:
                say(ran=job.id, state=runner.run(job.id).state)
            except JobBusyError:
                say(busy=job.id)
        time.sleep(0.1)
    say(timeout=[j.id for j in store.list_jobs() if j.state not in SETTLED])
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
