"""Tolerant Cortex models: what the server sends varies by endpoint and version, so we never crash on it.

* Nested fields arrive as objects or as JSON-encoded strings (`get_instances` sends
  `custom_resources_tags`, `collection_configuration`, `additional_capabilities` as strings; the docs
  show objects): both decode to the object; a string that is not JSON is kept as is.
* Timestamps arrive in milliseconds (`creation_time`, 13 digits) or seconds (`created_at` in the 1.2
  docs): a value below 10^11 is seconds. Models expose both the raw field and a `*_s` float in seconds.
* Enumerations (instance status, capability status, severities) are open: an unknown value is kept and
  logged once at DEBUG, never rejected.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

log = logging.getLogger("cortexkit.cortex")

SECONDS_BELOW = 10**11
"""An epoch value below this is seconds (10^11 s is the year 5138; 10^11 ms is 1973)."""


def epoch_seconds(value: Any) -> float | None:
    """Seconds since the epoch from a ms or s value (int, float or numeric string); None if unusable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if value <= 0:
        return None
    return float(value) if value < SECONDS_BELOW else value / 1000.0


def maybe_json(value: Any) -> Any:
    """An object, or a JSON-encoded string of one: the decoded object. Other strings stay as they are."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "[") or text in ("null", "true", "false"):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                return value
    return value


_seen_unknown: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


def note_unknown(kind: str, value: Any) -> None:
    """Log an enum value we do not know, once per (kind, value) per process, at DEBUG."""
    key = (kind, str(value))
    with _seen_lock:
        if key in _seen_unknown:
            return
        _seen_unknown.add(key)
    log.debug("unknown %s value %r kept as is", kind, value)


INSTANCE_STATUSES = frozenset(
    {"PENDING", "CONNECTED", "WARNING", "ERROR", "DISABLED", "ENABLED", "DELETED", "ACTIVE"}
)
"""Seen in the Go SDK's enums (first five), the 1.2 docs (ENABLED, DELETED) and SDK fixtures (ACTIVE)."""

ISSUE_SEVERITIES = frozenset({"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"})


class CapabilityStatus(IntEnum):
    """`security_capabilities[].status` (Terraform provider `securityCapabilityStatusToString`)."""

    CONNECTED = 0
    WARNING = 1
    DISABLED = 2
    ERROR = 3
    RETRIEVING = 4


def capability_label(code: Any) -> str:
    try:
        return CapabilityStatus(int(code)).name.capitalize()
    except (TypeError, ValueError):
        note_unknown("capability status", code)
        return "Unknown"


class CortexModel(BaseModel):
    """Undocumented fields are kept (`extra="allow"`); nothing is required that the server might omit."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def open_enum(kind: str, known: frozenset[str], value: Any) -> str | None:
    """An enum value as text, logged once when unknown; never rejected."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if text.upper() not in known:
        note_unknown(kind, value)
    return text


class Tag(CortexModel):
    key: str = ""
    value: str = ""


