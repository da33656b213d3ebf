"""Checks a form must pass before a job exists: the secret its provisioner needs, and no duplicates.

A job that lacks its secret, or that names an account Prisma Cloud already has, can only fail (or, for
a subscription already onboarded, silently adopt someone else's account). The engine's `field_errors`
checks the shape of a request; these checks need what only the UI has at hand: whether a secret was
typed, and the tenant's account list (`GET /cloud`, the list the Cloud accounts page shows).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _field(item: Any, name: str) -> str:
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return str(value or "")


SECRET_PROVISIONERS = frozenset({"existing", "azure-api"})
"""Provisioners whose job signs in with a client secret given up front (the CLI asks for it too)."""

ACCOUNTS_TTL = 30.0
"""Seconds the live validation reuses an account list; a submit always reads it afresh."""


def secret_error(provisioner: str, secret_given: bool) -> str | None:
    """The client secret is required where the provisioner signs in with it."""
    if secret_given or provisioner not in SECRET_PROVISIONERS:
        return None
    if provisioner == "azure-api":
        return (
            "Required: the operator app's client secret (the app that may create app registrations "
            "and assign roles)."
        )
    return "Required: the app registration's client secret."


@dataclass(frozen=True)
class Onboarded:
    """The tenant's cloud accounts, indexed the two ways a new one may collide with them."""

    names: Mapping[str, str] = field(default_factory=dict)
    """account name -> its account id (names are unique across every cloud)."""
    azure_ids: Mapping[str, str] = field(default_factory=dict)
    """lower-cased Azure subscription or tenant id -> the account's name."""

    @classmethod
    def of(cls, accounts: Iterable[Any]) -> Onboarded:
        names: dict[str, str] = {}
        azure_ids: dict[str, str] = {}
        for account in accounts:
            name = _field(account, "name")
            account_id = _field(account, "accountId")
            if name:
                names[name] = account_id
            if account_id and _field(account, "cloudType").lower() == "azure":
                azure_ids[account_id.lower()] = name
        return cls(names, azure_ids)


def duplicate_errors(data: Mapping[str, Any], onboarded: Onboarded) -> dict[str, str]:
    """Field errors for a name or subscription (tenant) the tenant already has."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if name and name in onboarded.names:
        errors["name"] = (
            f"A cloud account named {name!r} already exists in Prisma Cloud (id "
            f"{onboarded.names[name] or 'unknown'}); choose another name."
        )
    tenant = data.get("account_type") == "tenant"
    key = "tenant_id" if tenant else "subscription_id"
    account_id = str(data.get(key) or "").strip().lower()
    if account_id and account_id in onboarded.azure_ids:
        what = "tenant" if tenant else "subscription"
        errors[key] = (
            f"This {what} is already onboarded as {onboarded.azure_ids[account_id]!r}; see the Cloud "
            "accounts page."
        )
    return errors


class OnboardedCache:
    """The account list per profile for the live validation, read at most every `ttl` seconds."""

    def __init__(self, ttl: float = ACCOUNTS_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Onboarded]] = {}

    def get(
        self, profile: str | None, read: Callable[[], Onboarded | None], fresh: bool = False
    ) -> Onboarded | None:
        key = profile or ""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and not fresh and now - entry[0] < self._ttl:
            return entry[1]
        found = read()
        if found is not None:
            with self._lock:
                self._entries[key] = (now, found)
        return found


def read_onboarded(client_factory: Callable[[str | None], Any], profile: str | None) -> Onboarded | None:
    """The tenant's accounts, or None when they cannot be listed (the checks are skipped, not failed)."""
    try:
        with client_factory(profile) as client:
            return Onboarded.of(client.cloud_accounts.list())
    except Exception:  # the API being down must not block the form; the engine checks again
        return None
