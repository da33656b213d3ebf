"""The job store's key sources (env, key file, OS keyring, per-machine file) and rotation (issue 13 §1)."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import Secret, SecretBox, SecretStoreError
from cortexkit.onboarding.store import JobStore
from cortexkit.onboarding.store.schema import job_secrets
from cortexkit.onboarding.store_keys import (
    KEYRING_SERVICE,
    STORE_KEY_ENV,
    STORE_KEY_FILE_ENV,
    StoreKeyError,
    StoreKeys,
    keyring_user,
    resolve_store_keys,
)
from tests.unit.onboarding_fakes import CLIENT, SP, SUB, TENANT

PG_URL = "postgresql+psycopg://ops:hunter2-password@db.example:5432/cortexkit"
K1, K2, K3 = (Fernet.generate_key().decode() for _ in range(3))


class FakeKeyring:
    """A fake of the OS keyring (no Secret Service/Keychain runs here): an in-memory map."""

    def __init__(self, entries: dict[tuple[str, str], str] | None = None, *, broken: bool = False) -> None:
        self.entries = dict(entries or {})
        self.broken = broken
        self.asked: list[tuple[str, str]] = []

    def get_password(self, service: str, user: str) -> str | None:
        self.asked.append((service, user))
        if self.broken:
            raise RuntimeError("the keyring is locked")
        return self.entries.get((service, user))


def spec(name: str) -> JobSpec:
    return JobSpec(
        name=name, subscription_id=SUB, tenant_id=TENANT, client_id=CLIENT, service_principal_id=SP
    )


def _key_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    os.chmod(path, mode)
    return path


# --- the order of the sources ------------------------------------------------------------------------


def test_the_environment_key_wins_over_every_other_source(tmp_path: Path) -> None:
    env = {STORE_KEY_ENV: K1, STORE_KEY_FILE_ENV: str(_key_file(tmp_path / "k", K2))}
    ring = FakeKeyring({(KEYRING_SERVICE, keyring_user(PG_URL)): K3})
    keys = resolve_store_keys(PG_URL, tmp_path / "jobs.key", environ=env, keyring_backend=ring)
    assert keys.keys == (K1.encode(),) and keys.source == STORE_KEY_ENV
    assert ring.asked == [] and not (tmp_path / "jobs.key").exists()


def test_several_environment_keys_are_newest_first(tmp_path: Path) -> None:
    keys = resolve_store_keys(PG_URL, None, environ={STORE_KEY_ENV: f" {K2} , {K1} "}, keyring_backend=None)
    assert keys.keys == (K2.encode(), K1.encode())


def test_the_key_file_comes_second_then_the_keyring(tmp_path: Path) -> None:
    path = _key_file(tmp_path / "team.key", f"{K2}\n{K1}\n")
    ring = FakeKeyring({(KEYRING_SERVICE, keyring_user(PG_URL)): K3})
    keys = resolve_store_keys(PG_URL, None, environ={STORE_KEY_FILE_ENV: str(path)}, keyring_backend=ring)
    assert keys.keys == (K2.encode(), K1.encode())
    assert keys.source == f"{STORE_KEY_FILE_ENV} ({path})" and ring.asked == []

    keys = resolve_store_keys(PG_URL, None, environ={}, keyring_backend=ring)
    assert keys.keys == (K3.encode(),) and "keyring" in keys.source


def test_the_keyring_entry_is_keyed_by_the_url_without_its_password() -> None:
    assert keyring_user(PG_URL) == "postgresql+psycopg://ops@db.example:5432/cortexkit"
    ring = FakeKeyring()
    with pytest.raises(StoreKeyError):
        resolve_store_keys(PG_URL, None, environ={}, keyring_backend=ring)
    assert ring.asked == [(KEYRING_SERVICE, "postgresql+psycopg://ops@db.example:5432/cortexkit")]


def test_a_broken_keyring_is_skipped_silently_for_the_local_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    keys = resolve_store_keys(
        url, tmp_path / "jobs.key", environ={}, keyring_backend=FakeKeyring(broken=True)
    )
    assert keys.source == str(tmp_path / "jobs.key")
    assert stat.S_IMODE((tmp_path / "jobs.key").stat().st_mode) == 0o600
    again = resolve_store_keys(url, tmp_path / "jobs.key", environ={}, keyring_backend=None)
    assert again.keys == keys.keys


def test_a_postgresql_store_without_a_key_source_is_a_clear_error() -> None:
    with pytest.raises(StoreKeyError) as caught:
        resolve_store_keys(PG_URL, None, environ={}, keyring_backend=None)
    message = str(caught.value)
    for way in (STORE_KEY_ENV, STORE_KEY_FILE_ENV, f"keyring set {KEYRING_SERVICE}"):
        assert way in message
    assert "hunter2" not in message


# --- bad keys and unsafe key files ---------------------------------------------------------------------


def test_a_malformed_key_is_named_by_its_source_never_shown() -> None:
    bad = "a-secret-looking-value-that-is-no-key"
    with pytest.raises(StoreKeyError, match=rf"{STORE_KEY_ENV}: key 2 of 2 is not a Fernet key") as caught:
        resolve_store_keys(PG_URL, None, environ={STORE_KEY_ENV: f"{K1},{bad}"}, keyring_backend=None)
    assert bad not in str(caught.value) and K1 not in str(caught.value)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = _key_file(tmp_path / "team.key", K1, 0o640)
    with pytest.raises(StoreKeyError, match="chmod 600") as caught:
        resolve_store_keys(PG_URL, None, environ={STORE_KEY_FILE_ENV: str(path)}, keyring_backend=None)
    assert K1 not in str(caught.value)


def test_a_missing_key_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreKeyError, match="does not exist"):
        resolve_store_keys(PG_URL, None, environ={STORE_KEY_FILE_ENV: str(tmp_path / "nope")})


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_key_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    path = _key_file(tmp_path / "team.key", K1)
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    with pytest.raises(StoreKeyError, match="belongs to another user") as caught:
        resolve_store_keys(PG_URL, None, environ={STORE_KEY_FILE_ENV: str(path)}, keyring_backend=None)
    assert K1 not in str(caught.value)
    # the per-machine file of a SQLite store gets the same check
    with pytest.raises(StoreKeyError, match="belongs to another user"):
        SecretBox(path).encrypt("x")


def test_reprs_name_the_source_never_the_key(tmp_path: Path) -> None:
    keys = StoreKeys((K1.encode(),), STORE_KEY_ENV)
    assert K1 not in repr(keys) and STORE_KEY_ENV in repr(keys)
    box = SecretBox(keys=lambda: keys)
    box.encrypt("x")
    assert K1 not in repr(box) and STORE_KEY_ENV in repr(box)


def test_the_data_dir_is_0700_and_the_database_0600(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    store = JobStore(f"sqlite:///{data / 'jobs.db'}")
    store.create_job(spec("a"), secret="s3cret")
    store.close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("jobs.db", "jobs.key"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


# --- rotation ------------------------------------------------------------------------------------------


def _open(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: str) -> JobStore:
    monkeypatch.setenv(STORE_KEY_ENV, keys)
    return JobStore(url, data_dir=tmp_path)


def _ciphertexts(store: JobStore) -> dict[tuple[str, str], bytes]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(job_secrets.c.job_id, job_secrets.c.name, job_secrets.c.ciphertext)).all()
    return {(r[0], r[1]): bytes(r[2]) for r in rows}


def test_rekey_moves_every_secret_to_the_newest_key(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Encrypt with K1, configure K2,K1, rekey: K2 alone then reads everything, and again is a no-op."""
    old = _open(store_url, tmp_path, monkeypatch, K1)
    jobs = [old.create_job(spec(f"j{i}"), secret=f"secret-{i}") for i in range(3)]
    old.put_secret(jobs[0], "key", "second-secret")
    old.close()

    both = _open(store_url, tmp_path, monkeypatch, f"{K2},{K1}")
    dry = both.rekey(dry_run=True)
    assert (dry.secrets, dry.jobs, dry.reencrypted, dry.dry_run) == (4, 3, 4, True)
    assert dry.source == STORE_KEY_ENV and K2 not in str(dry.as_dict())
    before = _ciphertexts(both)
    assert _ciphertexts(both) == before  # the dry run wrote nothing
    done = both.rekey()
    assert (done.secrets, done.reencrypted, done.current) == (4, 4, 0)
    assert both.rekey().reencrypted == 0  # idempotent
    both.close()

    new = _open(store_url, tmp_path, monkeypatch, K2)
    assert [new.get_secret(j, "client_secret") for j in jobs] == [Secret(f"secret-{i}") for i in range(3)]
    assert new.get_secret(jobs[0], "key") == Secret("second-secret")
    new.close()


