"""session_loader against the emulator over HTTP: the seed article's script, unchanged but for the import."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexkit import session_loader
from cortexkit._redact import Secret
from cortexkit.emulator.server import RunningEmulator
from cortexkit.errors import APIError


def write_tenant_file(path: Path, running: RunningEmulator, name: str = "emulator") -> Path:
    path.write_text(
        f"{name}:\n"
        f"  access_key: {running.access_key_id}\n"
        f"  secret_key: {running.secret_key}\n"
        f"  api_url: {running.url}\n"
        "  verify: 'true'\n"
    )
    path.chmod(0o600)
    return path


def test_seed_article_script(emulator: RunningEmulator, tmp_path: Path) -> None:
    path = write_tenant_file(tmp_path / "tenant_credentials.yml", emulator)
    session_manager = session_loader.load_from_file(file_path=str(path))
    try:
        cspm_session = session_manager.create_cspm_session()
        cwp_session = session_manager.create_cwp_session()
        response = cspm_session.request("GET", "/cloud")
        assert response.status_code == 200
        accounts = response.json()
        assert isinstance(accounts, list) and accounts and "name" in accounts[0]
        version = cwp_session.request("GET", "/api/v1/version")
        assert version.status_code == 200 and version.text
        images = cwp_session.request("GET", "/images", params={"limit": 2})
        assert images.status_code == 200 and len(images.json()) <= 2
        assert session_manager.client.stats.logins == 1  # one session shared by both
    finally:
        session_manager.close()


def test_alert_pages_the_pcpi_way(emulator: RunningEmulator, tmp_path: Path) -> None:
    manager = session_loader.load_from_file(file_path=write_tenant_file(tmp_path / "t.yml", emulator))
    with manager:
        session = manager.create_cspm_session()
        base = {"timeRange": {"type": "relative", "value": {"amount": 24, "unit": "hour"}}, "limit": 50}
        body, seen, pages = dict(base), 0, 0
        while pages < 3:
            data = session.request("POST", "/v2/alert", json=body).json()
            seen += len(data.get("items", []))
            pages += 1
            if not data.get("nextPageToken"):
                break
            body = {**base, "pageToken": data["nextPageToken"]}
        assert seen > 0


def test_error_statuses_come_back_as_responses(emulator: RunningEmulator, tmp_path: Path) -> None:
    manager = session_loader.load_from_file(file_path=write_tenant_file(tmp_path / "t.yml", emulator))
    with manager:
        response = manager.create_cspm_session().request("GET", "/cloud/azure/not-an-account")
        assert response.status_code >= 400 and not response.ok
        assert response.headers.get("x-redlock-status")
        with pytest.raises(APIError) as info:
            response.raise_for_status()
        assert info.value.status == response.status_code


def test_wrong_secret_fails_at_session_creation(emulator: RunningEmulator, tmp_path: Path) -> None:
    from cortexkit.errors import AuthenticationError

    path = tmp_path / "t.yml"
    path.write_text(
        f"bad:\n  access_key: {emulator.access_key_id}\n  secret_key: not-the-secret\n"
        f"  api_url: {emulator.url}\n"
    )
    path.chmod(0o600)
    with session_loader.load_from_file(file_path=path) as manager, pytest.raises(AuthenticationError) as info:
        manager.create_cspm_session()
    assert "not-the-secret" not in str(info.value) and "not-the-secret" not in repr(info.value)


def test_load_from_env(emulator_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PC_TENANT_API", "PC_TENANT_A_KEY", "PC_TENANT_S_KEY"):
        monkeypatch.delenv(name, raising=False)
    with session_loader.load_from_env() as manager:
        assert manager.create_cspm_session().request("GET", "/cloud").ok


def test_saved_profile_drives_a_client(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`profile add` (file storage, 0600) -> CORTEXKIT_PROFILE -> Client: the whole credentials path."""
    from cortexkit.client import Client
    from cortexkit.credentials import Credentials, ProfileStore

    for name in ("PRISMA_API_URL", "PRISMA_ACCESS_KEY_ID", "PRISMA_SECRET_KEY", "PC_URL", "PRISMA_PCPI_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CORTEXKIT_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("CORTEXKIT_PROFILE", "emu")
    store = ProfileStore()
    creds = Credentials(emulator.url, emulator.access_key_id, Secret(emulator.secret_key))
    store.add("emu", creds, insecure_storage=True)
    assert (tmp_path / "credentials.yml").stat().st_mode & 0o777 == 0o600
    with Client() as client:
        assert isinstance(client.request("GET", "/cloud"), list)
        assert client.stats.logins == 1
