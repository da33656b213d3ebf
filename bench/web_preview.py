"""`python -m bench.web_preview`: memory, page size and time of the bulk CSV preview on a hostile file.

The issue's case: a 200 KB CSV of 100,000 invalid rows (`x` under a header), posted to the preview of a
real UI (real engine, store and emulator) served by a child process. Reported: the page's size, the
answer's time, and the child's resident memory before the request and at its peak (VmHWM, reset just
before the request through /proc/<pid>/clear_refs), so the interpreter's own footprint is visible apart
from what the request cost.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROWS = 100_000


def hostile_csv(rows: int = ROWS) -> str:
    """A header and `rows` lines of one bare value each: every row lacks its tenant and subscription."""
    return "name,tenant_id,subscription_id\n" + "x\n" * rows


def _serve() -> None:
    from cortexkit.cli.demo import demo_settings
    from cortexkit.emulator.server import run_emulator
    from cortexkit.web.app import create_app
    from cortexkit.web.server import serve_in_thread

    with (
        tempfile.TemporaryDirectory() as tmp,
        run_emulator(seed=42, rate_limits="off", fault_rate=0.0) as emulator,
    ):
        settings = demo_settings(emulator, f"sqlite:///{Path(tmp) / 'jobs.db'}")
        with serve_in_thread(create_app(settings), settings.session_token) as ui:
            print(json.dumps({"url": ui.url, "base": ui.base_url}), flush=True)
            sys.stdin.read()  # until the parent closes our stdin


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def measure(rows: int) -> dict[str, float]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.web_preview", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        where = json.loads(child.stdout.readline())
        with httpx.Client(base_url=where["base"], timeout=300) as http:
            http.get(where["url"])  # the token becomes the session cookie
            page = http.get("/onboard/bulk").text
            csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            text = hostile_csv(rows)
            http.post("/onboard/bulk", data={"csrf_token": csrf, "csv_text": "name\nwarm-up\n"})
            before = _kib(child.pid, "VmRSS")
            Path(f"/proc/{child.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
            started = time.perf_counter()
            answer = http.post("/onboard/bulk", data={"csrf_token": csrf, "csv_text": text})
            seconds = time.perf_counter() - started
            peak = _kib(child.pid, "VmHWM")
        return {
            "rows": rows,
            "csv_bytes": len(text.encode()),
            "status": answer.status_code,
            "page_bytes": len(answer.content),
            "seconds": round(seconds, 2),
            "rss_before_mib": round(before / 1024, 1),
            "rss_peak_mib": round(peak / 1024, 1),
            "request_cost_mib": round((peak - before) / 1024, 1),
        }
    finally:
        child.stdin.close() if child.stdin else None
        child.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web_preview", description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve()
        return
    print(json.dumps(measure(args.rows), indent=2))


if __name__ == "__main__":
    main()
