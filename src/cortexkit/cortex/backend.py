"""One small interface over both dialects for the jobs they share: who am I, cloud accounts, alerts.

The CLI, the web UI and the engine ask a `Backend` for these three things and get the same plain rows
from a Prisma tenant (accounts, alerts) or a Cortex one (instances and their accounts, issues). Anything
else stays on the dialect's own resources (`backend.client`). The row builders and the choice of dialect
are pure functions, so both are tested without a server.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from cortexkit import errors
from cortexkit.cortex.models import epoch_seconds

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import Client
    from cortexkit.cortex.client import CortexClient
    from cortexkit.cortex.models import CloudAccount as CortexAccount
    from cortexkit.cortex.models import Instance, Issue
    from cortexkit.credentials import Credentials
    from cortexkit.resources.models import Alert, CloudAccount

log = logging.getLogger("cortexkit.cortex.backend")

Dialect = Literal["prisma", "cortex"]
DIALECTS: tuple[Dialect, ...] = ("prisma", "cortex")


@dataclass(frozen=True)
class Identity:
    """Who the credentials are and where they reach (never the secret)."""

    dialect: Dialect
    api_url: str
    key_id: str
    key_type: str | None = None
    tenant: str | None = None
    region: str | None = None
    role: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AccountRow:
    """A cloud account: a Prisma account, or an account of a Cortex integration instance."""

    dialect: Dialect
    account_id: str
    name: str | None
    cloud: str | None
    status: str | None
    enabled: bool | None
    parent_id: str | None = None
    parent_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AlertRow:
    """A Prisma alert or a Cortex issue, reduced to what a triage list shows."""

    dialect: Dialect
    id: str
    status: str | None
    severity: str | None
    name: str | None
    resource: str | None
    time: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Backend(Protocol):
    dialect: Dialect
    api_url: str

    def whoami(self) -> Identity: ...

    def cloud_accounts(
        self, *, cloud: str | None = None, max_items: int | None = None
    ) -> Iterator[AccountRow]: ...

    def alerts(self, *, status: str | None = "open", max_items: int | None = None) -> Iterator[AlertRow]: ...

    def close(self) -> None: ...


# -- choosing the dialect ----------------------------------------------------------------------------------
def prisma_env_present(env: Mapping[str, str]) -> bool:
    from cortexkit.credentials import ENV_SOURCES

    return any(env.get(url) or env.get(key) for url, key, _secret, _verify in ENV_SOURCES)


def choose_dialect(
    *,
    explicit: str | None,
    named_profile: str | None,
    prisma_env: bool,
    cortex_env: bool,
    default_profile: str | None = None,
) -> Dialect:
    """`--backend` > the dialect of the profile named by `--profile`/`CORTEXKIT_PROFILE` > the only
    dialect whose variables are set > the default profile's dialect > Prisma.

    Both sets of variables and nothing to say which is ambiguous: refuse rather than guess.
    """
    if explicit is not None:
        value = explicit.strip().lower()
        if value not in DIALECTS:
            raise errors.ConfigurationError(f"unknown backend {explicit!r}: use prisma or cortex")
        return "cortex" if value == "cortex" else "prisma"
    if named_profile in DIALECTS:
        return "cortex" if named_profile == "cortex" else "prisma"
    if prisma_env and cortex_env:
        raise errors.ConfigurationError(
            "both PRISMA_* and CORTEXCLOUD_* credentials are set and no profile says which to use: "
            "pass --profile NAME or --backend prisma|cortex"
        )
    if cortex_env:
        return "cortex"
    if prisma_env:
        return "prisma"
    return "cortex" if default_profile == "cortex" else "prisma"


def dialect_for(
    *, backend: str | None = None, profile: str | None = None, env: Mapping[str, str] | None = None
) -> Dialect:
    """The dialect the caller's options, profiles and environment select (reads the profiles file)."""
    from cortexkit.cortex.credentials import env_present
    from cortexkit.cortex.profiles import profile_backend

    env = os.environ if env is None else env
    name = profile or env.get("CORTEXKIT_PROFILE") or None
    named = profile_backend(name, env=env) if name and backend is None else None
    default = profile_backend(None, env=env) if not name and backend is None else None
    return choose_dialect(
        explicit=backend,
        named_profile=named,
        prisma_env=prisma_env_present(env),
        cortex_env=env_present(env),
        default_profile=default,
    )


def open_backend(
    *, backend: str | None = None, profile: str | None = None, env: Mapping[str, str] | None = None
) -> Backend:
    """A `Backend` on the selected dialect's client; close it (or use `with`) when done."""
    dialect = dialect_for(backend=backend, profile=profile, env=env)
    if dialect == "cortex":
        from cortexkit.cortex.client import CortexClient

        return CortexBackend(CortexClient(profile=profile))
    from cortexkit.client import Client
    from cortexkit.credentials import load_credentials

    credentials = load_credentials(profile)
    return PrismaBackend(Client(credentials), credentials)


# -- rows ---------------------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def prisma_account_row(account: CloudAccount) -> AccountRow:
    return AccountRow(
        "prisma",
        account.accountId or "",
        account.name,
        _text(account.cloudType),
        _text(account.status),
        account.enabled,
        parent_id=account.parentAccountId,
    )


def cortex_account_row(instance: Instance, account: CortexAccount) -> AccountRow:
    status = _text(account.status)
    return AccountRow(
        "cortex",
        account.account_id,
        account.account_name,
        _text(instance.cloud_provider),
        status,
        None if status is None else status.upper() != "DISABLED",
        parent_id=instance.instance_id,
        parent_name=instance.instance_name,
    )


