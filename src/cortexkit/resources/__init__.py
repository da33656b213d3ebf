"""Typed wrappers over the API areas. Each module builds pure `Call`s (request + parser) once; the sync
and async classes only send them: nothing else in the package builds a Prisma request (the raw `api`
command and pcpi's `session_loader.request` excepted; `tests/unit/test_architecture.py` checks it)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from cortexkit.resources.account_groups import AccountGroups, AsyncAccountGroups
from cortexkit.resources.alerts import Alerts, AsyncAlerts
from cortexkit.resources.azure import AsyncAzure, Azure
from cortexkit.resources.cloud_accounts import AsyncCloudAccounts, CloudAccounts
from cortexkit.resources.compute import AsyncCompute, Compute
from cortexkit.resources.policies import AsyncCompliance, AsyncPolicies, Compliance, Policies
from cortexkit.resources.search import AsyncAuditLogs, AsyncSearch, AuditLogs, Search
from cortexkit.resources.session import AsyncSession, Session

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import AsyncClient, Client

RESOURCE_NAMES = frozenset(
    {
        "cloud_accounts",
        "account_groups",
        "alerts",
        "policies",
        "compliance",
        "search",
        "audit_logs",
        "compute",
        "azure",
        "session",
    }
)


class SyncResources:
    """The resource attributes of a `Client`, created on first access."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @cached_property
    def cloud_accounts(self) -> CloudAccounts:
        return CloudAccounts(self._client)

    @cached_property
    def account_groups(self) -> AccountGroups:
        return AccountGroups(self._client)

    @cached_property
    def alerts(self) -> Alerts:
        return Alerts(self._client)

    @cached_property
    def policies(self) -> Policies:
        return Policies(self._client)

    @cached_property
    def compliance(self) -> Compliance:
        return Compliance(self._client)

    @cached_property
    def search(self) -> Search:
        return Search(self._client)

    @cached_property
    def audit_logs(self) -> AuditLogs:
        return AuditLogs(self._client)

    @cached_property
    def compute(self) -> Compute:
        return Compute(self._client)

    @cached_property
    def azure(self) -> Azure:
        return Azure(self._client)

    @cached_property
    def session(self) -> Session:
        return Session(self._client)


class AsyncResources:
    """The resource attributes of an `AsyncClient`."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @cached_property
    def cloud_accounts(self) -> AsyncCloudAccounts:
        return AsyncCloudAccounts(self._client)

    @cached_property
    def account_groups(self) -> AsyncAccountGroups:
        return AsyncAccountGroups(self._client)

    @cached_property
    def alerts(self) -> AsyncAlerts:
        return AsyncAlerts(self._client)

    @cached_property
    def policies(self) -> AsyncPolicies:
        return AsyncPolicies(self._client)

    @cached_property
    def compliance(self) -> AsyncCompliance:
        return AsyncCompliance(self._client)

    @cached_property
    def search(self) -> AsyncSearch:
        return AsyncSearch(self._client)

    @cached_property
    def audit_logs(self) -> AsyncAuditLogs:
        return AsyncAuditLogs(self._client)

    @cached_property
    def compute(self) -> AsyncCompute:
        return AsyncCompute(self._client)

    @cached_property
    def azure(self) -> AsyncAzure:
        return AsyncAzure(self._client)

    @cached_property
    def session(self) -> AsyncSession:
        return AsyncSession(self._client)
