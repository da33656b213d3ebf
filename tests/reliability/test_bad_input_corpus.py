"""Bad input corpus: every case gives one clear sentence, the documented exit code, and no traceback.

Exit codes (docs/cli.md): 0 ok, 1 API/runtime, 2 bad usage or input (including a file named on the command
line, such as `profile import FILE`), 4 authentication (a credentials.yml that cannot be used counts as "no
credentials found", so 4). Four channels:
CLI arguments, CSV rows, credential files, and server answers from a scripted stub server on loopback.
CLI cases run as real subprocesses, all at once from one module fixture (so the table stays fast); the
server answers that the client retries run in-process with a fast retry policy, because the CLI's own
policy would wait real seconds. Nothing may be half-written: a refused export leaves no file, a refused
CSV creates no job.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cortexkit.cli.errors import describe, exit_code_for
from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.errors import CortexkitError
from cortexkit.onboarding.bulk import parse_csv
from cortexkit.retry import RetryConfig
from tests.integration.cli_support import cli_env, run_cli
from tests.reliability.stub_server import LOGIN_OK, Answer, Script, stub_server

# One worker runs the whole module under `-n 2 --dist loadgroup`: its module fixture is the costly part.
pytestmark = pytest.mark.xdist_group("reliability-bad-input")

GUID = "11111111-2222-4333-8444-555555555555"
GUID2 = "11111111-2222-4333-8444-666666666666"
HTML = Answer(
    200, b"<!doctype html><html><body>Prisma Cloud console</body></html>", {"Content-Type": "text/html"}
)
REDLOCK_401 = {"x-redlock-status": '[{"i18nKey":"invalid_credentials","severity":"error","subject":null}]'}
STUBS: dict[str, Script] = {
    "login-html": {"/login": [HTML]},
    "login-no-token": {"/login": [Answer(body=b'{"message": "login_successful"}')]},
    "login-truncated": {"/login": [Answer(body=b'{"token": "abc')]},
    "login-token-not-string": {"/login": [Answer(body=b'{"token": 12345}')]},
    "login-401": {"/login": [Answer(401, b"", REDLOCK_401)]},
    "login-list": {"/login": [Answer(body=b"[]")]},
    "cloud-html": {"/cloud": [HTML]},
    "cloud-truncated": {"/cloud": [Answer(body=b'[{"accountId": "1", "name": "a')]},
    "cloud-error-body": {"/cloud": [Answer(body=b'{"error": {"code": "internal", "message": "boom"}}')]},
    "cloud-wrong-type": {"/cloud": [Answer(body=b'"just a string"')]},
    "cloud-items-wrong-type": {"/cloud": [Answer(body=b"[1, 2, null]")]},
    "cloud-403": {"/cloud": [Answer(403, b"", {"x-redlock-status": '[{"i18nKey":"forbidden"}]'})]},
    "cloud-404-html": {"/cloud": [Answer(404, HTML.body, {"Content-Type": "text/html"})]},
    "cloud-400-v2": {"/cloud": [Answer(400, b'{"error": {"code": "bad", "message": "bad filter"}}')]},
    "cloud-binary": {"/cloud": [Answer(body=b"\xff\xfe\x00garbage")]},
}
"""Server answers the CLI sees without retrying (so a subprocess finishes at once)."""


@dataclass(frozen=True)
class CliCase:
    name: str
    args: tuple[str, ...]
    code: int
    fragment: str = ""
    """A lower-case piece the message must contain (besides being one `Error: ...` sentence)."""
    env: str = "good"
    """good (the shared emulator), none (no credentials), stub:<name>, config:<name> (a credentials.yml)."""
    absent: str | None = None
    """A file under the case's directory that must not exist afterwards (nothing half-written)."""
    xfail: str | None = None


