"""One process of the multi-process governor tests (`python -m tests.integration.governor_worker`).

It logs in (with a call on another route), waits for the start file so every process fires at once, then
fetches the given alerts one by one with a plain `Client` from the PRISMA_* environment and prints its
counters as JSON. `--governor off` turns the shared budget off for the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from cortexkit.client import Client


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--ids", required=True, help="comma-separated alert ids to fetch")
    p.add_argument("--go", required=True, help="start once this file exists")
    p.add_argument("--governor", choices=("on", "off"), default="on")
    p.add_argument("--session-cache", action="store_true", help="share the login through the token cache")
    args = p.parse_args(argv)
    ids = args.ids.split(",")
    with Client(governor=args.governor == "on", session_cache=args.session_cache) as client:
        client.request("GET", "/cloud")  # the login, outside the measured part
        print("ready", flush=True)
        go = Path(args.go)
        deadline = time.monotonic() + 120
        while not go.exists():
            if time.monotonic() > deadline:
                return 3
            time.sleep(0.005)
        started = time.monotonic()
        for alert_id in ids:
            client.request("GET", f"/alert/{alert_id}")
        elapsed = time.monotonic() - started
        stats = client.stats
    out = {"pid": os.getpid(), "calls": len(ids), "throttled": stats.throttled, "seconds": elapsed}
    out["logins"], out["adopted"] = stats.logins, stats.adopted_sessions
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