def test_rekey_resumes_a_half_done_rotation(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs already under the newest key (a rekey killed half-way, or jobs created since) are left alone."""
    old = _open(store_url, tmp_path, monkeypatch, K1)
    first = old.create_job(spec("old"), secret="old-secret")
    old.close()
    both = _open(store_url, tmp_path, monkeypatch, f"{K2},{K1}")
    second = both.create_job(spec("new"), secret="new-secret")  # written under K2 already
    untouched = _ciphertexts(both)[(second, "client_secret")]
    summary = both.rekey()
    assert (summary.secrets, summary.reencrypted, summary.current) == (2, 1, 1)
    assert _ciphertexts(both)[(second, "client_secret")] == untouched
    both.close()
    new = _open(store_url, tmp_path, monkeypatch, K2)
    assert new.get_secret(first, "client_secret") == Secret("old-secret")
    new.close()


def test_rekey_with_a_wrong_key_writes_nothing(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _open(store_url, tmp_path, monkeypatch, K1)
    jobs = [old.create_job(spec(f"j{i}"), secret=f"secret-{i}") for i in range(2)]
    old.close()
    # The second job's secret under a key nobody configured: the first must not be rewritten either.
    stray = Fernet(K3.encode()).encrypt(b"stray")
    wrong = _open(store_url, tmp_path, monkeypatch, f"{K2},{K1}")
    with wrong.engine.begin() as conn:
        conn.execute(update(job_secrets).where(job_secrets.c.job_id == jobs[1]).values(ciphertext=stray))
    before = _ciphertexts(wrong)
    with pytest.raises(
        SecretStoreError, match=f"cannot be decrypted with the key.s. from {STORE_KEY_ENV}"
    ) as e:
        wrong.rekey()
    assert K1 not in str(e.value) and K2 not in str(e.value)
    assert _ciphertexts(wrong) == before
    wrong.close()


def test_old_keys_still_decrypt_new_secrets_use_the_newest(tmp_path: Path) -> None:
    token = SecretBox(keys=lambda: StoreKeys((K1.encode(),), "old")).encrypt("x")
    box = SecretBox(keys=lambda: StoreKeys((K2.encode(), K1.encode()), "rotated"))
    assert box.decrypt(token) == Secret("x") and not box.is_current(token)
    fresh = box.encrypt("y")
    assert box.is_current(fresh)
    with pytest.raises(SecretStoreError):
        SecretBox(keys=lambda: StoreKeys((K1.encode(),), "old")).decrypt(fresh)
