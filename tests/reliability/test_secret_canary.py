"""Secret canary: run cortexkit end to end with marked secrets and find none of them anywhere.

One emulator is started with canary keys; the CLI (subprocesses, with `--debug -v`), the library (DEBUG
logging captured), an onboarding job, the web UI (HTML, JSON and the SSE stream) and the exports all run
against it. Every stdout/stderr, log record, page, exported file and the raw bytes of the SQLite store are
then scanned for the canaries, their common encodings, and every JWT the emulator issued during the run.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortexkit.client import Client
from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from cortexkit.errors import AuthenticationError
from cortexkit.web.security import csrf_token
from tests.integration.cli_support import cli_command
from tests.integration.cli_support import cli_env as scrubbed_env
from tests.reliability.canary import (
    ACCESS_KEY_SECRET,
    AZURE_CLIENT_SECRET,
    EMULATOR_SIGNING_KEY,
    WEB_AZURE_CLIENT_SECRET,
    WRONG_ACCESS_KEY_SECRET,
    files_under,
    named,
    scan,
)

CLI_TIMEOUT = 120


class TokenRecorder:
    """Wraps the emulator's token issuer so every JWT it hands out becomes a canary too."""

    def __init__(self, running: RunningEmulator) -> None:
        self.tokens: list[str] = []
        self._lock = threading.Lock()
        issuer = running.emulator.tokens
        original = issuer.issue

        def issue(subject: str, extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
            token, claims = original(subject, extra)
            with self._lock:
                self.tokens.append(token)
            return token, claims

        issuer.issue = issue  # type: ignore[method-assign]


@pytest.fixture
def canary_emulator(
    make_emulator: Callable[..., RunningEmulator],
) -> Iterator[tuple[RunningEmulator, TokenRecorder]]:
    running = make_emulator(
        secret_key=ACCESS_KEY_SECRET,
        jwt_secret=EMULATOR_SIGNING_KEY,
        alerts=150,
        status_delay=0.2,
        token_ttl=30,
    )
    identity_state(running.emulator).propagation_delay = 0.0
    yield running, TokenRecorder(running)


def cli_env(running: RunningEmulator, home: Path) -> dict[str, str]:
    return scrubbed_env(
        home / "config",
        **running.client_env(),
        HOME=str(home),
        CORTEXKIT_DATA_DIR=str(home / "data"),
        AZURE_CLIENT_SECRET=AZURE_CLIENT_SECRET,
        CORTEXKIT_AZURE_LOGIN_URL=f"{running.url}/_azure/login",
        CORTEXKIT_AZURE_GRAPH_URL=f"{running.url}/_azure/graph",
        CORTEXKIT_AZURE_ARM_URL=f"{running.url}/_azure/arm",
    )


def cli_runs(running: RunningEmulator, home: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    # The CLI's token cache (issue 18) lives under `home`, so the scan covers the encrypted cache file too.
    env = {**cli_env(running, home), "CORTEXKIT_CACHE_DIR": str(home / "cache")}
    out = home / "out"
    out.mkdir()
    wrong = {**env, "PRISMA_SECRET_KEY": WRONG_ACCESS_KEY_SECRET}
    onboard = [
        "onboard", "azure", "--subscription-id", str(uuid.uuid4()), "--tenant-id", str(uuid.uuid4()),
        "--name", "canary-sub", "--provisioner", "existing", "--client-id", str(uuid.uuid4()),
        "--service-principal-id", str(uuid.uuid4()), "--poll-interval", "0.1", "--verify-timeout", "30",
    ]  # fmt: skip
    return [
        ("accounts", ["accounts", "list", "-o", "json"], env),
        ("groups", ["account-groups", "list"], env),
        ("api", ["api", "GET", "/cloud/group"], env),
        ("api404", ["api", "GET", "/cloud/azure/no-such-account"], env),
        ("alerts", ["alerts", "list", "--since", "all", "--limit", "5"], env),
        ("export-csv", ["alerts", "export", "-f", "csv", "-o", str(out / "a.csv"), "--since", "all"], env),
        ("export-jsonl", ["alerts", "export", "--output", str(out / "a.jsonl"), "--since", "all"], env),
        ("report", ["alerts", "report", "--output", str(out / "r.html"), "--since", "all"], env),
        ("wrong-secret", ["accounts", "list"], wrong),
        ("onboard", onboard, env),
    ]  # fmt: skip


def run_cli(
    name: str, args: list[str], env: dict[str, str]
) -> tuple[str, subprocess.CompletedProcess[bytes]]:
    command = cli_command("--debug", "-v", *args)
    return name, subprocess.run(command, env=env, capture_output=True, timeout=CLI_TIMEOUT, check=False)


def drive_library(running: RunningEmulator) -> list[str]:
    """Library calls that log: logins, a 401 replay after the clock jump, an auth failure, retries."""
    messages: list[str] = []
    with Client(
        api_url=running.url, access_key_id=running.access_key_id, secret_key=ACCESS_KEY_SECRET
    ) as client:
        client.request("GET", "/cloud")
        httpx.post(f"{running.url}/_emulator/clock", json={"advance": 60}, timeout=10).raise_for_status()
        client.request("GET", "/cloud/group")
        httpx.post(
            f"{running.url}/_emulator/faults",
            json={"route": "GET /cloud", "statuses": [503, 500]},
            timeout=10,
        ).raise_for_status()
        client.request("GET", "/cloud")
        messages += [repr(client), repr(client.stats)]
    bad = Client(api_url=running.url, access_key_id=running.access_key_id, secret_key=WRONG_ACCESS_KEY_SECRET)
    with bad, pytest.raises(AuthenticationError) as refused:
        bad.request("GET", "/cloud")
    messages += [str(refused.value), repr(refused.value), repr(bad)]
    return messages


def drive_ui(running: RunningEmulator, home: Path) -> dict[str, bytes]:
    """`cortexkit ui` as a user runs it; a job started through its form with the web canary secret."""
    env = cli_env(running, home)
    store = f"sqlite:///{home / 'data' / 'ui-jobs.db'}"
    (home / "data").mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "cortexkit.cli.main",
        "--debug",
        "-v",
        "ui",
        "--port",
        "0",
        "--store",
        store,
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pages: dict[str, bytes] = {}
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
        assert match, f"no UI URL in {line!r}"
        base, token = match.group(1), match.group(2)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as web:
            web.get(f"/?token={token}")
            for path in ("/", "/onboard", "/onboard/bulk", "/jobs", "/accounts", "/api/connection"):
                pages[path] = web.get(path).content
            form = {
                "csrf_token": csrf_token(token), "account_type": "account", "environment": "azure",
                "name": "canary-web", "tenant_id": str(uuid.uuid4()), "subscription_id": str(uuid.uuid4()),
                "provisioner": "existing", "client_id": str(uuid.uuid4()),
                "service_principal_id": str(uuid.uuid4()), "client_secret": WEB_AZURE_CLIENT_SECRET,
                "idempotency_key": "canary-1",
            }  # fmt: skip
            invalid = web.post("/onboard", data={**form, "subscription_id": "not-a-guid"})
            pages["/onboard (invalid)"] = invalid.content
            started = web.post("/onboard", data=form, follow_redirects=False)
            assert started.status_code == 303, started.text[:300]
            job = started.headers["location"]
            job_id = job.rsplit("/", 1)[1]
            pages["sse"] = web.get(f"/jobs/{job_id}/events", timeout=60).content  # ends with the job
            for path in (job, f"/api/jobs/{job_id}", "/jobs", "/accounts"):
                pages[f"{path} (after)"] = web.get(path).content
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    pages["ui stdout"] = out
    pages["ui stderr"] = err
    return pages


@pytest.mark.slow
def test_no_canary_anywhere(
    canary_emulator: tuple[RunningEmulator, TokenRecorder],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    record_figures: Callable[[str, dict[str, Any]], None],
) -> None:
    running, recorder = canary_emulator
    caplog.set_level(logging.DEBUG)
    with ThreadPoolExecutor(3) as pool:
        results = dict(pool.map(lambda run: run_cli(*run), cli_runs(running, tmp_path)))
    blobs: dict[str, bytes] = {}
    for name, done in results.items():
        blobs[f"cli {name} stdout"] = done.stdout
        blobs[f"cli {name} stderr"] = done.stderr
        assert b"Traceback" not in done.stderr or name in ("wrong-secret", "api404"), done.stderr[-800:]
    assert results["wrong-secret"].returncode == 4
    assert all(results[n].returncode == 0 for n in results if n not in ("wrong-secret", "api404"))
    blobs.update(named("library ", enumerate(drive_library(running))))
    blobs.update(drive_ui(running, tmp_path))
    blobs["library log"] = caplog.text.encode()
    blobs.update(named("file ", files_under(tmp_path).items()))
    assert any(name.endswith("a.csv") for name in blobs) and any("jobs.db" in name for name in blobs)
    secrets = {
        "access key secret": ACCESS_KEY_SECRET,
        "wrong access key secret": WRONG_ACCESS_KEY_SECRET,
        "azure client secret": AZURE_CLIENT_SECRET,
        "azure client secret (web)": WEB_AZURE_CLIENT_SECRET,
        "emulator signing key": EMULATOR_SIGNING_KEY,
        **{f"jwt #{i}": token for i, token in enumerate(recorder.tokens)},
    }
    # The CLI runs share one cached session (issue 18), so a handful of logins, not one per run; every
    # token the emulator issued is still searched for everywhere.
    assert len(recorder.tokens) >= 3, "the runs should have logged in several times"
    scanned_cache = any(name.startswith("file ") and "cache" in name for name in blobs)
    assert scanned_cache, "the token cache was not scanned"
    hits = scan(blobs, secrets)
    record_figures(
        "secret_canary",
        {
            "cli_runs": len(results),
            "sources_scanned": len(blobs),
            "bytes_scanned": sum(len(b) for b in blobs.values()),
            "canaries": len(secrets),
            "jwts_collected": len(recorder.tokens),
            "canary_hits": len(hits),
        },
    )
    assert hits == []


def test_the_scanner_finds_what_it_looks_for() -> None:
    """Guards the test above against passing because the scanner is blind."""
    import base64

    leaked = b"x" + base64.urlsafe_b64encode(b"pre" + ACCESS_KEY_SECRET.encode()) + b"y"
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu"
    assert scan({"b64": leaked}, {"s": ACCESS_KEY_SECRET})
    assert scan({"sig": b"sig=c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu"}, {"jwt": token})
    assert scan({"url": b"k=CanaryAzure%7EPq3.Rw8_Ty2-Ux6Vz1Bn4"}, {"az": AZURE_CLIENT_SECRET})
    assert not scan({"clean": b"nothing to see"}, {"s": ACCESS_KEY_SECRET})
