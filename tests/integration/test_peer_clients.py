"""Community clients, unmodified, against the emulator: pcpi 1.0.1 and prismacloud-api 5.3.0.

Both run in one virtualenv under the user's cache dir (built once, reused across runs; keyed on the versions
and the Python: tests/integration/peer_support.py) and talk to an emulator on loopback, set up as
reference/peers.md section 2 describes. The keys reach the scripts through the environment, never argv.
Skipped, with the reason, only when the package registry cannot be reached.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.peer_support import peer_venv, run_peer
from tests.integration.routes_support import logged_in

# One worker builds the venv (first run: minutes of pip) while the other goes on with the rest; the
# timeout covers that first build.
pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.xdist_group("peer-pcpi-prismacloud-api"),
    pytest.mark.timeout(900),
]

PEERS = {"pcpi": "1.0.1", "prismacloud-api": "5.3.0"}
# prismacloud-api 5.3.0 declares no dependencies; these are the ones it imports.
EXTRA = ("requests", "update-checker")


@pytest.fixture(scope="session")
def peer_python() -> Path:
    """A venv with both peers installed from the registry (kept between runs)."""
    return peer_venv("pcpi-prismacloud-api", [f"{n}=={v}" for n, v in PEERS.items()] + list(EXTRA))


def _run(python: Path, script: str, running: RunningEmulator, cwd: Path) -> dict[str, object]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "EMU_URL": running.url,
        "EMU_KEY": running.access_key_id,
        "EMU_SECRET": running.secret_key,
        "EMU_CA": str(running.ca_file or ""),
    }
    out = run_peer(python, ["-c", textwrap.dedent(script)], env, cwd=cwd)
    parsed: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return parsed


PCPI_SCRIPT = """
    import json, logging, os
    from pcpi import saas_session_manager
    log = logging.getLogger("peer"); log.setLevel(logging.WARNING)
    mgr = saas_session_manager.SaaSSessionManager(
        "local", os.environ["EMU_KEY"], os.environ["EMU_SECRET"], os.environ["EMU_URL"],
        verify=False, logger=log)
    s = mgr.create_cspm_session()
    accounts = s.request("GET", "/cloud").json()
    base = {"timeRange": {"type": "relative", "value": {"amount": 90, "unit": "day"}}, "limit": 400,
            "filters": [{"name": "alert.status", "operator": "=", "value": "open"}]}
    ids, body, total = [], dict(base), None
    while True:
        d = s.request("POST", "/v2/alert", json=body).json()
        total = d["totalRows"]
        ids += [a["id"] for a in d["items"]]
        statuses = {a["status"] for a in d["items"]}
        assert statuses <= {"open"}, statuses
        if not d.get("nextPageToken"):
            break
        body = {**base, "pageToken": d["nextPageToken"]}
    # The Compute session finds the console through GET /meta_info, then authenticates there.
    cwp = mgr.create_cwp_session()
    images = cwp.request("GET", "/api/v1/images", params={"limit": 50, "offset": 0})
    out = {"accounts": len(accounts), "alerts": len(ids), "unique": len(set(ids)), "total": total,
           "images": len(images.json()), "images_total": images.headers.get("Total-Count")}
    print(json.dumps(out))
"""

PRISMACLOUD_API_SCRIPT = """
    import json, os
    from urllib.parse import urlsplit
    from prismacloud.api import pc_api
    pc_api.configure({"url": "", "identity": os.environ["EMU_KEY"], "secret": os.environ["EMU_SECRET"],
                      "verify": os.environ["EMU_CA"]}, use_meta_info=False)
    pc_api.api = urlsplit(os.environ["EMU_URL"]).netloc
    accounts = pc_api.cloud_accounts_list_read()
    # Later pages send only {"pageToken": ...}: the emulator keeps the filters and limit in the token.
    alerts = pc_api.alert_v2_list_read(body_params={
        "timeRange": {"type": "relative", "value": {"amount": 90, "unit": "day"}}, "limit": 300,
        "filters": [{"name": "policy.severity", "operator": "=", "value": "high"}]})
    severities = sorted({a["policy"]["severity"] for a in alerts})
    pc_api.api_compute = pc_api.api + "/compute"
    images = pc_api.images_list_read()
    unique = len({a["id"] for a in alerts})
    print(json.dumps({"accounts": len(accounts), "alerts": len(alerts), "unique": unique,
                      "severities": severities, "images": len(images)}))
"""


def _expected_total(running: RunningEmulator, body: dict[str, object]) -> int:
    """What the emulator itself reports for the same filters, read with our own plain client."""
    client = logged_in(running)
    try:
        return int(client.post("/v2/alert", json={**body, "limit": 1}).json()["totalRows"])
    finally:
        client.close()


def test_pcpi_logs_in_lists_accounts_pages_alerts_and_reaches_compute(
    peer_python: Path, make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    running = make_emulator()
    out = _run(peer_python, PCPI_SCRIPT, running, tmp_path)
    expected = _expected_total(
        running, {"filters": [{"name": "alert.status", "operator": "=", "value": "open"}]}
    )
    assert out["accounts"] == 12
    assert out["alerts"] == out["unique"] == out["total"] == expected
    assert isinstance(out["alerts"], int) and out["alerts"] > 400
    assert (out["images"], out["images_total"]) == (50, "137")


def test_prismacloud_api_over_tls_pages_alerts_sending_only_the_token(
    peer_python: Path, make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    running = make_emulator(tls=True)
    assert running.url.startswith("https://")
    out = _run(peer_python, PRISMACLOUD_API_SCRIPT, running, tmp_path)
    expected = _expected_total(
        running, {"filters": [{"name": "policy.severity", "operator": "=", "value": "high"}]}
    )
    assert out["accounts"] == 12
    assert out["alerts"] == out["unique"] == expected > 300
    assert out["severities"] == ["high"]
    assert out["images"] == 137
