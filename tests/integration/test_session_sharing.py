"""The CLI's shared session: consecutive `cortexkit` processes on one key log in once (token cache),
`auth logout` forgets it, and a refused or damaged cache never stops a command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, run_cli

pytest.importorskip("cryptography")


def session_env(running: RunningEmulator, tmp: Path) -> dict[str, str]:
    return cli_env(
        tmp / "config",
        **running.client_env(),
        CORTEXKIT_CACHE_DIR=str(tmp / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # the key goes to a 0600 file
    )


def logins(running: RunningEmulator) -> int:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return int(stats["requests"].get("POST /login", {}).get("200", 0))


def test_consecutive_commands_log_in_once_and_logout_forgets(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    running = make_emulator()
    env = session_env(running, tmp_path)
    for _ in range(3):  # one login, then two processes that reuse its cached session
        done = run_cli(["api", "GET", "/cloud"], env)
        assert done.returncode == 0, done.stderr
    assert logins(running) == 1
    sessions = list((tmp_path / "cache").glob("session-*.bin"))
    assert len(sessions) == 1
    assert b"eyJ" not in sessions[0].read_bytes()  # encrypted: no JWT in clear text
    assert oct(sessions[0].stat().st_mode & 0o777) == "0o600"

    done = run_cli(["auth", "logout"], env)
    assert done.returncode == 0, done.stderr
    assert "logged out of" in done.stderr and running.secret_key not in done.stderr
    assert not sessions[0].exists()
    assert run_cli(["api", "GET", "/cloud"], env).returncode == 0
    assert logins(running) == 2

    done = run_cli(["auth", "logout", "--all"], env)
    assert done.returncode == 0 and "removed 1 cached session" in done.stderr


def test_a_corrupt_cache_warns_and_the_command_still_works(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    running = make_emulator()
    env = session_env(running, tmp_path)
    assert run_cli(["api", "GET", "/cloud"], env).returncode == 0
    (session,) = (tmp_path / "cache").glob("session-*.bin")
    session.write_bytes(b"garbage, not a Fernet token")
    done = run_cli(["api", "GET", "/cloud"], env)
    assert done.returncode == 0, done.stderr
    assert logins(running) == 2  # it logged in on its own


def test_a_token_the_server_refuses_is_dropped_and_one_login_replaces_it(
    make_emulator: Callable[..., RunningEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached token the server no longer accepts (here, one it never issued): the command sees a 401,
    drops it, logs in once and succeeds; the next command reuses the new one."""
    import base64
    import json
    import time

    from cortexkit import session_cache
    from cortexkit.session_cache import TokenCache

    running = make_emulator()
    env = session_env(running, tmp_path)
    assert run_cli(["api", "GET", "/cloud"], env).returncode == 0
    for name in ("CORTEXKIT_CONFIG_DIR", "CORTEXKIT_CACHE_DIR", "PYTHON_KEYRING_BACKEND"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setattr(session_cache, "_KEYS", session_cache._Keys())
    now = int(time.time())
    claims = base64.urlsafe_b64encode(json.dumps({"iat": now, "exp": now + 600}).encode()).decode()
    forged = "eyJhbGciOiJIUzI1NiJ9." + claims.rstrip("=") + ".Zm9yZ2Vk"
    TokenCache(running.url, running.access_key_id).store(forged, time.time())

    done = run_cli(["api", "GET", "/cloud"], env)
    assert done.returncode == 0, done.stderr
    assert logins(running) == 2
    assert run_cli(["api", "GET", "/cloud"], env).returncode == 0
    assert logins(running) == 2
