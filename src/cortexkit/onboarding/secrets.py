"""Encryption at rest for Azure client secrets held by onboarding jobs.

A job must survive a crash and resume without asking for its secret again, so the secret is kept, but
only as Fernet ciphertext (AES-128-CBC + HMAC-SHA256). The key lives in a 0600 file next to the job
database rather than in the OS keyring: the engine runs headless (CI, containers, the web UI's worker
threads) where a keyring is often absent or prompts, and one key file per data dir keeps a copied
database useless without its key. A key file that others can read is refused, like ssh refuses one.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from cortexkit._redact import Secret
from cortexkit.errors import CortexkitError
from cortexkit.private_files import check_private

KEY_FILE_NAME = "jobs.key"

__all__ = ["KEY_FILE_NAME", "Secret", "SecretBox", "SecretStoreError"]


class SecretStoreError(CortexkitError):
    """The key file is unsafe or the ciphertext cannot be read with it."""


class SecretBox:
    """Encrypts and decrypts with the key in `key_path`, creating it (0600) on first use."""

    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path
        self._fernet: Fernet | None = None

    def _load(self) -> Fernet:
        if self._fernet is None:
            self._fernet = Fernet(self._read_or_create_key())
        return self._fernet

    def _read_or_create_key(self) -> bytes:
        path = self.key_path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            check_private(path, SecretStoreError)
            return path.read_bytes().strip()
        key = Fernet.generate_key()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def encrypt(self, secret: Secret | str) -> bytes:
        """Fernet ciphertext of the secret, for the job store."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        return self._load().encrypt(value.encode())

    def decrypt(self, token: bytes) -> Secret:
        """The secret back, wrapped; `SecretStoreError` when this key cannot read it."""
        try:
            return Secret(self._load().decrypt(token).decode())
        except InvalidToken:
            raise SecretStoreError(
                f"a stored secret cannot be decrypted with {self.key_path} (was the key file replaced?)"
            ) from None
