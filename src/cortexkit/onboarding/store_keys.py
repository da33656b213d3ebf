"""Where the job store's Fernet keys come from, in a fixed order (the first source that gives a key wins):

1. `CORTEXKIT_STORE_KEY`: one key, or several comma-separated, newest first (a team's secret manager
   injects it into every host, UI replica and worker alike);
2. `CORTEXKIT_STORE_KEY_FILE`: a file holding the same (comma- or line-separated), 0600 and owned by the
   user running cortexkit;
3. the OS keyring: service `cortexkit-store`, user the store URL without its password; skipped silently
   when no usable keyring backend exists (headless hosts, containers);
4. for a SQLite store only: `jobs.key` beside the database, created 0600 on first use.

A PostgreSQL store with none of the first three is refused: a key file made on one machine would leave the
secrets unreadable on every other host of the team. The keys themselves never appear in a message or repr;
errors name the SOURCE only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography.fernet import Fernet

from cortexkit.errors import ConfigurationError, CortexkitError
from cortexkit.private_files import check_private, create_exclusive

STORE_KEY_ENV: Final = "CORTEXKIT_STORE_KEY"
STORE_KEY_FILE_ENV: Final = "CORTEXKIT_STORE_KEY_FILE"
KEYRING_SERVICE: Final = "cortexkit-store"
KEY_FILE_NAME: Final = "jobs.key"

log = logging.getLogger(__name__)

GENERATE_HINT: Final = (
    "generate one with `python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'`"
)


class SecretStoreError(CortexkitError):
    """The stored secrets cannot be read with the configured keys."""


class StoreKeyError(SecretStoreError, ConfigurationError):
    """No usable key source: missing for a shared store, a malformed key, or an unsafe key file."""


@dataclass(frozen=True)
class StoreKeys:
    """The Fernet keys to use, newest first, and the name of the source they came from."""

    keys: tuple[bytes, ...] = field(repr=False)
    source: str

    def __repr__(self) -> str:  # the keys never, even in a debugger or a log of locals
        return f"StoreKeys(source={self.source!r}, keys={len(self.keys)})"


def keyring_user(url: str) -> str:
    """The keyring entry's user name for a store: its URL without the password."""
    from sqlalchemy.engine import URL, make_url

    try:
        parsed = make_url(url)
        bare = URL.create(
            parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
        )
        return bare.render_as_string(hide_password=False)
    except Exception:  # not a URL SQLAlchemy reads: keep only what follows any credentials
        return url.rsplit("@", 1)[-1]


def parse_keys(text: str, source: str) -> tuple[bytes, ...]:
    """Comma- or line-separated Fernet keys, newest first; `StoreKeyError` naming the source (never the
    text) when one is not a Fernet key."""
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    if not parts:
        raise StoreKeyError(f"{source} holds no key; {GENERATE_HINT}")
    keys = tuple(p.encode() for p in parts)
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            which = f"key {number} of {len(keys)}" if len(keys) > 1 else "its key"
            raise StoreKeyError(
                f"{source}: {which} is not a Fernet key (44 URL-safe base64 characters); {GENERATE_HINT}"
            ) from None
    return keys


def check_owner(path: Path, error: type[Exception]) -> None:
    """Raise `error` when `path` belongs to another user (POSIX): its owner could swap the key."""
    if os.name != "posix":
        return
    owner = path.stat().st_uid
    if owner != os.geteuid():
        raise error(
            f"{path} belongs to another user (uid {owner}); the key file must be yours: "
            f"copy it to a file you own with `install -m 600 {path} <new path>` and point to that"
        )


def read_key_file(path: Path, source: str) -> tuple[bytes, ...]:
    """The keys of a key file that only its owner, the current user, can read."""
    try:
        check_owner(path, StoreKeyError)
        check_private(path, StoreKeyError)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreKeyError(
            f"{source}: {path} does not exist; create it (mode 600) or fix the path"
        ) from None
    except UnicodeDecodeError:
        raise StoreKeyError(f"{source}: {path} is not a text file of Fernet keys") from None
    except OSError as exc:
        raise StoreKeyError(f"{source}: cannot read {path} ({exc.strerror})") from None
    return parse_keys(text, source)


