"""The Cortex resources, one module per API area; the only builders of Cortex requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cortexkit.cortex.resources.assets import Assets, AsyncAssets
from cortexkit.cortex.resources.audit_logs import AsyncAuditLogs, AuditLogs
from cortexkit.cortex.resources.cloud_onboarding import AsyncCloudOnboarding, CloudOnboarding
from cortexkit.cortex.resources.compliance import AsyncCompliance, Compliance
from cortexkit.cortex.resources.issues import AsyncIssues, Issues
from cortexkit.cortex.resources.system import AsyncSystem, System

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.cortex.resources._base import AsyncSender, Sender


class CortexResources:
    def __init__(self, client: Sender) -> None:
        self.cloud_onboarding = CloudOnboarding(client)
        self.issues = Issues(client)
        self.assets = Assets(client)
        self.compliance = Compliance(client)
        self.audit_logs = AuditLogs(client)
        self.system = System(client)


class AsyncCortexResources:
    def __init__(self, client: AsyncSender) -> None:
        self.cloud_onboarding = AsyncCloudOnboarding(client)
        self.issues = AsyncIssues(client)
        self.assets = AsyncAssets(client)
        self.compliance = AsyncCompliance(client)
        self.audit_logs = AsyncAuditLogs(client)
        self.system = AsyncSystem(client)
