"""Where the access key comes from, field by field: arguments > environment > profile > prompt.

Each tool's environment names form one source (ours, prismacloud-cli's `PC_*`, pcpi's `PRISMA_PCPI_*`), so
a URL from one never receives another's secret; `verify` is taken only from the source that gave the URL,
so an explicit URL is never silently sent with someone else's `PC_VERIFY=false`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cortexkit._redact import Secret
from cortexkit.credentials.model import Credentials, parse_verify
from cortexkit.credentials.profiles import ProfileStore
from cortexkit.credentials.prompts import Prompter, TerminalPrompter, stdin_is_tty
from cortexkit.errors import CredentialsError, MissingCredentialsError

PROFILE_ENV: Final = "CORTEXKIT_PROFILE"

# Environment names per tool, in precedence order: ours (the seed articles'), prismacloud-cli's, pcpi's.
ENV_SOURCES: Final[tuple[tuple[str, str, str, str | None], ...]] = (
    ("PRISMA_API_URL", "PRISMA_ACCESS_KEY_ID", "PRISMA_SECRET_KEY", "PRISMA_VERIFY"),
    ("PC_URL", "PC_IDENTITY", "PC_SECRET", "PC_VERIFY"),
    ("PRISMA_PCPI_URL", "PRISMA_PCPI_ID", "PRISMA_PCPI_SECRET", "PRISMA_PCPI_VERIFY"),
)


@dataclass
class _Partial:
    api_url: str | None = None
    access_key_id: str | None = None
    secret_key: str | None = None
    verify: bool | str | None = None
    sources: list[str] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # field -> the source that gave it
    verify_setting: dict[str, str] = field(default_factory=dict)  # source -> the setting's name
    verify_by_source: dict[str, bool | str] = field(default_factory=dict)

    def fill(self, source: str, **values: Any) -> None:
        name = values.pop("_verify_name", None)
        if name is not None:
            self.verify_setting[source] = name
        if values.get("verify") is not None:
            self.verify_by_source.setdefault(source, values["verify"])
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

    def tls(self) -> tuple[bool | str, str | None]:
        """`verify` and the setting it came from: only the source that gave the API URL decides it, so
        an explicit URL is never sent with another source's `PC_VERIFY=false` (explicit beats env)."""
        source = self.origin.get("api_url")
        if source is None or source not in self.verify_by_source:
            return True, None
        return self.verify_by_source[source], self.verify_setting.get(source, source)


def _from_env(env: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for url, key_id, secret, verify in ENV_SOURCES:
        values: dict[str, Any] = {
            "api_url": env.get(url),
            "access_key_id": env.get(key_id),
            "secret_key": env.get(secret),
        }
        if verify and env.get(verify):
            values["verify"] = parse_verify(env[verify], where=verify)
            values["_verify_name"] = verify
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
    if not partial.complete:
        for source, values in _from_env(environ):
            partial.fill(source, **values)
    if not partial.complete and not profile:
        name = environ.get(PROFILE_ENV) or profile_store.default
        if name:
            use_profile(name)
    if not partial.complete:
        ask = interactive if interactive is not None else stdin_is_tty()
        if ask:
            _prompt(partial, prompter or TerminalPrompter())
    if not partial.complete:
        raise MissingCredentialsError(f"no credentials found (missing: {', '.join(_missing(partial))})")
    partial.check_secret_stays_home()
    assert partial.api_url and partial.access_key_id and partial.secret_key  # for the type checker
    verify, verify_source = partial.tls()
    return Credentials(
        partial.api_url,
        partial.access_key_id,
        Secret(partial.secret_key),
        verify=verify,
        name=chosen.name if chosen is not None else None,
        source=" + ".join(partial.sources),
        verify_source=verify_source,
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
    verify, verify_source = partial.tls()
    secret = Secret(partial.secret_key)
    return Credentials(
        partial.api_url,
        partial.access_key_id,
        secret,
        verify=verify,
        source="environment",
        verify_source=verify_source,
    )
