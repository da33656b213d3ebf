"""Named profiles in `credentials.yml` (0600, refused when others can read it); secrets in the OS keyring
unless the user explicitly opts into file storage (like gh's `--insecure-storage`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from cortexkit._redact import Secret
from cortexkit.credentials.model import Credentials, parse_verify, require_str
from cortexkit.errors import ConfigurationError, CredentialsError
from cortexkit.private_files import check_private, write_private

KEYRING_SERVICE: Final = "cortexkit"
CONFIG_DIR_ENV: Final = "CORTEXKIT_CONFIG_DIR"
FILE_NAME: Final = "credentials.yml"


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """`CORTEXKIT_CONFIG_DIR` (tests, containers) or the platform's user config dir."""
    environ = os.environ if env is None else env
    override = environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("cortexkit"))


def keyring_usable(backend: Any) -> bool:
    """Whether a keyring backend really stores secrets safely.

    The `fail` backend (no keyring found), the `null` one, a chainer with no backends and keyrings.alt's
    plaintext/encrypted-file backends (a file we would have to protect ourselves, or a password prompt) do
    not count.
    """
    if backend is None:
        return False
    if hasattr(backend, "backends"):  # keyring's chainer: usable when one of the chained backends is
        try:
            inner = list(backend.backends)
        except Exception:  # a chainer that cannot even list its backends is not usable
            return False
        return any(keyring_usable(b) for b in inner)
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return False
    priority = getattr(backend, "priority", 1)
    return not (isinstance(priority, int | float) and priority <= 0)


def _default_keyring() -> Any:
    try:
        import keyring

        return keyring.get_keyring()
    except Exception:  # any import/config failure of keyring means "no keyring", not a crash
        return None


@dataclass(frozen=True)
class ProfileInfo:
    """What `cortexkit profile list` shows: never the secret."""

    name: str
    api_url: str
    access_key_id: str
    verify: bool | str
    storage: str  # "keyring" | "file"
    is_default: bool