CLI_CASES: list[CliCase] = [
    # CLI arguments
    CliCase("unknown command", ("nosuch",), 2),
    CliCase("unknown option", ("accounts", "list", "--bogus"), 2),
    CliCase("bad output format", ("accounts", "list", "-o", "xml"), 2),
    CliCase("bad JMESPath", ("accounts", "list", "--query", "[?"), 2, "jmespath"),
    CliCase("unknown region", ("--region", "mars", "accounts", "list"), 2, "mars"),
    CliCase("time range 7x", ("alerts", "list", "--since", "7x"), 2, "7x"),
    CliCase("impossible date", ("alerts", "list", "--since", "2026-13-45"), 2),
    CliCase("reversed range", ("alerts", "list", "--since", "2026-11-15..2026-11-01"), 2),
    CliCase("limit zero", ("alerts", "list", "--limit", "0"), 2),
    CliCase("limit not a number", ("alerts", "list", "--limit", "abc"), 2),
    CliCase("unknown severity", ("alerts", "count", "--severity", "urgent"), 2, "urgent"),
    CliCase("api without path", ("api", "GET"), 2),
    CliCase("api --data not JSON", ("api", "POST", "/v2/alert", "--data", "{not json"), 2, "json"),
    CliCase("api --data missing file", ("api", "POST", "/v2/alert", "--data", "@/nonexistent/x.json"), 2),
    CliCase("api --param without =", ("api", "GET", "/cloud", "--param", "novalue"), 2),
    CliCase("api header without colon", ("api", "GET", "/cloud", "-H", "NoColon"), 2),
    CliCase(
        "export unknown format", ("alerts", "export", "-f", "xml", "-o", "{dir}/out.xml"), 2, absent="out.xml"
    ),
    CliCase(
        "export without output",
        (
            "alerts",
            "export",
        ),
        2,
    ),
    CliCase("snooze bad duration", ("alerts", "snooze", "P-1", "--for", "7x", "--yes"), 2),
    CliCase("unknown profile", ("--profile", "nosuch", "accounts", "list"), 2, "nosuch"),
    CliCase("accounts get without id", ("accounts", "get"), 2),
    CliCase(
        "onboard bad subscription",
        (
            "onboard",
            "azure",
            "--subscription-id",
            "not-a-guid",
            "--tenant-id",
            GUID,
            "--name",
            "x",
            "--client-id",
            GUID,
            "--service-principal-id",
            GUID2,
        ),
        2,
        "subscription",
    ),
    CliCase(
        "onboard unknown provisioner",
        (
            "onboard",
            "azure",
            "--subscription-id",
            GUID,
            "--tenant-id",
            GUID,
            "--name",
            "x",
            "--provisioner",
            "magic",
        ),
        2,
    ),
    CliCase("onboard unknown job", ("onboard", "show", "no-such-job"), 2),
    # CSV rows through the CLI: a file with only bad rows starts nothing
    CliCase("csv bad rows", ("onboard", "azure", "--from-csv", "{dir}/bad.csv"), 2, absent="data/jobs.db"),
    CliCase(
        "csv missing file",
        ("onboard", "azure", "--from-csv", "{dir}/missing.csv"),
        2,
    ),
    CliCase(
        "csv not utf-8",
        ("onboard", "azure", "--from-csv", "{dir}/binary.csv"),
        2,
    ),
    # credential files
    CliCase("credentials.yml bad YAML", ("accounts", "list"), 4, env="config:bad-yaml"),
    CliCase("credentials.yml world-readable", ("accounts", "list"), 4, "chmod", env="config:world-readable"),
    CliCase("credentials.yml a list", ("accounts", "list"), 4, env="config:list"),
    CliCase("credentials.yml profile without url", ("accounts", "list"), 4, env="config:no-url"),
    CliCase("no credentials at all", ("accounts", "list"), 4, env="none"),
    CliCase("import bad JSON", ("profile", "import", "{dir}/pcpi-bad.json"), 2),
    CliCase("import missing fields", ("profile", "import", "{dir}/pcpi-missing.json"), 2),
    CliCase("import wrong types", ("profile", "import", "{dir}/pcpi-types.json"), 2),
    CliCase("import empty file", ("profile", "import", "{dir}/empty.json"), 2),
    CliCase(
        "import a directory",
        ("profile", "import", "{dir}"),
        2,
    ),
    # server answers
    CliCase("login answers HTML", ("accounts", "list"), 1, env="stub:login-html"),
    CliCase("login without token", ("accounts", "list"), 1, env="stub:login-no-token"),
    CliCase("login truncated JSON", ("accounts", "list"), 1, env="stub:login-truncated"),
    CliCase("login token not a string", ("accounts", "list"), 1, env="stub:login-token-not-string"),
    CliCase("login a JSON list", ("accounts", "list"), 1, env="stub:login-list"),
    CliCase("login refused 401", ("accounts", "list"), 4, "authentication", env="stub:login-401"),
    CliCase("200 HTML page", ("accounts", "list"), 1, env="stub:cloud-html"),
    CliCase("200 truncated JSON", ("accounts", "list"), 1, env="stub:cloud-truncated"),
    CliCase("200 with an error body", ("accounts", "list"), 1, env="stub:cloud-error-body"),
    CliCase("200 wrong type", ("accounts", "list"), 1, env="stub:cloud-wrong-type"),
    CliCase("200 items of wrong type", ("accounts", "list"), 1, env="stub:cloud-items-wrong-type"),
    CliCase("403 permission denied", ("accounts", "list"), 1, env="stub:cloud-403"),
    CliCase("404 HTML page", ("accounts", "list"), 1, env="stub:cloud-404-html"),
    CliCase("400 V2 error", ("accounts", "list"), 2, env="stub:cloud-400-v2"),
    CliCase("200 binary garbage", ("accounts", "list"), 1, env="stub:cloud-binary"),
]