def _names(items: Any, *keys: str) -> str | None:
    """`[{"customerName": "acme"}, ...]` (or plain strings) as "acme, ..."; None when there is none."""
    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        value = next((item.get(k) for k in keys if item.get(k)), None) if isinstance(item, Mapping) else item
        if value:
            found.append(str(value))
    return ", ".join(found) or None


def _policy(alert: Alert) -> Mapping[str, Any]:
    return alert.policy if isinstance(alert.policy, Mapping) else {}


def prisma_alert_row(alert: Alert) -> AlertRow:
    resource = alert.resource if isinstance(alert.resource, Mapping) else {}
    return AlertRow(
        "prisma",
        alert.id or "",
        _text(alert.status),
        _text(_policy(alert).get("severity")),
        _text(_policy(alert).get("name")),
        _text(resource.get("name") or resource.get("id")),
        epoch_seconds(alert.alertTime),
    )


def cortex_issue_row(issue: Issue) -> AlertRow:
    status = issue.status.progress if not isinstance(issue.status, str | None) else issue.status
    names = [str(n) for n in issue.asset_names if n]
    return AlertRow(
        "cortex",
        str(issue.id),
        _text(status),
        _text(issue.severity),
        issue.name,
        ", ".join(names) or None,
        epoch_seconds(issue.observation_time) or epoch_seconds(issue.insert_time),
    )


# -- the two backends ---------------------------------------------------------------------------------------
PRISMA_OPEN = {"open": "open", "resolved": "resolved", "dismissed": "dismissed", "snoozed": "snoozed"}
CORTEX_PROGRESS = {"open": ["NEW", "IN_PROGRESS"], "resolved": ["RESOLVED"]}


class PrismaBackend:
    dialect: Dialect = "prisma"

    def __init__(self, client: Client, credentials: Credentials) -> None:
        self.client = client
        self.credentials = credentials
        self.api_url = client.api_url

    def whoami(self) -> Identity:
        from cortexkit.regions import region_name
        from cortexkit.resources.session import Session

        creds = self.credentials
        secret = creds.secret_key.get_secret_value()
        info = Session(self.client).login(creds.access_key_id, secret)  # a login: proves the key pair works
        return Identity(
            "prisma",
            self.api_url,
            creds.access_key_id,
            tenant=_names(info.customerNames, "customerName"),
            region=region_name(self.api_url),
            role=_names(info.roles, "roleName", "name"),
            source=creds.source,
        )

    def cloud_accounts(
        self, *, cloud: str | None = None, max_items: int | None = None
    ) -> Iterator[AccountRow]:
        count = 0
        for account in self.client.cloud_accounts.list(exclude_group_details=True):
            if cloud and str(account.cloudType or "").lower() != cloud.lower():
                continue
            if max_items is not None and count >= max_items:
                return
            count += 1
            yield prisma_account_row(account)

    def alerts(self, *, status: str | None = "open", max_items: int | None = None) -> Iterator[AlertRow]:
        filters: dict[str, str] | None = None
        if status:
            if status.lower() not in PRISMA_OPEN:
                raise errors.ConfigurationError(
                    f"unknown alert status {status!r}: use {', '.join(PRISMA_OPEN)}"
                )
            filters = {"alert.status": PRISMA_OPEN[status.lower()]}
        for alert in self.client.alerts.iterate(filters=filters, max_items=max_items):
            yield prisma_alert_row(alert)

    def close(self) -> None:
        self.client.close()


class CortexBackend:
    dialect: Dialect = "cortex"

    def __init__(self, client: CortexClient) -> None:
        self.client = client
        self.api_url = client.api_url

    def whoami(self) -> Identity:
        creds = self.client.credentials
        self.client.system.validate_key()
        tenant = role = region = None
        try:
            info = self.client.system.tenant_info()
        except errors.APIError as exc:  # an older tenant, or a role that may not read it: still a good key
            log.debug("get_tenant_info failed (%s); identity without tenant details", exc.status)
        else:
            tenant = _text(info.get("tenant_name") or info.get("tenant_id"))
            role = _text(info.get("api_key_role"))
            region = _text(info.get("region"))
        return Identity(
            "cortex",
            self.api_url,
            str(creds.api_key_id),
            key_type=creds.api_key_type,
            tenant=tenant,
            region=region,
            role=role,
            source=creds.source,
        )

    def cloud_accounts(
        self, *, cloud: str | None = None, max_items: int | None = None
    ) -> Iterator[AccountRow]:
        onboarding = self.client.cloud_onboarding
        filters: dict[str, Any] = {"cloud_provider": cloud.upper()} if cloud else {}
        count = 0
        for instance in onboarding.instances(**filters):
            for account in onboarding.accounts(instance.instance_id):
                if max_items is not None and count >= max_items:
                    return
                count += 1
                yield cortex_account_row(instance, account)

    def alerts(self, *, status: str | None = "open", max_items: int | None = None) -> Iterator[AlertRow]:
        wanted = None
        if status:
            if status.lower() not in CORTEX_PROGRESS:
                raise errors.ConfigurationError(
                    f"unknown issue status {status!r}: use {', '.join(CORTEX_PROGRESS)}"
                )
            wanted = CORTEX_PROGRESS[status.lower()]
        for issue in self.client.issues.search(status=wanted, max_items=max_items):
            yield cortex_issue_row(issue)

    def close(self) -> None:
        self.client.close()