class ProfileStore:
    """Named profiles in `credentials.yml`; secrets in the OS keyring, or in the file on explicit opt-in.

    File layout (version 1)::

        default: prod
        profiles:
          prod: {api_url: ..., access_key_id: ..., verify: true, secret_storage: keyring}
          lab:  {api_url: ..., access_key_id: ..., verify: false, secret_storage: file, secret_key: ...}
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        keyring_backend: Any = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else config_dir(env) / FILE_NAME
        self._backend = keyring_backend
        self._backend_resolved = keyring_backend is not None

    @property
    def _keyring(self) -> Any:
        # Resolved on first use: importing keyring probes D-Bus and friends, which a run that takes its
        # credentials from the environment should not pay for.
        if not self._backend_resolved:
            self._backend = _default_keyring()
            self._backend_resolved = True
        return self._backend

    @property
    def keyring_available(self) -> bool:
        return keyring_usable(self._keyring)

    # -- file I/O

    def document(self) -> dict[str, Any]:
        """The file's `{default, profiles}` (a fresh read): also how other backends' entries are kept."""
        if not self.path.exists():
            return {"default": None, "profiles": {}}
        check_private(self.path, CredentialsError)
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise CredentialsError(f"{self.path}: not valid YAML{where}") from None
        except OSError as exc:
            raise CredentialsError(f"{self.path}: cannot read it ({exc.strerror})") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise CredentialsError(f"{self.path}: expected a mapping with 'profiles'")
        profiles = data.get("profiles") or {}
        if not isinstance(profiles, dict):
            raise CredentialsError(f"{self.path}: the field 'profiles' must be a mapping")
        return {"default": data.get("default"), "profiles": profiles}

    def save_document(self, data: Mapping[str, Any]) -> None:
        """Write the whole document back atomically (0600)."""
        text = "# cortexkit profiles; secrets live in the OS keyring unless stored here on request\n"
        text += yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False)
        write_private(self.path, text)

    # -- public API

    @property
    def default(self) -> str | None:
        value = self.document()["default"]
        return str(value) if value else None

    def names(self) -> list[str]:
        return [str(n) for n in self.document()["profiles"]]

    def list(self) -> list[ProfileInfo]:
        data = self.document()
        infos = []
        for name, entry in data["profiles"].items():
            where = f"{self.path}: profile {name!r}"
            if not isinstance(entry, dict):
                raise CredentialsError(f"{where} must be a mapping")
            infos.append(
                ProfileInfo(
                    name=str(name),
                    api_url=str(entry.get("api_url", "")),
                    access_key_id=str(entry.get("access_key_id", "")),
                    verify=parse_verify(entry.get("verify"), where=f"{where}: verify"),
                    storage=str(entry.get("secret_storage", "keyring")),
                    is_default=name == data["default"],
                )
            )
        return infos

    def get(self, name: str) -> Credentials:
        data = self.document()
        entry = data["profiles"].get(name)
        if entry is None:
            known = ", ".join(map(str, data["profiles"])) or "none"
            raise CredentialsError(f"no profile {name!r} in {self.path} (profiles: {known})")
        where = f"{self.path}: profile {name!r}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{where} must be a mapping")
        api_url = require_str(entry, "api_url", where)
        key_id = require_str(entry, "access_key_id", where)
        if entry.get("secret_storage", "keyring") == "file":
            secret = require_str(entry, "secret_key", where)
        else:
            secret = self.keyring_secret(name, where)
        try:
            return Credentials(
                api_url,
                key_id,
                Secret(secret),
                verify=parse_verify(entry.get("verify"), where=f"{where}: verify"),
                name=name,
                source=f"profile {name!r}",
            )
        except ConfigurationError as exc:
            raise CredentialsError(f"{where}: {exc}") from None

    def add(
        self,
        name: str,
        credentials: Credentials,
        *,
        insecure_storage: bool = False,
        make_default: bool | None = None,
    ) -> str:
        """Save a profile; returns where the secret went ("keyring" or "file")."""
        if not name or not name.strip() or any(c in name for c in "\n\r:"):
            raise ConfigurationError(f"invalid profile name {name!r}")
        data = self.document()
        entry: dict[str, Any] = {
            "api_url": credentials.api_url,
            "access_key_id": credentials.access_key_id,
            "verify": credentials.verify,
        }
        if self.keyring_available and not insecure_storage:
            self._keyring.set_password(KEYRING_SERVICE, name, credentials.secret_key.get_secret_value())
            entry["secret_storage"] = "keyring"
        elif insecure_storage:
            entry["secret_storage"] = "file"
            entry["secret_key"] = credentials.secret_key.get_secret_value()
        else:
            raise CredentialsError(
                "no OS keyring is available to hold the secret key; use --insecure-storage to keep it "
                f"in {self.path} (mode 0600), or use the PRISMA_* environment variables"
            )
        data["profiles"][name] = entry
        if make_default or (make_default is None and not data["default"]):
            data["default"] = name
        self.save_document(data)
        return str(entry["secret_storage"])

    def remove(self, name: str) -> None:
        data = self.document()
        entry = data["profiles"].pop(name, None)
        if entry is None:
            raise CredentialsError(f"no profile {name!r} in {self.path}")
        if isinstance(entry, dict) and entry.get("secret_storage", "keyring") == "keyring" and self._keyring:
            with contextlib.suppress(Exception):  # an already-missing keyring entry is fine
                self._keyring.delete_password(KEYRING_SERVICE, name)
        if data["default"] == name:
            data["default"] = next(iter(data["profiles"]), None)
        self.save_document(data)

    def set_default(self, name: str) -> None:
        data = self.document()
        if name not in data["profiles"]:
            raise CredentialsError(f"no profile {name!r} in {self.path}")
        data["default"] = name
        self.save_document(data)

    def keyring_secret(self, name: str, where: str) -> str:
        """Profile `name`'s secret from the OS keyring; `where` names the profile in the error."""
        secret = None
        if self._keyring is not None:
            try:
                secret = self._keyring.get_password(KEYRING_SERVICE, name)
            except Exception as exc:  # a locked or broken keyring: say so, do not crash with its trace
                raise CredentialsError(f"{where}: the OS keyring failed ({type(exc).__name__})") from None
        if not secret:
            raise CredentialsError(
                f"{where}: the secret key is not in the OS keyring; add the profile again with "
                "`cortexkit profile add`"
            )
        return str(secret)

    def keep_in_keyring(self, name: str, secret: str) -> None:
        """Store profile `name`'s secret in the OS keyring (check `keyring_available` first)."""
        self._keyring.set_password(KEYRING_SERVICE, name, secret)
