"""Pydantic models for the API objects the resources return. Field names follow the API (camelCase);
only the fields scripts commonly read are declared, everything else is kept as an extra."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cortexkit.resources._base import Model


class CloudAccount(Model):
    accountId: str | None = None
    name: str | None = None
    cloudType: str | None = None
    accountType: str | None = None
    enabled: bool | None = None
    groupIds: list[str] | None = None
    parentAccountId: str | None = None
    deploymentType: str | None = None
    status: str | None = None


class AccountName(Model):
    id: str | None = None
    name: str | None = None
    cloudType: str | None = None
    accountType: str | None = None
    parentAccountName: str | None = None


class AccountGroup(Model):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    accountIds: list[str] | None = None


class Alert(Model):
    id: str | None = None
    status: str | None = None
    reason: str | None = None
    policyId: str | None = None
    alertTime: int | None = None
    firstSeen: int | None = None
    lastSeen: int | None = None
    policy: dict[str, Any] | None = None
    resource: dict[str, Any] | None = None


class Policy(Model):
    policyId: str | None = None
    name: str | None = None
    policyType: str | None = None
    severity: str | None = None
    enabled: bool | None = None
    cloudType: str | None = None


class RqlResource(Model):
    id: str | None = None
    name: str | None = None
    accountId: str | None = None
    cloudType: str | None = None
    regionId: str | None = None
    resourceType: str | None = None
    rrn: str | None = None


class AuditLogEntry(Model):
    timestamp: int | None = None
    action: str | None = None
    actionType: str | None = None
    resourceName: str | None = None
    resourceType: str | None = None
    result: str | None = None
    user: str | None = None
    ipAddress: str | None = None


class SupportedFeatures(Model):
    cloudType: str | None = None
    deploymentType: str | None = None
    accountType: str | None = None
    licenseType: str | None = None
    supportedFeatures: list[str] = Field(default_factory=list)


class StatusMessage(Model):
    message: str | None = None
    staticMessage: bool | None = None


class AccountStatus(Model):
    """A component of a pre-flight check or of `config/status` (which nests `subComponents`)."""

    id: str | None = None
    name: str | None = None
    status: str | None = None
    message: str | None = None
    remediation: str | None = None
    statusMessage: StatusMessage | None = None
    subComponents: list[AccountStatus] | None = None


class AzureTemplate(Model):
    """The Terraform JSON template (`POST /cas/v1/azure_template`); its blocks are kept as extras."""


class CompliancePosture(Model):
    summary: dict[str, Any] | None = None
    complianceDetails: list[dict[str, Any]] = Field(default_factory=list)


class SessionInfo(Model):
    """What `/login` or `/auth_token/extend` says about the session; the token itself is never kept."""

    customerNames: list[Any] | None = None
    roles: list[Any] | None = None
