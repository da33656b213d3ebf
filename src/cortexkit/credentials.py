"""Where the access key comes from: arguments > environment > profile (file + OS keyring) > prompt.

The peers keep secret keys in world-readable JSON, print them, or `sys.exit` when one is missing. Here the
secret is wrapped in `Secret` the moment it is read, profile files are written 0600 atomically and refused
when others can read them, and the secret itself lives in the OS keyring unless the user explicitly opts
into file storage (like gh's `--insecure-storage`). Everything is injectable (environment, config dir,
keyring backend, prompter) so the precedence rules are tested without touching the real machine.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import yaml

from cortexkit._redact import Secret
from cortexkit.errors import ConfigurationError, CredentialsError
from cortexkit.regions import resolve_api_url

KEYRING_SERVICE: Final = "cortexkit"
CONFIG_DIR_ENV: Final = "CORTEXKIT_CONFIG_DIR"
PROFILE_ENV: Final = "CORTEXKIT_PROFILE"
FILE_NAME: Final = "credentials.yml"

# Environment names per tool, in precedence order: ours (the seed articles'), prismacloud-cli's, pcpi's.
ENV_SOURCES: Final[tuple[tuple[str, str, str, str | None], ...]] = (
    ("PRISMA_API_URL", "PRISMA_ACCESS_KEY_ID", "PRISMA_SECRET_KEY", "PRISMA_VERIFY"),
    ("PC_URL", "PC_IDENTITY", "PC_SECRET", "PC_VERIFY"),
    ("PRISMA_PCPI_URL", "PRISMA_PCPI_ID", "PRISMA_PCPI_SECRET", "PRISMA_PCPI_VERIFY"),
)

_TRUE: Final = frozenset({"true", "yes", "1", "on", "y"})
_FALSE: Final = frozenset({"false", "no", "0", "off", "n"})


def parse_verify(value: object, *, where: str = "verify") -> bool | str:
    """`true`/`false` (any case, yes/no, 1/0) -> bool; anything else is a CA bundle path.

    pcpi and prismacloud-cli store these as strings and compare loosely, so `"False"` once meant "verify";
    parsing them properly here avoids silently turning TLS verification on or off.
    """
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    if not text:
        return True
    path = os.path.expanduser(text)
    if not os.path.exists(path):
        raise ConfigurationError(f"{where}: {text!r} is neither true/false nor an existing CA bundle file")
    return path


@dataclass(frozen=True)
class Credentials:
    """An API URL and access key, with the secret wrapped so repr/str never show it.

    `source` says where the values came from ("environment", "profile 'prod'", ...) for messages such as
    `cortexkit profile test`; it never holds a value.
    """

    api_url: str
    access_key_id: str
    secret_key: Secret
    verify: bool | str = True
    name: str | None = None
    source: str = "arguments"

    def __post_init__(self) -> None:
        if isinstance(self.secret_key, str):  # accept a plain str at construction, keep only the wrapper
            object.__setattr__(self, "secret_key", Secret(self.secret_key))
        if not isinstance(self.secret_key, Secret):
            raise TypeError("secret_key must be a str or Secret")
        object.__setattr__(self, "api_url", resolve_api_url(self.api_url))
        if not self.access_key_id or not self.access_key_id.strip():
            raise CredentialsError("the access key id is empty")
        if not self.secret_key.get_secret_value():
            raise CredentialsError("the secret key is empty")

    @property
    def profile(self) -> str | None:
        return self.name


class Prompter(Protocol):
    """Asks the user; injected so tests never read a terminal."""

    def ask(self, prompt: str) -> str: ...

    def ask_secret(self, prompt: str) -> str: ...


class TerminalPrompter:
    """Prompts on stderr (stdout is for data) and reads the secret with getpass (no echo)."""

    def ask(self, prompt: str) -> str:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        return sys.stdin.readline().strip()

    def ask_secret(self, prompt: str) -> str:
        return getpass.getpass(prompt, stream=sys.stderr).strip()


# --- the profile file -------------------------------------------------------------------------------


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


def _check_private(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"{path} is readable by other users (mode {stat.S_IMODE(mode):03o}); "
            f"run `chmod 600 {path}` and try again"
        )


def write_private(path: Path, text: str) -> None:
    """Write a file atomically with mode 0600 (temp file in the same dir, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600 from the start: the secret is never briefly world-readable.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _require_str(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CredentialsError(f"{where}: the field {key!r} is missing")
    if not isinstance(value, str | int):
        raise CredentialsError(f"{where}: the field {key!r} must be a string")
    return str(value).strip()


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

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"default": None, "profiles": {}}
        _check_private(self.path)
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

    def _save(self, data: Mapping[str, Any]) -> None:
        text = "# cortexkit profiles; secrets live in the OS keyring unless stored here on request\n"
        text += yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False)
        write_private(self.path, text)

    # -- public API

    @property
    def default(self) -> str | None:
        value = self._load()["default"]
        return str(value) if value else None

    def names(self) -> list[str]:
        return [str(n) for n in self._load()["profiles"]]

    def list(self) -> list[ProfileInfo]:
        data = self._load()
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
        data = self._load()
        entry = data["profiles"].get(name)
        if entry is None:
            known = ", ".join(map(str, data["profiles"])) or "none"
            raise CredentialsError(f"no profile {name!r} in {self.path} (profiles: {known})")
        where = f"{self.path}: profile {name!r}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{where} must be a mapping")
        api_url = _require_str(entry, "api_url", where)
        key_id = _require_str(entry, "access_key_id", where)
        if entry.get("secret_storage", "keyring") == "file":
            secret = _require_str(entry, "secret_key", where)
        else:
            secret = self._keyring_get(name, where)
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
        data = self._load()
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
        self._save(data)
        return str(entry["secret_storage"])

    def remove(self, name: str) -> None:
        data = self._load()
        entry = data["profiles"].pop(name, None)
        if entry is None:
            raise CredentialsError(f"no profile {name!r} in {self.path}")
        if isinstance(entry, dict) and entry.get("secret_storage", "keyring") == "keyring" and self._keyring:
            with contextlib.suppress(Exception):  # an already-missing keyring entry is fine
                self._keyring.delete_password(KEYRING_SERVICE, name)
        if data["default"] == name:
            data["default"] = next(iter(data["profiles"]), None)
        self._save(data)

    def set_default(self, name: str) -> None:
        data = self._load()
        if name not in data["profiles"]:
            raise CredentialsError(f"no profile {name!r} in {self.path}")
        data["default"] = name
        self._save(data)

    def _keyring_get(self, name: str, where: str) -> str:
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