def _write_inputs(root: Path) -> None:
    (root / "bad.csv").write_text(
        f"name,subscription_id,tenant_id\nrow-a,not-a-guid,{GUID}\n,{GUID},{GUID}\nrow-c,{GUID},also-bad\n"
    )
    (root / "binary.csv").write_bytes(b"\xff\xfe\x00\x81name,tenant\n\x00\x00")
    (root / "pcpi-bad.json").write_text("[{not json")
    (root / "pcpi-missing.json").write_text(json.dumps([{"name": "x"}]))
    (root / "pcpi-types.json").write_text(
        json.dumps([{"name": 1, "url": ["a"], "identity": {}, "secret": 2}])
    )
    (root / "empty.json").write_text("")


CONFIGS = {
    "bad-yaml": "profiles: [unclosed\n  default: : :\n",
    "world-readable": (
        "default: lab\nprofiles:\n  lab:\n    api_url: http://127.0.0.1:9\n    access_key_id: k\n"
    ),
    "list": "- just\n- a list\n",
    "no-url": "default: lab\nprofiles:\n  lab:\n    access_key_id: k\n",
}


def _env(case: CliCase, root: Path, emulator: RunningEmulator, stubs: dict[str, str]) -> dict[str, str]:
    env = cli_env(root / "config", CORTEXKIT_DATA_DIR=str(root / "data"), HOME=str(root))
    if case.env == "good" or case.env.startswith("stub:"):
        env.update(emulator.client_env())
        env["AZURE_CLIENT_SECRET"] = "corpus-client-secret"
    if case.env.startswith("stub:"):
        env["PRISMA_API_URL"] = stubs[case.env.removeprefix("stub:")]
    if case.env.startswith("config:"):
        variant = case.env.removeprefix("config:")
        config = root / "config"
        config.mkdir()
        path = config / "credentials.yml"
        path.write_text(CONFIGS[variant])
        path.chmod(0o644 if variant == "world-readable" else 0o600)
    return env


def _run(case: CliCase, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [arg.replace("{dir}", str(root)) for arg in case.args]
    return run_cli(args, env, cwd=root)


@pytest.fixture(scope="module")
def cli_results(
    emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[Path, subprocess.CompletedProcess[str]]]]:
    with contextlib.ExitStack() as stack:
        stubs = {name: stack.enter_context(stub_server(script)) for name, script in STUBS.items()}
        jobs: list[tuple[CliCase, Path, dict[str, str]]] = []
        for case in CLI_CASES:
            root = tmp_path_factory.mktemp("case")
            _write_inputs(root)
            jobs.append((case, root, _env(case, root, emulator, stubs)))
        with ThreadPoolExecutor(4) as pool:
            done = list(pool.map(lambda job: (job[0].name, (job[1], _run(*job))), jobs))
        yield dict(done)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
        for c in CLI_CASES
    ],
)
def test_cli_case(
    case: CliCase, cli_results: dict[str, tuple[Path, subprocess.CompletedProcess[str]]]
) -> None:
    root, done = cli_results[case.name]
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == case.code, (done.returncode, done.stderr[-600:])
    message = done.stderr.strip()
    assert message, "a failure must say something"
    assert case.fragment in message.lower(), message
    if case.absent:
        assert not (root / case.absent).exists(), f"{case.absent} was written by a refused command"


@dataclass(frozen=True)
class CsvCase:
    name: str
    text: str
    field: str = ""
    """The field a row error must name (empty: any error)."""
    good_rows: int = 0


