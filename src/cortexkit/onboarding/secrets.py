"""Encryption at rest for Azure client secrets held by onboarding jobs.

A job must survive a crash and resume without asking for its secret again, so the secret is kept, but
only as Fernet ciphertext (AES-128-CBC + HMAC-SHA256). Where the key comes from is `store_keys`'s job
(the environment, a key file, the OS keyring, or a 0600 `jobs.key` beside a SQLite store). Several keys
may be given, newest first (MultiFernet): new secrets are encrypted with the newest, and the older ones
still decrypt what they wrote until `cortexkit onboard rekey` has re-encrypted it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cortexkit._redact import Secret
from cortexkit.onboarding.store_keys import (
    KEY_FILE_NAME,
    KeyResolver,
    SecretStoreError,
    StoreKeys,
    local_key_file,
)

__all__ = ["KEY_FILE_NAME", "Secret", "SecretBox", "SecretStoreError"]


class SecretBox:
    """Encrypts with the newest key and decrypts with any; the keys are resolved on first use, so a store
    that never touches a secret (listing jobs) needs no key.

    `SecretBox(path)` uses the key file at `path` alone (created 0600 on first use); `SecretBox(keys=...)`
    asks a resolver, such as the job store's ordered key sources.
    """

    def __init__(self, key_path: Path | None = None, *, keys: KeyResolver | None = None) -> None:
        if keys is None:
            if key_path is None:
                raise TypeError("SecretBox needs a key file path or a key resolver")
            path = key_path

            def keys() -> StoreKeys:
                return local_key_file(path)

        self.key_path = key_path
        self._resolve = keys
        self._lock = threading.Lock()
        self._keys: StoreKeys | None = None
        self._fernet: MultiFernet | None = None

    def __repr__(self) -> str:
        return f"SecretBox(source={self._keys.source if self._keys else 'not yet resolved'!r})"

    def _load(self) -> MultiFernet:
        with self._lock:
            if self._fernet is None:
                self._keys = self._resolve()
                self._fernet = MultiFernet([Fernet(k) for k in self._keys.keys])
            return self._fernet

    def load(self) -> None:
        """Resolve the keys now (`StoreKeyError` when no source has one), before work that will need them."""
        self._load()

    @property
    def source(self) -> str:
        """Where the keys came from (never the keys): for messages and `rekey`'s summary."""
        self._load()
        assert self._keys is not None
        return self._keys.source

    @property
    def key_count(self) -> int:
        self._load()
        assert self._keys is not None
        return len(self._keys.keys)

    def encrypt(self, secret: Secret | str) -> bytes:
        """Fernet ciphertext of the secret under the newest key, for the job store."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        return self._load().encrypt(value.encode())

    def decrypt(self, token: bytes) -> Secret:
        """The secret back, wrapped; `SecretStoreError` when none of the keys can read it."""
        try:
            return Secret(self._load().decrypt(token).decode())
        except InvalidToken:
            raise SecretStoreError(self._unreadable()) from None

    def is_current(self, token: bytes) -> bool:
        """Whether the newest key encrypted this token (nothing for `rekey` to do)."""
        self._load()
        assert self._keys is not None
        try:
            Fernet(self._keys.keys[0]).decrypt(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """The token re-encrypted under the newest key; `SecretStoreError` when no key can read it."""
        try:
            return self._load().rotate(token)
        except InvalidToken:
            raise SecretStoreError(self._unreadable()) from None

    def _unreadable(self) -> str:
        return (
            f"a stored secret cannot be decrypted with the key(s) from {self.source}; give the key it "
            "was written with (a rotated-out key goes after the new one, comma-separated)"
        )