# --- resolution: args > env > profile > prompt ---------------------------------------------------------


@dataclass
class _Partial:
    api_url: str | None = None
    access_key_id: str | None = None
    secret_key: str | None = None
    verify: bool | str | None = None
    sources: list[str] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # field -> the source that gave it

    def fill(self, source: str, **values: Any) -> None:
        used = False
        for key, value in values.items():
            if value not in (None, "") and getattr(self, key) is None:
                setattr(self, key, value)
                self.origin[key] = source
                used = True
        if used and source not in self.sources:
            self.sources.append(source)

    def check_secret_stays_home(self) -> None:
        """Refuse to send one place's secret to another place's URL.

        A stray `PRISMA_API_URL` next to a default profile must not ship that profile's secret key to a
        different host. Arguments and prompts are the user's explicit choice and may mix with anything.
        """
        url_from, secret_from = self.origin.get("api_url"), self.origin.get("secret_key")
        explicit = {"arguments", "prompt"}
        if url_from and secret_from and url_from != secret_from and not {url_from, secret_from} & explicit:
            raise CredentialsError(
                f"the API URL comes from the {url_from} but the secret key from the {secret_from}; "
                "refusing to send a secret to a URL it was not saved with: set the URL, key id and secret "
                "in one place, or pass the URL explicitly (--region)"
            )

    @property
    def complete(self) -> bool:
        return bool(self.api_url and self.access_key_id and self.secret_key)


