"""prismacloud-cli 0.8.11 and the prismacloud-api 5.2.24 it pins, unmodified, against the emulator over TLS.

The CLI runs in its own virtualenv (it pins an older prismacloud-api than test_peer_clients.py's venv),
built once per machine under the user's cache dir and reused (tests/integration/peer_support.py).
prismacloud-cli takes any URL not ending in `.prismacloud.io` for a Compute console, so a two-line wrapper
sets `pc_api.api` to the emulator's host:port before the CLI starts (reference/peers.md section 2); nothing
of the CLI is changed. Each command's exit code, output and the emulator routes it called are checked: this
is the list of calls that run (docs/emulator.md, "Peers").
"""

from __future__ import annotations

import json
import os
import ssl
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator, run_emulator
from tests.conftest import SHARED_EMULATOR_CONFIG
from tests.integration.peer_support import peer_venv, run_peer

# One worker builds the venv (first run: minutes of pip) while the other goes on with the rest; the
# timeout covers that first build.
pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.xdist_group("peer-prismacloud-cli"),
    pytest.mark.timeout(900),
]

CLI_VERSION = "0.8.11"
WRAPPER = """
import os
import ssl
import prismacloud.cli.api as api
api.pc_api.api = os.environ["EMU_HOSTPORT"]
from prismacloud.cli import cli
cli(prog_name="pc")
"""
API_SCRIPT = """
import json, os, time
from prismacloud.api import pc_api
pc_api.configure({"url": "", "identity": os.environ["EMU_KEY"], "secret": os.environ["EMU_SECRET"],
                  "verify": os.environ["EMU_CA"]}, use_meta_info=False)
pc_api.api = os.environ["EMU_HOSTPORT"]
epoch = {"type": "to_now", "value": "epoch"}
out = {}
job = pc_api.alert_csv_create({"filters": [{"name": "alert.status", "operator": "=", "value": "open"}],
                               "timeRange": epoch})
while pc_api.alert_csv_status(job["id"])["status"] != "READY_TO_DOWNLOAD":
    time.sleep(0.5)
text = pc_api.alert_csv_download(job["id"])
out["csv_header"] = text.splitlines()[0]
out["csv_rows"] = len(text.strip().splitlines()) - 1
out["csv_records"] = job["recordCount"]
std = [s for s in pc_api.compliance_standard_list_read() if s["name"] == "CIS v1.5.0 (AWS)"][0]
cis = pc_api.compliance_report_create({"cloudType": "aws", "name": "cis",
    "target": {"timeRange": epoch, "complianceStandardIds": [std["id"]]}})
out["cis_counts"] = cis["counts"]
inventory = pc_api.compliance_report_create({"cloudType": "aws", "name": "inventory",
    "type": "INVENTORY_DETAIL", "target": {"timeRange": epoch, "compressionEnabled": True}})
while (data := pc_api.compliance_report_download(inventory["id"])) is None:
    time.sleep(0.5)
out["gzip_magic"] = data[:2].hex()
out["reports"] = sorted(r["name"] for r in pc_api.compliance_report_list_read())
pc_api.compliance_report_delete(inventory["id"])
out["reports_after_delete"] = sorted(r["name"] for r in pc_api.compliance_report_list_read())
print(json.dumps(out))
"""


@pytest.fixture(scope="session")
def cli_python() -> Path:
    return peer_venv("prismacloud-cli", [f"prismacloud-cli=={CLI_VERSION}"])


Setup = tuple[Path, RunningEmulator, dict[str, str], httpx.Client]