class Instance(CortexModel):
    """A row of `cloud_onboarding/get_instances` (Go SDK `ListIntegrationInstancesResponse`)."""

    instance_id: str = ""
    instance_name: str | None = None
    cloud_provider: str | None = None
    status: str | None = None
    scope: str | None = None
    scan_mode: str | None = None
    accounts: int | None = None
    account_name: str | None = None
    provisioning_method: str | None = None
    outpost_id: str | None = None
    creation_time: float | int | None = None
    is_pending_changes: int | bool | None = None
    custom_resources_tags: Any = None
    collection_configuration: Any = None
    additional_capabilities: Any = None

    @field_validator(
        "custom_resources_tags", "collection_configuration", "additional_capabilities", mode="before"
    )
    @classmethod
    def _nested(cls, value: Any) -> Any:
        return maybe_json(value)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        return open_enum("instance status", INSTANCE_STATUSES, value)

    @field_validator("instance_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        return "" if value is None else str(value)

    @property
    def created_s(self) -> float | None:
        """Creation time in seconds, from `creation_time` (ms) or the docs' `created_at` (s)."""
        if self.creation_time is not None:
            return epoch_seconds(self.creation_time)
        return epoch_seconds((self.model_extra or {}).get("created_at"))

    @property
    def id(self) -> str:
        return self.instance_id


class Capability(CortexModel):
    name: str = ""
    description: str | None = None
    status: int | None = None
    last_scan_coverage: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return capability_label(self.status)


class Scan(CortexModel):
    scan_method: str | None = None
    status_ui: int | None = None
    outpost_id: str | None = None


class InstanceDetails(CortexModel):
    """`cloud_onboarding/get_instance_details` (Go SDK `GetIntegrationInstanceResponse`)."""

    id: str = ""
    collector: str | None = None
    instance_name: str | None = None
    scope: str | None = None
    status: str | None = None
    cloud_provider: str | None = None
    upgrade_available: bool | None = None
    tags: list[Tag] = Field(default_factory=list)
    scan: Scan | None = None
    security_capabilities: list[Capability] = Field(default_factory=list)
    collection_configuration: Any = None
    additional_capabilities: Any = None

    @field_validator("collection_configuration", "additional_capabilities", mode="before")
    @classmethod
    def _nested(cls, value: Any) -> Any:
        return maybe_json(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        value = maybe_json(value)
        return value if isinstance(value, list) else []

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str | None:
        return open_enum("instance status", INSTANCE_STATUSES, value)

    @property
    def retrieving(self) -> bool:
        """Cortex is still fetching: some capability is at 4 (Retrieving)."""
        return any(c.status == CapabilityStatus.RETRIEVING for c in self.security_capabilities)


class CloudAccount(CortexModel):
    """A row of `cloud_onboarding/get_accounts`."""

    account_id: str = ""
    account_name: str | None = None
    status: str | None = None
    environment: str | None = None
    type: str | None = None
    created_at: Any = None

    @property
    def created_s(self) -> float | None:
        return epoch_seconds(self.created_at)


class TemplateLinks(CortexModel):
    """`create_instance_template` / `edit_instance`: `manual.ARM|TF|CF` (or the docs' `"TF/ARM"`)."""

    automated: dict[str, Any] | None = None
    manual: dict[str, Any] | None = None


class ApprovedTenant(CortexModel):
    tenant_id: str = ""
    is_still_approved: bool | None = None


class Region(CortexModel):
    name: str | None = None
    value: str | None = None


class IssueStatus(CortexModel):
    progress: str | None = None
    resolution_reason: str | None = None
    resolution_comment: str | None = None


class Issue(CortexModel):
    """A row of `issue/search` (fields from the platform schema via cortex-xdr-client's models)."""

    id: str | int = ""
    name: str | None = None
    description: str | None = None
    severity: str | None = None
    category: str | None = None
    domain: str | None = None
    status: IssueStatus | str | None = None
    observation_time: Any = None
    insert_time: Any = Field(default=None, alias="_insert_time")
    asset_ids: list[Any] = Field(default_factory=list)
    asset_names: list[Any] = Field(default_factory=list)
    assigned_to: str | None = None
    tags: list[Any] = Field(default_factory=list)

    @field_validator("status", mode="before")
    @classmethod
    def _nested(cls, value: Any) -> Any:
        return maybe_json(value)

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> str | None:
        return open_enum("issue severity", ISSUE_SEVERITIES, value)

    @property
    def observed_s(self) -> float | None:
        return epoch_seconds(self.observation_time)

    @property
    def progress(self) -> str | None:
        return self.status.progress if isinstance(self.status, IssueStatus) else self.status


class Asset(CortexModel):
    """A row of `POST /public_api/v1/assets`: `xdm.asset.*` keys kept verbatim."""

    def field(self, name: str) -> Any:
        extra = self.model_extra or {}
        return extra.get(name, extra.get(f"xdm.asset.{name}"))


class Standard(CortexModel):
    id: str | int | None = None
    name: str | None = None
    description: str | None = None
    labels: Any = None

    @field_validator("labels", mode="before")
    @classmethod
    def _nested(cls, value: Any) -> Any:
        return maybe_json(value)


class Control(CortexModel):
    id: str | int | None = None
    name: str | None = None
    category: str | None = None
    subcategory: str | None = None
    description: str | None = None


class AssessmentResult(CortexModel):
    pass


class AuditLog(CortexModel):
    """`audits/management_logs` rows: upper-case `AUDIT_*` keys (demisto test data)."""

    AUDIT_ID: int | str | None = None
    AUDIT_OWNER_NAME: str | None = None
    AUDIT_OWNER_EMAIL: str | None = None
    AUDIT_ENTITY: str | None = None
    AUDIT_ENTITY_SUBTYPE: str | None = None
    AUDIT_RESULT: str | None = None
    AUDIT_DESCRIPTION: str | None = None
    AUDIT_INSERT_TIME: Any = None

    @property
    def time_s(self) -> float | None:
        return epoch_seconds(self.AUDIT_INSERT_TIME)