def _from_env(env: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for url, key_id, secret, verify in ENV_SOURCES:
        values: dict[str, Any] = {
            "api_url": env.get(url),
            "access_key_id": env.get(key_id),
            "secret_key": env.get(secret),
        }
        if verify and env.get(verify):
            values["verify"] = parse_verify(env[verify], where=verify)
        # Each tool's set is its own source, so a URL from one set never receives another set's secret.
        prefix = url.removesuffix("URL").removesuffix("_API_")
        yield ("environment" if url == ENV_SOURCES[0][0] else f"environment ({prefix}*)"), values


def _missing(partial: _Partial) -> list[str]:
    names = {"api_url": "API URL", "access_key_id": "access key id", "secret_key": "secret key"}
    return [label for attr, label in names.items() if not getattr(partial, attr)]


def _prompt(partial: _Partial, prompter: Prompter) -> None:
    values = {
        "api_url": partial.api_url or prompter.ask("Prisma Cloud API URL or region (e.g. app2, eu): "),
        "access_key_id": partial.access_key_id or prompter.ask("Access key ID: "),
        "secret_key": partial.secret_key or prompter.ask_secret("Secret key: "),
    }
    partial.fill("prompt", **values)


def load_credentials(
    profile: str | None = None,
    *,
    api_url: str | None = None,
    access_key_id: str | None = None,
    secret_key: str | Secret | None = None,
    interactive: bool | None = None,
    env: Mapping[str, str] | None = None,
    store: ProfileStore | None = None,
    prompter: Prompter | None = None,
) -> Credentials:
    """Find credentials field by field: explicit arguments, environment, a profile, then a prompt.

    An explicitly named `profile` argument outranks the environment (as `aws --profile` does); a profile
    chosen by `CORTEXKIT_PROFILE` or the file's default fills only what the environment left empty.
    `interactive=None` prompts only when stdin is a terminal. `api_url` may be a region name.
    """
    environ = os.environ if env is None else env
    clear_secret = secret_key.get_secret_value() if isinstance(secret_key, Secret) else secret_key
    partial = _Partial()
    partial.fill("arguments", api_url=api_url, access_key_id=access_key_id, secret_key=clear_secret)
    chosen: Credentials | None = None
    profile_store = store if store is not None else ProfileStore(env=environ)  # reads nothing yet

    def use_profile(name: str) -> None:
        nonlocal chosen
        chosen = profile_store.get(name)
        partial.fill(
            chosen.source,
            api_url=chosen.api_url,
            access_key_id=chosen.access_key_id,
            secret_key=chosen.secret_key.get_secret_value(),
            verify=chosen.verify,
        )

    if profile:
        use_profile(profile)
    if not partial.complete or partial.verify is None:
        for source, values in _from_env(environ):
            wanted = {"verify": values.get("verify")} if partial.complete else values
            partial.fill(source, **wanted)
    if not partial.complete and not profile:
        name = environ.get(PROFILE_ENV) or profile_store.default
        if name:
            use_profile(name)
    if not partial.complete:
        ask = interactive if interactive is not None else stdin_is_tty()
        if ask:
            _prompt(partial, prompter or TerminalPrompter())
    if not partial.complete:
        raise CredentialsError(f"no credentials found (missing: {', '.join(_missing(partial))})")
    partial.check_secret_stays_home()
    assert partial.api_url and partial.access_key_id and partial.secret_key  # for the type checker
    return Credentials(
        partial.api_url,
        partial.access_key_id,
        Secret(partial.secret_key),
        verify=True if partial.verify is None else partial.verify,
        name=chosen.name if chosen is not None else None,
        source=" + ".join(partial.sources),
    )


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from the environment alone (no profile, no prompt), or None when incomplete."""
    partial = _Partial()
    for source, values in _from_env(os.environ if env is None else env):
        partial.fill(source, **values)
    if not partial.complete:
        return None
    partial.check_secret_stays_home()
    assert partial.api_url and partial.access_key_id and partial.secret_key  # for the type checker
    verify = True if partial.verify is None else partial.verify
    secret = Secret(partial.secret_key)
    return Credentials(partial.api_url, partial.access_key_id, secret, verify=verify, source="environment")


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


# --- importers for the peers' credential files ----------------------------------------------------------

# prismacloud-api's legacy key names -> its current ones (peers.md section 1).
_PCAPI_ALIASES: Final[dict[str, str]] = {
    "api_endpoint": "url",
    "api": "url",
    "username": "identity",
    "access_key_id": "identity",
    "password": "secret",
    "secret_key": "secret",
    "ca_bundle": "verify",
}
_PCAPI_COMPUTE_KEYS: Final = ("pcc_api_endpoint", "api_compute")


def _read_json(path: str | os.PathLike[str]) -> Any:
    p = Path(path).expanduser()
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CredentialsError(f"{p}: no such file") from None
    except OSError as exc:
        raise CredentialsError(f"{p}: cannot read it ({exc.strerror})") from None
    except ValueError as exc:
        raise CredentialsError(f"{p}: not valid JSON ({exc})") from None


def _tenant(entry: Mapping[str, Any], where: str, fallback_name: str) -> Credentials:
    url = _require_str(entry, "url", where)
    identity = _require_str(entry, "identity", where)
    secret = _require_str(entry, "secret", where)
    try:
        verify = parse_verify(entry.get("verify"), where=f"{where}: verify")
        name = str(entry.get("name") or fallback_name)
        return Credentials(url, identity, Secret(secret), verify=verify, name=name, source=where)
    except ConfigurationError as exc:
        raise CredentialsError(f"{where}: {exc}") from None


def import_pcpi_credentials(path: str | os.PathLike[str]) -> list[Credentials]:
    """Read pcpi 1.x's `credentials.json`: a JSON list of `{name, url, identity, secret, verify, ...}`.

    `proxies` and `project_flag` have no equivalent in a profile and are ignored.
    """
    data = _read_json(path)
    if isinstance(data, dict):  # a single tenant written by hand
        data = [data]
    if not isinstance(data, list) or not data:
        raise CredentialsError(f"{path}: expected a JSON list of tenants")
    found = []
    for index, entry in enumerate(data):
        where = f"{path}: tenant {index + 1}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{where} must be an object")
        found.append(_tenant(entry, where, f"pcpi-{index + 1}"))
    return found


def import_prismacloud_api_credentials(path: str | os.PathLike[str]) -> Credentials:
    """Read prismacloud-api's / prismacloud-cli's `credentials.json` (one object, legacy keys mapped)."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise CredentialsError(f"{path}: expected a JSON object with url, identity and secret")
    entry: dict[str, Any] = {}
    # Current key names first, so an alias never overrides the value its canonical name already gave.
    for key, value in sorted(data.items(), key=lambda kv: str(kv[0]) in _PCAPI_ALIASES):
        entry.setdefault(_PCAPI_ALIASES.get(str(key), str(key)), value)
    if not entry.get("url") and any(data.get(k) for k in _PCAPI_COMPUTE_KEYS):
        raise CredentialsError(
            f"{path}: only a Compute console URL is set; cortexkit needs the CSPM API URL in 'url'"
        )
    return _tenant(entry, str(path), Path(path).stem)


__all__ = [
    "ENV_SOURCES",
    "Credentials",
    "ProfileInfo",
    "ProfileStore",
    "Prompter",
    "TerminalPrompter",
    "config_dir",
    "credentials_from_env",
    "import_pcpi_credentials",
    "import_prismacloud_api_credentials",
    "keyring_usable",
    "load_credentials",
    "parse_verify",
    "stdin_is_tty",
    "write_private",
]
