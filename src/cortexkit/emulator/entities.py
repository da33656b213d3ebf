"""The tenant's records: cloud accounts, account groups, policies, resources, audit entries.

Accounts and groups are mutable (the onboarding and group routes change them); the rest is frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CloudAccount:
    """A cloud account (generated, or added through the onboarding routes)."""

    account_id: str
    name: str
    cloud_type: str
    account_type: str = "account"
    enabled: bool = True
    group_ids: list[str] = field(default_factory=list)
    added_on: int = 0
    last_modified_ts: int = 0
    last_modified_by: str = "alice@example.com"
    deployment_type: str = "azure"
    protection_mode: str = "MONITOR"
    regions: tuple[tuple[str, str], ...] = ()
    features: list[dict[str, str]] = field(default_factory=list)
    # Azure onboarding details; the client secret itself is never kept, only a fingerprint.
    tenant_id: str | None = None
    client_id: str | None = None
    service_principal_id: str | None = None
    key_fingerprint: str | None = None
    monitor_flow_logs: bool = False
    environment_type: str | None = None
    onboarded_at_ms: int | None = None
    storage_uuid: str = ""


@dataclass
class AccountGroup:
    id: str
    name: str
    description: str
    account_ids: list[str]
    auto_created: bool = False
    last_modified_ts: int = 0
    last_modified_by: str = "alice@example.com"


@dataclass(frozen=True)
class Requirement:
    standard_id: str
    standard_name: str
    standard_description: str
    requirement_id: str
    requirement_name: str
    section_id: str


@dataclass(frozen=True)
class Policy:
    policy_id: str
    name: str
    cloud_type: str
    severity: str
    api_name: str
    criteria: str
    created_on: int
    compliance: tuple[Requirement, ...]
    labels: tuple[str, ...]
    remediable: bool


@dataclass(frozen=True)
class Resource:
    id: str
    name: str
    cloud_type: str
    account_id: str
    account_name: str
    region_id: str
    region_name: str
    api_name: str
    resource_type: str
    service: str
    deleted: bool
    insert_ts: int
    created_ts: int
    tags: dict[str, str]
    data: dict[str, Any]
    # The network a resource sits in ("" for storage, IAM and the like, which have none).
    vpc_id: str = ""
    vpc_name: str = ""


@dataclass(frozen=True)
class AuditEntry:
    timestamp: int
    action: str
    action_type: str
    resource_name: str
    resource_type: str
    result: str
    user: str
    ip_address: str
