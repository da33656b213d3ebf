"""The token cache: one encrypted, private session file per (API URL, access key), shared by processes."""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from cryptography.fernet import Fernet

from cortexkit.auth import Token
from cortexkit.session_cache import (
    SharedSession,
    TokenCache,
    TokenCacheError,
    clear_all,
    fingerprint,
)

URL = "https://api.example.test"
KEY = Fernet.generate_key()


def jwt(life: int = 600, iat: int | None = None, marker: str = "a") -> str:
    """A JWT-shaped token (unsigned; the client never verifies) with `iat`/`exp` claims."""
    issued = int(time.time()) if iat is None else iat
    claims = {"iat": issued, "exp": issued + life, "sub": marker}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.c2ln"


def cache(tmp_path: Path, key: bytes = KEY, access_key: str = "key-1") -> TokenCache:
    return TokenCache(URL, access_key, directory=tmp_path, key=lambda _d: key)


def test_round_trip_encrypted_private_and_named_by_a_hash(tmp_path: Path) -> None:
    c = cache(tmp_path)
    token = jwt()
    c.store(token, 1234.5)
    loaded = c.load()
    assert loaded is not None and loaded.value == token and loaded.sent_at == 1234.5
    raw = c.path.read_bytes()
    assert token.encode() not in raw and b"eyJ" not in raw  # never in clear text
    assert oct(c.path.stat().st_mode & 0o777) == "0o600"
    assert "key-1" not in c.path.name
    assert "***" in repr(loaded) and token not in repr(loaded)


def test_keys_and_tenants_do_not_share(tmp_path: Path) -> None:
    cache(tmp_path).store(jwt(), 1.0)
    assert cache(tmp_path, access_key="key-2").load() is None
    assert (
        TokenCache("https://api2.example.test", "key-1", directory=tmp_path, key=lambda _d: KEY).load()
        is None
    )


def test_corrupt_file_is_an_error_the_session_survives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = cache(tmp_path)
    c.path.write_bytes(Fernet(KEY).encrypt(b"not json"))
    with pytest.raises(TokenCacheError):
        c.load()
    shared = SharedSession(c, time.monotonic)
    with caplog.at_level(logging.WARNING, logger="cortexkit"):
        assert shared.candidate(None) is None
        assert shared.candidate(None) is None
    assert len([r for r in caplog.records if "token cache is unusable" in r.getMessage()]) == 1


def test_a_cache_encrypted_with_another_key_is_forgotten(tmp_path: Path) -> None:
    cache(tmp_path, key=Fernet.generate_key()).store(jwt(), 1.0)
    c = cache(tmp_path)
    assert c.load() is None
    assert not c.path.exists()


def test_adopts_a_newer_usable_token_and_only_that(tmp_path: Path) -> None:
    c = cache(tmp_path)
    shared = SharedSession(c, time.monotonic)
    assert shared.candidate(None) is None  # nothing cached: log in yourself
    fresh = jwt(marker="fresh")
    shared.remember(fresh, time.monotonic())
    found = shared.candidate(None)
    assert found is not None and found[0] == fresh
    current = Token.received(fresh, found[1])
    assert shared.candidate(current) is None  # the same token: refresh yourself
    c.store(jwt(life=600, iat=int(time.time()) - 3600, marker="old"), time.time() - 3600)
    assert shared.candidate(None) is None  # expired: not adopted


def test_a_refused_token_is_dropped_not_adopted(tmp_path: Path) -> None:
    c = cache(tmp_path)
    shared = SharedSession(c, time.monotonic)
    token = jwt(marker="refused")
    shared.remember(token, time.monotonic())
    shared.refused_token(Token.received(token, time.monotonic()))
    assert fingerprint(token) in shared.refused
    assert shared.candidate(None) is None
    assert not c.path.exists()  # the process holding the lock dropped it, and will log in


def test_wall_and_local_clocks_round_trip(tmp_path: Path) -> None:
    shared = SharedSession(cache(tmp_path), clock=lambda: 100.0, wall=lambda: 1_000_000.0)
    assert shared.to_local(shared.to_wall(90.0)) == pytest.approx(90.0)
    assert shared.to_wall(90.0) == pytest.approx(999_990.0)