@pytest.fixture(scope="module")
def setup(cli_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with run_emulator(**{**SHARED_EMULATOR_CONFIG, "tls": True, "alerts": 2000}) as running:
        home = tmp_path_factory.mktemp("pc-home")
        config = home / ".prismacloud"
        config.mkdir()
        (config / ".community_supported_accepted").write_text("Yes")
        hostport = urlsplit(running.url).netloc
        settings = {"url": hostport, "identity": running.access_key_id, "secret": running.secret_key}
        (config / "credentials.json").write_text(json.dumps({**settings, "verify": str(running.ca_file)}))
        (home / "pc_local.py").write_text(WRAPPER)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "EMU_HOSTPORT": hostport,
            "EMU_KEY": running.access_key_id,
            "EMU_SECRET": running.secret_key,
            "EMU_CA": str(running.ca_file),
        }
        verify = ssl.create_default_context(cafile=str(running.ca_file))
        with httpx.Client(base_url=running.url, verify=verify) as control:
            yield cli_python, running, env, control


def _calls(control: httpx.Client, before: dict[str, dict[str, int]]) -> dict[str, int]:
    """Requests by `METHOD /template status` since `before`."""
    after: dict[str, dict[str, int]] = control.get("/_emulator/stats").json()["requests"]
    return {
        f"{route} {status}": n - before.get(route, {}).get(status, 0)
        for route, statuses in after.items()
        for status, n in statuses.items()
        if n - before.get(route, {}).get(status, 0)
    }


def _pc(setup: Setup, *args: str) -> tuple[Any, dict[str, int]]:
    python, _, env, control = setup
    before = control.get("/_emulator/stats").json()["requests"]
    out = run_peer(python, [str(Path(env["HOME"]) / "pc_local.py"), "-o", "json", *args], env)
    return json.loads(out), _calls(control, before)


@pytest.mark.parametrize(
    ("args", "routes"),
    [
        (("cloud", "list"), {"GET /cloud 200"}),
        (("cloud", "names"), {"GET /cloud/name 200"}),
        (("alert", "list", "--amount", "30"), {"GET /alert 200", "GET /policy 200"}),
        (("alert", "list", "--status", "dismissed", "--amount", "90"), {"GET /alert 200", "GET /policy 200"}),
        (("policy", "list"), {"GET /policy 200"}),
        (("inventory", "list"), {"GET /v3/inventory 200"}),
        (
            ("rql", "--query", "config from cloud.resource where cloud.type = 'aws'"),
            {"POST /search/config 200"},
        ),
        (
            ("resource", "list", "--type", "aws", "--status", "failed", "--tf_file", ""),
            {"POST /resource/scan_info 200"},
        ),
        (
            (
                "compliance",
                "export",
                "--compliance-standard",
                "CIS v1.5.0 (AWS)",
                "--account-group",
                "Default Account Group",
            ),
            {
                "GET /compliance 200",
                "GET /compliance/{compliance_id}/requirement 200",
                "GET /compliance/{requirement_id}/section 200",
                "POST /resource/scan_info 200",
            },
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_pc_commands_run(setup: Setup, args: tuple[str, ...], routes: set[str]) -> None:
    output, calls = _pc(setup, *args)
    assert isinstance(output, list) and output, output
    assert set(calls) == routes | {"POST /login 200"}, calls
    if args[0] == "compliance":
        assert {row["status"] for row in output} <= {"passed", "failed"}
        assert {row["standard_name"] for row in output} == {"CIS v1.5.0 (AWS)"}
    if args[:2] == ("alert", "list"):
        wanted = "dismissed" if "dismissed" in args else "open"
        assert {a["status"] for a in output} == {wanted}


def test_prismacloud_api_exports_alerts_and_compliance_reports(
    setup: Setup,
) -> None:
    python, _, env, _ = setup
    out = json.loads(run_peer(python, ["-c", textwrap.dedent(API_SCRIPT)], env).strip().splitlines()[-1])
    assert out["csv_header"].startswith("Alert ID,Status,Alert Time,Policy Name")
    assert out["csv_rows"] == out["csv_records"] > 0
    assert out["cis_counts"]["total"] == out["cis_counts"]["failed"] + out["cis_counts"]["passed"] > 0
    assert out["gzip_magic"] == "1f8b"
    assert out["reports"] == ["cis", "inventory"]
    assert out["reports_after_delete"] == ["cis"]
