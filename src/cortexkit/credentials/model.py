"""The `Credentials` value: an API URL and access key with the secret wrapped, and `verify` parsing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cortexkit._redact import Secret
from cortexkit.errors import ConfigurationError, CredentialsError
from cortexkit.regions import resolve_api_url

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
    `cortexkit profile test`; `verify_source` names the setting `verify` came from (`PC_VERIFY`, a
    profile), so turning verification off can be reported with its cause. Neither ever holds a value.
    """

    api_url: str
    access_key_id: str
    secret_key: Secret
    verify: bool | str = True
    name: str | None = None
    source: str = "arguments"
    verify_source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.secret_key, str):  # accept a plain str at construction, keep only the wrapper
            object.__setattr__(self, "secret_key", Secret(self.secret_key))
        if not isinstance(self.secret_key, Secret):
            raise ConfigurationError("secret_key must be a str or Secret")
        object.__setattr__(self, "api_url", resolve_api_url(self.api_url))
        if not self.access_key_id or not self.access_key_id.strip():
            raise CredentialsError("the access key id is empty")
        if not self.secret_key.get_secret_value():
            raise CredentialsError("the secret key is empty")

    @property
    def profile(self) -> str | None:
        """The profile name these credentials were read from, if any."""
        return self.name


def require_str(entry: Mapping[str, Any], key: str, where: str) -> str:
    """A required, non-empty string field of a profile or tenant entry."""
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CredentialsError(f"{where}: the field {key!r} is missing")
    if not isinstance(value, str | int):
        raise CredentialsError(f"{where}: the field {key!r} must be a string")
    return str(value).strip()
