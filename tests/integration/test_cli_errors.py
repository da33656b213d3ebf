"""Bad input and failing servers: one clear sentence on stderr, the DESIGN.md exit code, no traceback."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    """A captive portal / console page: HTML with 200 for every request."""

    def _answer(self) -> None:
        body = b"<!doctype html><html><body><h1>Sign in</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def html_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _assert_clean(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    # One sentence: a single "Error:" line (click's usage errors add their usage header above it).
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, done.stderr
    others = [line for line in done.stderr.splitlines() if line.strip() and line not in lines]
    assert all(line.startswith(("Usage:", "Try ")) for line in others), done.stderr
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


def test_bad_inputs_table(emulator: RunningEmulator, tmp_path: Path, html_server: str) -> None:
    good = {**cli_env(tmp_path), **emulator.client_env()}
    wrong_key = {**good, "PRISMA_SECRET_KEY": "not-the-secret"}
    html = {**good, "PRISMA_API_URL": html_server}
    unreadable = tmp_path / "body.json"
    unreadable.write_text("{}")
    unreadable.chmod(0)
    missing = tmp_path / "missing.json"
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    none = cli_env(tmp_path)

    cases: list[tuple[str, dict[str, str], list[str], int, tuple[str, ...]]] = [
        ("wrong profile", none, ["--profile", "nosuch", "accounts", "list"], 2, ("nosuch",)),
        ("missing credentials", none, ["accounts", "list"], 4, ("PRISMA_ACCESS_KEY_ID",)),
        ("bad region", good, ["--region", "mars", "accounts", "list"], 2, ("mars",)),
        ("malformed time range", good, ["alerts", "list", "--since", "7x"], 2, ("7d",)),
        ("bad severity", good, ["alerts", "count", "--severity", "urgent"], 2, ("urgent", "critical")),
        (
            "missing --data file",
            good,
            ["api", "POST", "/v2/alert", "--data", f"@{missing}"],
            2,
            ("cannot read",),
        ),
        (
            "--data not JSON",
            good,
            ["api", "POST", "/v2/alert", "--data", f"@{bad_json}"],
            2,
            ("not valid JSON",),
        ),
        ("invalid key (401)", wrong_key, ["accounts", "list"], 4, ("authentication failed",)),
        ("HTML answer", html, ["accounts", "list"], 1, ("api.* host",)),
        ("bad output format", good, ["accounts", "list", "-o", "xml"], 2, ("table, json",)),
        ("bad JMESPath", good, ["accounts", "list", "--query", "[?"], 2, ("JMESPath",)),
    ]
    if os.geteuid() != 0:  # root reads any file
        cases.append(
            (
                "unreadable --data file",
                good,
                ["api", "POST", "/x", "--data", f"@{unreadable}"],
                2,
                ("permission denied",),
            )
        )
    failures = []
    for name, env, args, code, fragments in cases:
        done = run_cli(args, env)
        try:
            _assert_clean(done, code, *fragments)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)


def test_permission_denied_403(make_emulator: object, tmp_path: Path) -> None:
    running = make_emulator()  # type: ignore[operator]
    httpx.post(f"{running.url}/_emulator/faults", json={"route": "GET /cloud", "statuses": [403], "count": 1})
    done = run_cli(["accounts", "list"], {**cli_env(tmp_path), **running.client_env()})
    _assert_clean(done, 1, "permission denied", "GET /cloud")


def test_debug_shows_the_traceback(emulator: RunningEmulator, tmp_path: Path) -> None:
    env = {**cli_env(tmp_path), **emulator.client_env(), "PRISMA_SECRET_KEY": "Zebra-S3cret-42"}
    done = run_cli(["--debug", "accounts", "list"], env)
    assert done.returncode == 4
    assert "Traceback" in done.stderr
    assert "Zebra-S3cret-42" not in done.stderr  # the secret is never logged, even with --debug
    assert emulator.secret_key not in done.stderr


def test_not_found_alert(emulator: RunningEmulator, tmp_path: Path) -> None:
    done = run_cli(["alerts", "get", "P-does-not-exist"], {**cli_env(tmp_path), **emulator.client_env()})
    _assert_clean(done, 1, "not found")


def test_debug_logs_requests_with_secrets_and_tokens_redacted(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = {**cli_env(tmp_path), **emulator.client_env()}
    done = run_cli(["alerts", "count", "--debug", "-o", "json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] > 0
    assert "POST /login" in done.stderr and "POST /v2/alert" in done.stderr
    assert emulator.secret_key not in done.stderr
    assert "eyJ" not in done.stderr  # no JWT (header, payload or whole) in the log
