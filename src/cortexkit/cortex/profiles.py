"""Cortex profiles in the same `credentials.yml` as Prisma ones, marked `backend: cortex`.

The smallest hook into the profile store: entries are read and written through the store's file and
keyring (same 0600 checks, same atomic write, the key in the OS keyring under the profile's name).
Layout: `{backend: cortex, api_url, api_key_id: <int>, api_key_type, verify, secret_storage}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cortexkit._redact import Secret
from cortexkit.cortex.auth import parse_key_type
from cortexkit.cortex.credentials import CortexCredentials
from cortexkit.errors import CredentialsError

BACKEND = "cortex"


def _store(store: Any, env: Mapping[str, str] | None) -> Any:
    if store is not None:
        return store
    from cortexkit.credentials import ProfileStore

    return ProfileStore(env=env)


def is_cortex_entry(entry: Any) -> bool:
    return isinstance(entry, Mapping) and entry.get("backend") == BACKEND


def profile_backend(
    name: str | None, *, store: Any = None, env: Mapping[str, str] | None = None
) -> str | None:
    """`"cortex"`, `"prisma"`, or None when there is no such profile (or no name and no default)."""
    st = _store(store, env)
    data = st.document()
    name = name or data.get("default")
    if not name:
        return None
    entry = data["profiles"].get(name)
    if entry is None:
        return None
    return BACKEND if is_cortex_entry(entry) else "prisma"


def cortex_key(
    name: str, *, store: Any = None, env: Mapping[str, str] | None = None
) -> tuple[int, str] | None:
    """The key ID and type of Cortex profile `name` (for listings); None when it is not a Cortex one."""
    entry = _store(store, env).document()["profiles"].get(name)
    if not is_cortex_entry(entry):
        return None
    return int(entry.get("api_key_id") or 0), str(entry.get("api_key_type", "advanced"))


def load_profile(
    name: str | None, *, store: Any = None, env: Mapping[str, str] | None = None
) -> CortexCredentials | None:
    """The Cortex credentials of profile `name` (or the default profile); None when it is not a Cortex one."""
    st = _store(store, env)
    data = st.document()
    name = name or data.get("default")
    if not name:
        return None
    entry = data["profiles"].get(name)
    if entry is None:
        raise CredentialsError(f"no profile {name!r} in {st.path}")
    if not is_cortex_entry(entry):
        return None
    where = f"{st.path}: profile {name!r}"
    key = (
        entry.get("api_key")
        if entry.get("secret_storage", "keyring") == "file"
        else st.keyring_secret(name, where)
    )
    if not key:
        raise CredentialsError(f"{where}: the API key is not stored (add the profile again)")
    try:
        return CortexCredentials(
            str(entry.get("api_url", "")),
            entry.get("api_key_id"),
            Secret(str(key)),
            parse_key_type(str(entry.get("api_key_type", "advanced"))),
            entry.get("verify", True),
            name=name,
            source=f"profile {name!r}",
        )
    except (CredentialsError, ValueError) as exc:
        raise CredentialsError(f"{where}: {exc}") from None


def add_profile(
    name: str,
    creds: CortexCredentials,
    *,
    store: Any = None,
    insecure_storage: bool = False,
    make_default: bool | None = None,
) -> str:
    """Save a Cortex profile; returns where the key went ("keyring" or "file")."""
    st = _store(store, None)
    if not name or not name.strip() or any(c in name for c in "\n\r:"):
        raise CredentialsError(f"invalid profile name {name!r}")
    data = st.document()
    entry: dict[str, Any] = {
        "backend": BACKEND,
        "api_url": creds.api_url,
        "api_key_id": creds.api_key_id,
        "api_key_type": creds.api_key_type,
        "verify": creds.verify,
    }
    if st.keyring_available and not insecure_storage:
        st.keep_in_keyring(name, creds.api_key.get_secret_value())
        entry["secret_storage"] = "keyring"
    elif insecure_storage:
        entry["secret_storage"] = "file"
        entry["api_key"] = creds.api_key.get_secret_value()
    else:
        raise CredentialsError(
            "no OS keyring is available to hold the API key; use --insecure-storage to keep it in "
            f"{st.path} (mode 0600), or use the CORTEXCLOUD_* environment variables"
        )
    data["profiles"][name] = entry
    if make_default or (make_default is None and not data["default"]):
        data["default"] = name
    st.save_document(data)
    return str(entry["secret_storage"])
