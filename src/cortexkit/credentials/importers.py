"""Importers for the peers' credential files: pcpi 1.x's and prismacloud-api's `credentials.json`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from cortexkit._redact import Secret
from cortexkit.credentials.model import Credentials, parse_verify, require_str
from cortexkit.errors import ConfigurationError, CredentialsError

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
    url = require_str(entry, "url", where)
    identity = require_str(entry, "identity", where)
    secret = require_str(entry, "secret", where)
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
