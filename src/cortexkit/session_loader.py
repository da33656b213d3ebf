"""pcpi's `session_loader` interface (seed article 000), on top of cortexkit's client.

A pcpi 0.4.x script moves over by changing one import::

    from cortexkit import session_loader            # was: from pcpi import session_loader
    manager = session_loader.load_from_file()       # reads (or builds) tenant_credentials.yml
    cspm = manager.create_cspm_session()
    response = cspm.request("GET", "/cloud")
    accounts = response.json()

Like pcpi, `request` hands back a response object for error statuses too (scripts test
`response.status_code`); unlike pcpi it never calls `exit()`, never logs the token or the request body,
and the session behind it refreshes the JWT single-flight, retries only what is safe to retry and keeps
one connection pool. `response.raise_for_status()` raises the typed `cortexkit.errors` error.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from cortexkit._redact import Secret
from cortexkit.credentials import (
    Credentials,
    Prompter,
    TerminalPrompter,
    credentials_from_env,
    parse_verify,
    stdin_is_tty,
)
from cortexkit.errors import APIError, ConfigurationError, CredentialsError
from cortexkit.private_files import shared_message, shared_mode, write_private

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import Client

log = logging.getLogger("cortexkit.session_loader")

DEFAULT_FILE: Final = "tenant_credentials.yml"
# pcpi 0.4.x environment names (peers.md appendix); cortexkit's own PRISMA_* names work too.
PCPI04_ENV: Final = ("PC_TENANT_NAME", "PC_TENANT_API", "PC_TENANT_A_KEY", "PC_TENANT_S_KEY", "PC_API_VERIFY")
_COMPUTE_FIELDS: Final = frozenset({"uname", "passwd"})


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only headers, as `requests` gives them (`headers['X-Redlock-Status']`)."""

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = {key.lower(): (key, value) for key, value in items.items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


class Response:
    """What `session.request` returns: the parts of a `requests.Response` pcpi scripts use.

    Built from the httpx response on success and from the typed error on an HTTP error status, so a
    script that checks `status_code` keeps working and one that wants exceptions calls
    `raise_for_status()`.
    """

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes,
        url: str,
        error: APIError | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = Headers(headers)
        self.content = content
        self.url = url
        self.error = error

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The decoded body; `None` for an empty body (pcpi scripts test for a falsy result)."""
        if not self.content.strip():
            return None
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if self.error is not None:
            raise self.error

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"


def _from_error(error: APIError, url: str) -> Response:
    return Response(error.status, error.response_headers, error.response_body, url, error)


class _Session:
    """Shared request plumbing of the CSPM and CWP sessions."""

    kind = "cspm"

    def __init__(self, manager: SessionManager) -> None:
        self._manager = manager

    @property
    def tenant(self) -> str:
        return self._manager.tenant

    @property
    def api_url(self) -> str:
        return self._manager.credentials.api_url

    def _base_url(self) -> str | None:
        return None

    def _path(self, endpoint_url: str) -> str:
        return endpoint_url if endpoint_url.startswith("/") else "/" + endpoint_url

    def request(  # noqa: PLR0917 - pcpi's positional signature, kept so scripts move over unchanged
        self,
        method: str,
        endpoint_url: str,
        json: Any = None,
        data: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        **pcpi_options: Any,
    ) -> Response:
        """Send a call the way pcpi's `session.request` does and return the response, error or not.

        pcpi's logging options (`redlock_ignore`, `status_ignore`, `custom_log`, ...) are accepted and
        have nothing to do here; `verify`/`proxies` per call are not supported (set them on the tenant).
        """
        if data is not None or files is not None:
            raise ConfigurationError("session.request supports json= and params= bodies, not data= or files=")
        for option in ("verify", "proxies"):
            if pcpi_options.get(option) is not None:
                raise ConfigurationError(f"per-call {option}= is not supported; set it on the tenant")
        from cortexkit.pagination import RequestSpec

        client = self._manager.client
        path = self._path(endpoint_url)
        spec = RequestSpec(method.upper(), path, params=params, json=json, base_url=self._base_url())
        url = (spec.base_url or client.api_url).rstrip("/") + path
        try:
            raw = client.send_raw(spec)
        except APIError as error:
            return _from_error(error, url)
        return Response(raw.status_code, raw.headers, raw.content, str(raw.url))

    def close(self) -> None:
        self._manager.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} tenant={self.tenant!r} api_url={self.api_url!r}>"


class CSPMSession(_Session):
    """A CSPM session: `request("GET", "/cloud")` against the tenant's API URL."""


class CWPSession(_Session):
    """A Compute (CWP) session: paths go to the Compute console found via `/meta_info`.

    Paths without `/api/` get `/api/v1` added, so both `"/images"` and pcpi's `"/api/v1/images"` work.
    Authentication is the CSPM JWT (`x-redlock-auth`), which SaaS Compute accepts, so there is one token
    to refresh instead of two.
    """

    kind = "cwp"

    def _base_url(self) -> str | None:
        return self._manager.compute_url()

    def _path(self, endpoint_url: str) -> str:
        path = super()._path(endpoint_url)
        return path if path.startswith("/api/") else "/api/v1" + path


class SessionManager:
    """One tenant's credentials and the client behind its sessions (pcpi's `SaaSSessionManager`)."""

    def __init__(self, credentials: Credentials, *, client: Client | None = None) -> None:
        self.credentials = credentials
        self.tenant = credentials.name or "tenant"
        self._client = client
        self._compute_url: str | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from cortexkit.client import Client

            self._client = Client(self.credentials)
        return self._client

    def compute_url(self) -> str:
        if self._compute_url is None:
            self._compute_url = self.client.compute.console_url()
        return self._compute_url

    def create_cspm_session(self) -> CSPMSession:
        """A CSPM session; logs in now, as pcpi does, so bad credentials fail here and not later."""
        self.client.refresh_session()
        return CSPMSession(self)

    def create_cwp_session(self) -> CWPSession:
        """A Compute session (logs in and reads `/meta_info` now)."""
        self.compute_url()
        return CWPSession(self)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> SessionManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SessionManager tenant={self.tenant!r} api_url={self.credentials.api_url!r}>"


# --- the YAML tenant file --------------------------------------------------------------------------------


def parse_tenant_file(text: str, where: str) -> list[Credentials]:
    """The tenants of a pcpi 0.4.x `tenant_credentials.yml`, in file order. Pure."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise CredentialsError(f"{where}: not valid YAML{line}") from None
    if not isinstance(data, dict) or not data:
        raise CredentialsError(
            f"{where}: expected a mapping of tenant name -> access_key, secret_key, api_url"
        )
    tenants = []
    for name, entry in data.items():
        at = f"{where}: tenant {name!r}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{at} must be a mapping")
        if _COMPUTE_FIELDS & set(entry) and "access_key" not in entry:
            raise CredentialsError(f"{at} is a self-hosted Compute console; cortexkit supports SaaS tenants")
        fields = {}
        for key in ("access_key", "secret_key", "api_url"):
            value = entry.get(key)
            if value is None or not str(value).strip():
                raise CredentialsError(f"{at}: the field {key!r} is missing")
            fields[key] = str(value).strip()
        try:
            tenants.append(
                Credentials(
                    fields["api_url"],
                    fields["access_key"],
                    Secret(fields["secret_key"]),
                    verify=parse_verify(entry.get("verify"), where=f"{at}: verify"),
                    name=str(name),
                    source=f"{where} tenant {name!r}",
                )
            )
        except ConfigurationError as exc:
            raise CredentialsError(f"{at}: {exc}") from None
    return tenants


def render_tenant_file(credentials: Credentials) -> str:
    """The YAML pcpi 0.4.x writes for one tenant (all values strings)."""
    verify = credentials.verify
    entry = {
        "access_key": credentials.access_key_id,
        "secret_key": credentials.secret_key.get_secret_value(),
        "api_url": credentials.api_url,
        "verify": verify if isinstance(verify, str) else str(verify).lower(),
    }
    return yaml.safe_dump({credentials.name or "tenant": entry}, sort_keys=False)


def _ask(prompter: Prompter) -> Credentials:
    name = prompter.ask("Tenant name: ") or "tenant"
    url = prompter.ask("API URL or region (e.g. https://api2.prismacloud.io, eu): ")
    key_id = prompter.ask("Access key ID: ")
    secret = prompter.ask_secret("Secret key: ")
    verify = prompter.ask("Verify TLS (true/false/path to CA bundle) [true]: ")
    return Credentials(url, key_id, Secret(secret), verify=parse_verify(verify), name=name, source="prompt")


def _warn_if_shared(path: Path) -> None:
    # pcpi wrote these files with default permissions; refusing them would break scripts that work today.
    mode = shared_mode(path)
    if mode is not None:
        log.warning("%s", shared_message(path, mode))


def load_all_from_file(
    file_path: str | os.PathLike[str] = DEFAULT_FILE, *, prompter: Prompter | None = None
) -> list[SessionManager]:
    """One session manager per tenant in the file; builds the file by asking when it does not exist."""
    path = Path(file_path).expanduser()
    if not path.exists():
        if prompter is None and not stdin_is_tty():
            raise CredentialsError(f"{path}: no such file, and no terminal to ask for the tenant's values")
        credentials = _ask(prompter or TerminalPrompter())
        write_private(path, render_tenant_file(credentials))
    _warn_if_shared(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CredentialsError(f"{path}: cannot read it ({exc.strerror})") from None
    return [SessionManager(c) for c in parse_tenant_file(text, str(path))]


def load_from_file(
    file_path: str | os.PathLike[str] = DEFAULT_FILE,
    logger: logging.Logger | None = None,
    *,
    prompter: Prompter | None = None,
) -> SessionManager:
    """The first tenant's session manager, as pcpi 0.4.x returns it. `logger` is accepted and unused."""
    del logger
    return load_all_from_file(file_path, prompter=prompter)[0]


def load_from_env(
    logger: logging.Logger | None = None, *, env: Mapping[str, str] | None = None
) -> SessionManager:
    """pcpi 0.4.x's `PC_TENANT_*` variables, else cortexkit's `PRISMA_*` (and the other accepted names)."""
    del logger
    environ = os.environ if env is None else env
    name, api, key_id, secret, verify = (environ.get(n) for n in PCPI04_ENV)
    if api and key_id and secret:
        credentials = Credentials(
            api,
            key_id,
            Secret(secret),
            verify=parse_verify(verify, where="PC_API_VERIFY"),
            name=name or "tenant",
            source="environment",
        )
        return SessionManager(credentials)
    found = credentials_from_env(environ)
    if found is None:
        raise CredentialsError(
            "no credentials in the environment: set PC_TENANT_API, PC_TENANT_A_KEY and PC_TENANT_S_KEY "
            "(or PRISMA_API_URL, PRISMA_ACCESS_KEY_ID and PRISMA_SECRET_KEY)"
        )
    return SessionManager(found)


def load_from_user(
    logger: logging.Logger | None = None, *, prompter: Prompter | None = None
) -> SessionManager:
    """Ask on the terminal for one tenant's values (the secret without echo)."""
    del logger
    if prompter is None and not stdin_is_tty():
        raise CredentialsError("load_from_user needs a terminal to ask for the tenant's values")
    return SessionManager(_ask(prompter or TerminalPrompter()))


__all__ = [
    "CSPMSession",
    "CWPSession",
    "Headers",
    "Response",
    "SessionManager",
    "load_all_from_file",
    "load_from_env",
    "load_from_file",
    "load_from_user",
    "parse_tenant_file",
    "render_tenant_file",
]