def test_clear_and_clear_all(tmp_path: Path) -> None:
    a, b = cache(tmp_path), cache(tmp_path, access_key="key-2")
    a.store(jwt(), 1.0)
    b.store(jwt(), 1.0)
    assert a.clear() is True and a.clear() is False
    assert clear_all(tmp_path) == 1
    assert list(tmp_path.glob("session-*.bin")) == []


def test_unusable_directory_fails_open(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "blocked").write_text("")  # a file where the cache dir should be: fails even for root
    shared = SharedSession(cache(tmp_path / "blocked"), time.monotonic)
    with caplog.at_level(logging.WARNING, logger="cortexkit"):
        fd = shared.acquire()
        shared.remember(jwt(), time.monotonic())
        assert shared.candidate(None) is None
        shared.release(fd)
    assert fd is None
    assert len([r for r in caplog.records if "token cache is unusable" in r.getMessage()]) == 1


def test_default_key_lives_in_a_private_file_without_a_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no usable OS keyring (keyrings.alt and the fail backend do not count) the Fernet key is a
    0600 file in the config dir, and a second cache object reads the first one's token."""
    monkeypatch.setenv("CORTEXKIT_CONFIG_DIR", str(tmp_path / "config"))
    # keyring picks its backend once a process (PYTHON_KEYRING_BACKEND is read only then), and an earlier
    # test in this worker may have installed a usable one: replace the lookup itself.
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    from cortexkit import session_cache

    monkeypatch.setattr(session_cache, "_KEYS", session_cache._Keys())
    c = TokenCache(URL, "key-1", directory=tmp_path / "cache")
    token = jwt(marker="k")
    c.store(token, 1.0)
    key_file = tmp_path / "config" / "token-cache.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(session_cache, "_KEYS", session_cache._Keys())  # a new process, in effect
    loaded = TokenCache(URL, "key-1", directory=tmp_path / "cache").load()
    assert loaded is not None and loaded.value == token


def _hold(directory: str, ready: str) -> None:
    c = TokenCache(URL, "key-1", directory=Path(directory), key=lambda _d: KEY)
    c.acquire()
    Path(ready).write_text("held")
    time.sleep(600)


def test_a_killed_lock_holder_releases_the_refresh_lock(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = tmp_path / "ready"
    holder = ctx.Process(target=_hold, args=(str(tmp_path), str(ready)))
    holder.start()
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.01)
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    killed = time.monotonic()
    with cache(tmp_path).locked():
        assert time.monotonic() - killed < 1.0
    holder.join(timeout=5)


def _key_of(config: str, out: str) -> None:
    os.environ["CORTEXKIT_CONFIG_DIR"] = config
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    from cortexkit.session_cache import _load_key

    Path(out).write_bytes(_load_key(Path(config)))


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """Eight processes with no key yet: one creates it, the others read that one (not eight keys, each
    making the others' cached token unreadable)."""
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_key_of, args=(str(tmp_path / "config"), str(tmp_path / f"key{i}")))
        for i in range(8)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    keys = {(tmp_path / f"key{i}").read_bytes() for i in range(8)}
    assert len(keys) == 1
    assert keys == {(tmp_path / "config" / "token-cache.key").read_bytes()}
    assert oct((tmp_path / "config" / "token-cache.key").stat().st_mode & 0o777) == "0o600"


def test_a_token_is_only_adopted_with_the_secret_that_logged_in(tmp_path: Path) -> None:
    """The same key id with another (wrong or rotated) secret must log in itself: a cached session is
    no proof that this secret works."""
    c = cache(tmp_path)
    SharedSession(c, time.monotonic, secret="right").remember(jwt(), time.monotonic())
    assert SharedSession(c, time.monotonic, secret="wrong").candidate(None) is None
    assert SharedSession(c, time.monotonic, secret="right").candidate(None) is not None
    assert c.path.exists()  # not dropped: it is still good for whoever has the right secret
    assert b"right" not in c.path.read_bytes()