def _default_keyring() -> Any:
    """The usable OS keyring or None, through the probe the token cache shares: where there is none, the
    answer is remembered for a day instead of costing every command ~0.15 CPU-s (`keyring_probe`)."""
    from cortexkit.governor import cache_dir
    from cortexkit.keyring_probe import MARKER_NAME, usable_keyring

    return usable_keyring(cache_dir() / MARKER_NAME)


def _from_keyring(url: str, backend: Any) -> StoreKeys | None:
    if backend is None:
        return None
    source = f"the OS keyring ({KEYRING_SERVICE})"
    try:
        stored = backend.get_password(KEYRING_SERVICE, keyring_user(url))
    except Exception as exc:  # a locked or broken keyring counts as absent
        log.debug("keyring unusable for the job store key: %s", type(exc).__name__)
        return None
    return StoreKeys(parse_keys(str(stored), source), source) if stored else None


def local_key_file(path: Path) -> StoreKeys:
    """Today's per-machine key beside a SQLite store, created 0600 on first use.

    The key is written to a private temporary file first and linked into place, which fails when the
    file exists: processes opening a new store together all end up with the one key that won, and none
    reads a key file another has created but not yet written (`private_files.create_exclusive`)."""
    if path.exists():
        return StoreKeys(read_key_file(path, str(path)), str(path))
    key = Fernet.generate_key()
    try:
        created = create_exclusive(path, key)
    except OSError:  # a file system without hard links: create it in place (the old, racy way)
        return _create_key_file_in_place(path, key)
    if not created:
        return StoreKeys(read_key_file(path, str(path)), str(path))
    return StoreKeys((key,), str(path))


def _create_key_file_in_place(path: Path, key: bytes) -> StoreKeys:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return StoreKeys(read_key_file(path, str(path)), str(path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return StoreKeys((key,), str(path))


def missing_key_message(url: str, *, keyring_found: bool = True) -> str:
    """One sentence: the sources looked at (none had a key) and how to set one. `keyring_found`: whether
    a usable OS keyring was there (it had no entry) or not at all."""
    user = keyring_user(url)
    ring = (
        f"the OS keyring has no entry ({KEYRING_SERVICE}, '{user}')"
        if keyring_found
        else "no usable OS keyring was found"
    )
    return (
        f"no key for the PostgreSQL job store, which needs one every host shares: {STORE_KEY_ENV} and "
        f"{STORE_KEY_FILE_ENV} are unset and {ring}; set {STORE_KEY_ENV} to a Fernet key, or "
        f"{STORE_KEY_FILE_ENV} to a 0600 file holding one, or store one in the OS keyring with "
        f"`keyring set {KEYRING_SERVICE} '{user}'`; {GENERATE_HINT}"
    )


_UNSET: Any = object()


def resolve_store_keys(
    url: str,
    key_file: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    keyring_backend: Any = _UNSET,
) -> StoreKeys:
    """The keys for the store at `url` from the first source that has them (see the module docstring).

    `key_file` is the per-machine file of a SQLite store, None for a shared one (then no key source is an
    error). `keyring_backend` is injectable (tests); by default the OS keyring when usable.
    """
    env = os.environ if environ is None else environ
    value = env.get(STORE_KEY_ENV, "").strip()
    if value:
        return StoreKeys(parse_keys(value, STORE_KEY_ENV), STORE_KEY_ENV)
    file_value = env.get(STORE_KEY_FILE_ENV, "").strip()
    if file_value:
        path = Path(file_value).expanduser()
        source = f"{STORE_KEY_FILE_ENV} ({path})"
        return StoreKeys(read_key_file(path, STORE_KEY_FILE_ENV), source)
    backend = _default_keyring() if keyring_backend is _UNSET else keyring_backend
    found = _from_keyring(url, backend)
    if found is not None:
        return found
    if key_file is None:
        raise StoreKeyError(missing_key_message(url, keyring_found=backend is not None))
    return local_key_file(key_file)


KeyResolver = Callable[[], StoreKeys]

__all__ = [
    "KEYRING_SERVICE",
    "KEY_FILE_NAME",
    "STORE_KEY_ENV",
    "STORE_KEY_FILE_ENV",
    "KeyResolver",
    "SecretStoreError",
    "StoreKeyError",
    "StoreKeys",
    "check_owner",
    "keyring_user",
    "local_key_file",
    "parse_keys",
    "read_key_file",
    "resolve_store_keys",
]
