"""Cortex credentials: the Terraform provider's names, so an existing set-up carries over.

Sources, first wins: arguments > environment (`CORTEXCLOUD_API_URL`, `CORTEXCLOUD_API_KEY`,
`CORTEXCLOUD_API_KEY_ID`, `CORTEXCLOUD_API_KEY_TYPE`) > a profile with `backend: cortex`. The URL is
stored whole (the provider dropped its `fqdn` setting for a full `api_url` in v1.0.3); a bare tenant FQDN
or a console URL is turned into `https://api-{fqdn}`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cortexkit._redact import Secret
from cortexkit.cortex.auth import KeyType, parse_key_type
from cortexkit.errors import CredentialsError

ENV_URL = "CORTEXCLOUD_API_URL"
ENV_KEY = "CORTEXCLOUD_API_KEY"
ENV_KEY_ID = "CORTEXCLOUD_API_KEY_ID"
ENV_KEY_TYPE = "CORTEXCLOUD_API_KEY_TYPE"
ENV_NAMES = (ENV_URL, ENV_KEY, ENV_KEY_ID, ENV_KEY_TYPE)

_LOCAL_HOSTS = ("localhost", "127.", "[::1]", "::1")


def normalise_api_url(value: str) -> str:
    """`https://api-{fqdn}` from a full API URL (kept), a bare FQDN or a console URL.

    A URL that already names its scheme and an `api-` host is kept whole (path included); a loopback
    URL (the emulator) is kept as is; otherwise the host gets the `api-` prefix and `https://`.
    """
    text = (value or "").strip()
    if not text:
        raise CredentialsError(f"the Cortex API URL is empty; set {ENV_URL} (e.g. https://api-<tenant fqdn>)")
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else f"https://{text}")
    host = parts.hostname or ""
    if not host or " " in text:
        raise CredentialsError(f"{value!r} is not a URL or host name; use https://api-<tenant fqdn>")
    netloc = parts.netloc
    if host.startswith(_LOCAL_HOSTS) or host == "localhost":
        return text.rstrip("/") if has_scheme else f"http://{netloc}"
    if host.startswith("api-"):
        return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/") if has_scheme else f"https://{netloc}"
    # A console URL (https://tenant.xdr.us.paloaltonetworks.com/...) or a bare FQDN: its API host.
    return f"https://api-{netloc}"


def parse_key_id(value: Any, where: str = ENV_KEY_ID) -> int:
    """The key id is a positive integer (the Go SDK validates `> 0`; the provider types it Int32)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise CredentialsError(
            f"{where} must be a positive integer (the key's ID column), not {value!r}"
        ) from None
    if number <= 0:
        raise CredentialsError(f"{where} must be a positive integer, not {number}")
    return number


@dataclass(frozen=True)
class CortexCredentials:
    """A Cortex API URL and key; the key is wrapped so repr/str never show it."""

    api_url: str
    api_key_id: int
    api_key: Secret
    api_key_type: KeyType = "advanced"
    verify: bool | str = True
    name: str | None = None
    source: str = "arguments"

    def __post_init__(self) -> None:
        if isinstance(self.api_key, str):
            object.__setattr__(self, "api_key", Secret(self.api_key))
        if not isinstance(self.api_key, Secret) or not self.api_key.get_secret_value():
            raise CredentialsError(f"the Cortex API key is empty; set {ENV_KEY}")
        object.__setattr__(self, "api_url", normalise_api_url(self.api_url))
        object.__setattr__(self, "api_key_id", parse_key_id(self.api_key_id, "the API key id"))
        try:
            object.__setattr__(self, "api_key_type", parse_key_type(self.api_key_type))
        except ValueError as exc:
            raise CredentialsError(str(exc)) from None


def env_present(env: Mapping[str, str] | None = None) -> bool:
    """Whether any CORTEXCLOUD_* credential variable is set (the CLI's backend choice uses it)."""
    env = os.environ if env is None else env
    return any(env.get(name) for name in (ENV_URL, ENV_KEY, ENV_KEY_ID))


def load_cortex_credentials(
    profile: str | None = None,
    *,
    api_url: str | None = None,
    api_key_id: int | str | None = None,
    api_key: str | Secret | None = None,
    api_key_type: str | None = None,
    verify: bool | str | None = None,
    env: Mapping[str, str] | None = None,
    store: Any = None,
) -> CortexCredentials:
    """Arguments > environment > profile. Raises `CredentialsError` naming what is missing."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {
        "api_url": api_url,
        "api_key_id": api_key_id,
        "api_key": api_key,
        "api_key_type": api_key_type,
    }
    source = "arguments"
    from_env = {
        "api_url": env.get(ENV_URL),
        "api_key_id": env.get(ENV_KEY_ID),
        "api_key": env.get(ENV_KEY),
        "api_key_type": env.get(ENV_KEY_TYPE),
    }
    if profile is None:
        for key, value in from_env.items():
            if values[key] in (None, "") and value:
                values[key] = value
                source = "environment"
    if profile is not None or not all(values[k] for k in ("api_url", "api_key_id", "api_key")):
        name = profile or env.get("CORTEXKIT_PROFILE")
        if name or store is not None:
            from cortexkit.cortex.profiles import load_profile

            stored = load_profile(name, store=store, env=env)
            if stored is not None:
                for key in ("api_url", "api_key_id", "api_key", "api_key_type"):
                    if values[key] in (None, ""):
                        values[key] = getattr(stored, key)
                if verify is None:
                    verify = stored.verify
                return CortexCredentials(
                    values["api_url"],
                    values["api_key_id"],
                    values["api_key"],
                    values["api_key_type"] or "advanced",
                    verify if verify is not None else True,
                    name=stored.name,
                    source=stored.source,
                )
    missing = [
        n
        for k, n in (("api_url", ENV_URL), ("api_key_id", ENV_KEY_ID), ("api_key", ENV_KEY))
        if not values[k]
    ]
    if missing:
        raise CredentialsError(
            f"no Cortex credentials: {', '.join(missing)} not set; set them (the Terraform provider's names) "
            "or add a profile with `cortexkit profile add NAME --cortex`"
        )
    return CortexCredentials(
        values["api_url"],
        values["api_key_id"],
        values["api_key"],
        values["api_key_type"] or "advanced",
        verify if verify is not None else True,
        source=source,
    )