CSV_HEADER = "name,subscription_id,tenant_id,client_id,service_principal_id"
CSV_CASES = [
    CsvCase("empty file", ""),
    CsvCase("header only, unknown column", "name,colour\nx,blue\n"),
    CsvCase("bad subscription GUID", f"{CSV_HEADER}\nx,1234,{GUID},{GUID},{GUID2}\n", "subscription_id"),
    CsvCase("missing name", f"{CSV_HEADER}\n,{GUID},{GUID},{GUID},{GUID2}\n", "name"),
    CsvCase("bad tenant", f"{CSV_HEADER}\nx,{GUID},tenant,{GUID},{GUID2}\n", "tenant_id"),
    CsvCase(
        "duplicate subscription",
        f"{CSV_HEADER}\na,{GUID},{GUID},{GUID},{GUID2}\nb,{GUID},{GUID},{GUID},{GUID2}\n",
        good_rows=1,
    ),
    CsvCase(
        "unknown provisioner",
        f"name,subscription_id,tenant_id,provisioner\nx,{GUID},{GUID},magic\n",
        "provisioner",
    ),
    CsvCase(
        "unknown environment",
        f"name,subscription_id,tenant_id,environment\nx,{GUID},{GUID},mars\n",
        "environment",
    ),
    CsvCase("bad boolean", f"name,subscription_id,tenant_id,monitor_flow_logs\nx,{GUID},{GUID},maybe\n"),
    CsvCase("too many cells", f"{CSV_HEADER}\nx,{GUID},{GUID},{GUID},{GUID2},extra,more\n"),
    CsvCase("unknown account type", f"name,tenant_id,account_type\nx,{GUID},bogus\n", "account_type"),
    CsvCase(
        "existing app without its ids", f"name,subscription_id,tenant_id\nx,{GUID},{GUID}\n", "client_id"
    ),
    CsvCase("a 100 kB name", f"{CSV_HEADER}\n{'n' * 100_000},{GUID},{GUID},{GUID},{GUID2}\n", "name"),
]


@pytest.mark.parametrize("case", CSV_CASES, ids=[c.name for c in CSV_CASES])
def test_csv_rows(case: CsvCase) -> None:
    specs, errors = parse_csv(case.text)
    assert errors, "a bad file must report at least one problem"
    assert len(specs) == case.good_rows
    for error in errors:
        assert error.message.strip() and error.line >= 1
        assert "Traceback" not in str(error)
    if case.field:
        assert case.field in {e.field for e in errors}, [str(e) for e in errors]


FAST = RetryConfig(max_attempts=3, base=0.01, cap=0.02, deadline=None)


@dataclass(frozen=True)
class RetryCase:
    name: str
    answers: list[Answer]
    code: int
    """Exit code the CLI maps the outcome to (0: the call succeeds)."""
    extra: dict[str, Any] = field(default_factory=dict)


OK_LIST = Answer(body=b"[]")
RETRY_CASES = [
    RetryCase("absurd Retry-After is capped", [Answer(503, b"", {"Retry-After": "9" * 40}), OK_LIST], 0),
    RetryCase(
        "Retry-After far-future date",
        [Answer(503, b"", {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}), OK_LIST],
        0,
    ),
    RetryCase("negative Retry-After", [Answer(429, b"", {"Retry-After": "-30"}), OK_LIST], 0),
    RetryCase("garbage Retry-After", [Answer(503, b"", {"Retry-After": "soon\u00e9"}), OK_LIST], 0),
    RetryCase("NaN Retry-After", [Answer(503, b"", {"Retry-After": "nan"}), OK_LIST], 0),
    RetryCase("500 HTML every time", [Answer(500, HTML.body, {"Content-Type": "text/html"})], 1),
    RetryCase("502 empty every time", [Answer(502)], 1),
    RetryCase("429 every time", [Answer(429, b"", {"Retry-After": "1e308"})], 1),
]


@pytest.mark.parametrize("case", RETRY_CASES, ids=[c.name for c in RETRY_CASES])
def test_retried_server_answers(case: RetryCase) -> None:
    retry = RetryConfig(max_attempts=3, base=0.01, cap=0.02, deadline=None, max_retry_after=0.05)
    with stub_server({"/login": [Answer(body=LOGIN_OK)], "/cloud": case.answers}) as url:
        client = Client(api_url=url, access_key_id="k", secret_key="s", retry=retry, rate_limit=False)
        with client:
            try:
                result = client.request("GET", "/cloud")
            except CortexkitError as exc:
                message, code = describe(exc)
                assert code == exit_code_for(exc) == case.code
                assert message.strip() and "Traceback" not in message
            else:
                assert case.code == 0 and result == []


def test_corpus_size(record_figures: Callable[[str, dict[str, Any]], None]) -> None:
    total = len(CLI_CASES) + len(CSV_CASES) + len(RETRY_CASES)
    assert total >= 50
    record_figures(
        "bad_input_corpus",
        {
            "cli_cases": len(CLI_CASES),
            "csv_cases": len(CSV_CASES),
            "server_retry_cases": len(RETRY_CASES),
            "inputs_tried": total,
            "xfail_bugs": sum(1 for c in CLI_CASES if c.xfail),
        },
    )
