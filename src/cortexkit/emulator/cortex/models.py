"""The Cortex side of the emulated tenant: state only, no HTTP (moto's models/responses split).

Generated from the emulator's seed, so two runs with the same seed serve the same instances, accounts,
issues, assets, standards and audit entries. Time-dependent behaviour reads the emulator clock:
capability statuses of a fresh instance move from 4 (Retrieving) to their settled codes after
`status_delay` seconds, and template links expire 7 days after they were made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from ..config import EmulatorConfig
from .keys import NonceMemory

LINK_LIFETIME = 7 * 24 * 3600.0
"""Signed template links expire after 7 days (the 1.2 docs' outpost example: Expires = created + 604800)."""

CAPABILITIES = (
    ("PERMISSIONS", "Permissions"),
    ("DISCOVERY", "Discovery Engine"),
    ("ADS", "Agentless Disk Scanning"),
    ("DSPM", "Data Security Posture Management"),
    ("AUDIT_LOGS", "Audit Logs"),
    ("REGISTRY", "Registry Scanning"),
    ("SERVERLESS", "Serverless Scanning"),
    ("IDENTITY_SECURITY", "Identity Security"),
)
AZURE_REGIONS = (
    ("East US", "eastus"),
    ("East US 2", "eastus2"),
    ("West US 2", "westus2"),
    ("West Europe", "westeurope"),
    ("North Europe", "northeurope"),
    ("UK South", "uksouth"),
    ("Germany West Central", "germanywestcentral"),
    ("Australia East", "australiaeast"),
    ("Japan East", "japaneast"),
    ("Southeast Asia", "southeastasia"),
)
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL", "INFO")
PROGRESS = ("NEW", "IN_PROGRESS", "RESOLVED")
ISSUE_NAMES = (
    "Storage account allows public blob access",
    "Network security group allows SSH from the internet",
    "Key Vault purge protection disabled",
    "SQL server auditing disabled",
    "Virtual machine disk not encrypted with customer-managed key",
    "Activity log retention shorter than 365 days",
    "App Service does not enforce HTTPS",
    "Storage account does not require secure transfer",
)
DETECTION = ("CSPM_SCANNER", "CAS_IAC_SCANNER", "CAS_SECRET_SCANNER", "XDR_ANALYTICS")


def _hex(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(32))


@dataclass
class CortexInstance:
    id: str
    name: str
    provider: str
    scope: str
    status: str
    created: float  # epoch seconds
    organization_id: str
    accounts: list[dict[str, Any]] = field(default_factory=list)
    settled: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0, 0)
    enabled: bool = True
    scan_mode: str = "MANAGED"
    tags: list[dict[str, str]] = field(
        default_factory=lambda: [{"key": "managed_by", "value": "paloaltonetworks"}]
    )
    collection: dict[str, Any] = field(
        default_factory=lambda: {
            "audit_logs": {"enabled": True, "collection_method": "AUTOMATED", "data_events": False}
        }
    )
    capabilities_on: dict[str, Any] = field(
        default_factory=lambda: {
            "xsiam_analytics": True,
            "data_security_posture_management": False,
            "registry_scanning": True,
            "registry_scanning_options": {"type": "ALL"},
            "serverless_scanning": True,
            "agentless_disk_scanning": True,
        }
    )
    pending_changes: int = 0
    scope_modifications: dict[str, Any] = field(default_factory=dict)
    connected_at: float | None = None  # when a deployment of its template succeeded (emulator clock)
    messages: dict[str, str] = field(default_factory=dict)  # capability name -> Cortex's message


OUTCOME_CODES = {"Connected": 0, "Warning": 1, "Error": 3}
OFF_WHEN = {
    "DSPM": "data_security_posture_management",
    "REGISTRY": "registry_scanning",
    "SERVERLESS": "serverless_scanning",
    "ADS": "agentless_disk_scanning",
}


@dataclass(frozen=True)
class Outcome:
    """How a connect settles: every capability Connected, or one of them at Warning/Error with a message."""

    status: str  # "Connected" | "Warning" | "Error"
    capability: str | None = None  # default: AUDIT_LOGS for a Warning, PERMISSIONS for an Error
    message: str | None = None

    def __post_init__(self) -> None:
        if self.status not in OUTCOME_CODES:
            raise ValueError(f"status must be one of {', '.join(OUTCOME_CODES)}, not {self.status!r}")
        names = [n for n, _ in CAPABILITIES]
        if self.capability is not None and self.capability not in names:
            raise ValueError(f"capability must be one of {', '.join(names)}, not {self.capability!r}")

    def settle(self, inst: CortexInstance) -> tuple[tuple[int, ...], dict[str, str]]:
        """The settled codes (Disabled for what the instance turned off) and the capability messages."""
        on = inst.capabilities_on if isinstance(inst.capabilities_on, dict) else {}
        audit = (inst.collection or {}).get("audit_logs") if isinstance(inst.collection, dict) else None
        codes = []
        for name, _ in CAPABILITIES:
            off = (name in OFF_WHEN and on.get(OFF_WHEN[name]) is False) or (
                name == "AUDIT_LOGS" and isinstance(audit, dict) and audit.get("enabled") is False
            )
            codes.append(2 if off else 0)
        if self.status == "Connected":
            return tuple(codes), {}
        target = self.capability or ("AUDIT_LOGS" if self.status == "Warning" else "PERMISSIONS")
        index = [n for n, _ in CAPABILITIES].index(target)
        codes[index] = OUTCOME_CODES[self.status]
        text = (
            self.message
            or f"{target}: Cortex reported {self.status} (planted by the emulator's control plane)"
        )
        return tuple(codes), {target: text}

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "capability": self.capability, "message": self.message}


class CortexTenant:
    """Everything the Cortex routes read and change, plus the key checks' memory and the rate bucket."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.nonces = NonceMemory()
        self.auth_failures: dict[str, int] = {}
        self.licensed = True
        self.role = "admin"  # "admin" | "read_only" | "none"
        self.started = clock.now()
        rng = random.Random(f"cortex-{config.seed}")
        self.link_secret = hashlib.sha256(f"links-{config.seed}-{config.jwt_secret}".encode()).hexdigest()
        self.instances: dict[str, CortexInstance] = {}
        self._generate_instances(rng)
        self.issue_count = config.cortex_issues
        self.issue_changes: dict[str, dict[str, Any]] = {}
        self.assets = self._generate_assets(rng)
        self.approved_tenants = [
            {"tenant_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "is_still_approved": True},
            {"tenant_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "is_still_approved": True},
            {"tenant_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "is_still_approved": False},
        ]
        self.audit = self._generate_audit(rng)
        # How the next connect (or the connect of a named instance) settles; see `connect`.
        self.next_outcome: Outcome | None = None
        self.outcomes_by_name: dict[str, Outcome] = {}
        self.deployments_seen = 0  # how many of the ARM side's finished runs were looked at

    # -- generation ---------------------------------------------------------------------------------------
    def _generate_instances(self, rng: random.Random) -> None:
        now = self.started
        plan = [
            ("azure-prod-tenant", "AZURE", "ORGANIZATION", "CONNECTED", 40),
            ("azure-dev-mg", "AZURE", "ACCOUNT_GROUP", "WARNING", 30),
            ("azure-sandbox-sub", "AZURE", "ACCOUNT", "ERROR", 20),
            ("aws-org-main", "AWS", "ORGANIZATION", "CONNECTED", 60),
            ("gcp-analytics", "GCP", "ACCOUNT", "DISABLED", 10),
            ("azure-new-sub", "AZURE", "ACCOUNT", "CONNECTED", 0),  # fresh: capabilities still Retrieving
            ("azure-pending", "AZURE", "ACCOUNT", "PENDING", 0),
        ]
        for name, provider, scope, status, age_days in plan[: max(2, self.config.cortex_instances)]:
            inst = CortexInstance(
                id=_hex(rng),
                name=name,
                provider=provider,
                scope=scope,
                status=status,
                created=now - age_days * 86400 - rng.randint(0, 3600) if age_days else now - 10,
                organization_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            )
            settled = [0] * len(CAPABILITIES)
            if status == "WARNING":
                settled[4] = 1
            if status == "ERROR":
                settled[0] = 3
            if status == "DISABLED":
                settled = [2] * len(CAPABILITIES)
            settled[5] = 2 if not inst.capabilities_on["registry_scanning"] else settled[5]
            inst.settled = tuple(settled)
            inst.enabled = status != "DISABLED"
            count = {"ORGANIZATION": rng.randint(12, 40), "ACCOUNT_GROUP": rng.randint(3, 10), "ACCOUNT": 1}[
                scope
            ]
            if status == "PENDING":
                count = 0
            for i in range(count):
                sub = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                inst.accounts.append(
                    {
                        "account_id": sub,
                        "account_name": f"{name}-{i + 1:02d}" if scope != "ACCOUNT" else name,
                        "status": "ACTIVE" if i % 9 != 8 else "DISABLED",
                        "environment": "COMMERCIAL",
                        "type": {"AZURE": "SUBSCRIPTION", "AWS": "ACCOUNT", "GCP": "PROJECT"}[provider],
                        "created_at": str(int(inst.created + 3600 + i * 60)),
                    }
                )
            self.instances[inst.id] = inst

    def _generate_assets(self, rng: random.Random) -> list[dict[str, Any]]:
        kinds = [
            ("Storage Account", "Storage", "AZURE"),
            ("Virtual Machine", "Compute", "AZURE"),
            ("Key Vault", "Security", "AZURE"),
            ("S3 Bucket", "Storage", "AWS"),
            ("EC2 Instance", "Compute", "AWS"),
            ("GCS Bucket", "Storage", "GCP"),
        ]
        out = []
        for i in range(self.config.cortex_assets):
            name, category, provider = kinds[i % len(kinds)]
            region = (
                AZURE_REGIONS[rng.randrange(len(AZURE_REGIONS))][1]
                if provider == "AZURE"
                else rng.choice(["us-east-1", "eu-west-1", "us-central1"])
            )
            first = int((self.started - rng.randint(1, 300) * 86400) * 1000)
            out.append(
                {
                    "xdm.asset.id": _hex(rng),
                    "xdm.asset.name": f"{name.lower().replace(' ', '-')}-{i:04d}",
                    "xdm.asset.type.name": name,
                    "xdm.asset.type.category": category,
                    "xdm.asset.type.class": "Cloud Resource",
                    "xdm.asset.provider": provider,
                    "xdm.asset.realm": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "xdm.asset.cloud.region": region,
                    "xdm.asset.tags": [{"key": "env", "value": rng.choice(["prod", "dev", "test"])}],
                    "xdm.asset.group_ids": [],
                    "xdm.asset.first_observed": first,
                    "xdm.asset.last_observed": first + rng.randint(1, 200) * 3600_000,
                }
            )
        return out

    def _generate_audit(self, rng: random.Random) -> list[dict[str, Any]]:
        entities = [
            ("AUTH", "Login"),
            ("INTEGRATIONS", "Create"),
            ("INTEGRATIONS", "Edit"),
            ("API_KEY", "Create"),
            ("ISSUES", "Update"),
            ("DATA_SOURCES", "Disable"),
        ]
        out = []
        for i in range(self.config.cortex_audit_logs):
            entity, subtype = entities[rng.randrange(len(entities))]
            user = rng.choice(["alice", "bob", "carol", "svc-terraform"])
            out.append(
                {
                    "AUDIT_ID": 10_000 + i,
                    "AUDIT_OWNER_NAME": user,
                    "AUDIT_OWNER_EMAIL": f"{user}@example.com",
                    "AUDIT_ASSET_JSON": None,
                    "AUDIT_ASSET_NAMES": "",
                    "AUDIT_HOSTNAME": None,
                    "AUDIT_RESULT": "SUCCESS" if rng.random() > 0.07 else "FAIL",
                    "AUDIT_REASON": None,
                    "AUDIT_DESCRIPTION": f"{subtype} {entity.lower().replace('_', ' ')}",
                    "AUDIT_ENTITY": entity,
                    "AUDIT_ENTITY_SUBTYPE": subtype,
                    "AUDIT_SESSION_ID": None,
                    "AUDIT_CASE_ID": None,
                    "AUDIT_INSERT_TIME": int((self.started - i * 1800 - rng.randint(0, 900)) * 1000),
                }
            )
        return out

    # -- instances ----------------------------------------------------------------------------------------
    def capability_codes(self, inst: CortexInstance) -> list[int]:
        """Retrieving (4) for `status_delay` seconds after creation, then the settled codes."""
        since = inst.created if inst.connected_at is None else inst.connected_at
        if inst.status == "PENDING" or self.clock.now() - since < self.config.status_delay:
            return [4] * len(CAPABILITIES)
        return list(inst.settled)

    def status_of(self, inst: CortexInstance) -> str:
        """The row status: a deployed instance shows CONNECTED while Retrieving, then what it settled to."""
        if not inst.enabled and inst.status != "PENDING":
            return "DISABLED"
        if inst.connected_at is None or 4 in self.capability_codes(inst):
            return inst.status
        codes = inst.settled
        return "ERROR" if 3 in codes else "WARNING" if 1 in codes else "CONNECTED"

    def connect(self, inst: CortexInstance, at: float, subscriptions: list[dict[str, str]]) -> None:
        """A deployment of the instance's template succeeded at `at`: CONNECTED, capabilities Retrieving
        for `status_delay`, then settled as the control plane asked (Connected unless told otherwise); the
        subscriptions under the deployment's scope (minus the instance's exclusions) become its accounts."""
        first = inst.status == "PENDING"
        if first:
            outcome = self.outcomes_by_name.pop(inst.name, None) or self.next_outcome or Outcome("Connected")
            if outcome is self.next_outcome:
                self.next_outcome = None
            inst.status = "CONNECTED"
            inst.connected_at = at
            inst.settled, inst.messages = outcome.settle(inst)
        inst.pending_changes = 0
        mods = (
            inst.scope_modifications.get("subscriptions")
            if isinstance(inst.scope_modifications, dict)
            else None
        )
        mods = mods if isinstance(mods, dict) else {}
        ids = mods.get("subscription_ids")
        listed = {str(i) for i in ids} if mods.get("enabled") and isinstance(ids, list) else None
        known = {a["account_id"]: a for a in inst.accounts}
        accounts = []
        for sub in subscriptions:
            if listed is not None and (sub["id"] in listed) != (
                str(mods.get("type", "")).upper() == "INCLUDE"
            ):
                continue
            accounts.append(
                known.get(sub["id"])
                or {
                    "account_id": sub["id"],
                    "account_name": sub["name"],
                    "status": "ACTIVE",
                    "environment": "COMMERCIAL",
                    "type": "SUBSCRIPTION",
                    "created_at": str(int(at)),
                }
            )
        inst.accounts = accounts

    def instance_row(self, inst: CortexInstance) -> dict[str, Any]:
        """A `get_instances` row as the Go SDK reads it: nested fields as JSON strings, time in ms."""
        return {
            "instance_id": inst.id,
            "instance_name": inst.name,
            "cloud_provider": inst.provider,
            "accounts": len(inst.accounts),
            "account_name": inst.accounts[0]["account_name"] if len(inst.accounts) == 1 else "",
            "scope": inst.scope,
            "scan_mode": inst.scan_mode,
            "custom_resources_tags": json.dumps(inst.tags),
            "provisioning_method": {"AZURE": "ARM", "AWS": "CF", "GCP": "TF"}[inst.provider],
            "collection_configuration": json.dumps(inst.collection),
            "additional_capabilities": json.dumps(inst.capabilities_on),
            "status": self.status_of(inst),
            "deleted_at": 0,
            "outpost_id": "",
            "creation_time": int(inst.created * 1000),
            "update_status": "",
            "is_pending_changes": inst.pending_changes,
        }

    def instance_details(self, inst: CortexInstance) -> dict[str, Any]:
        codes = self.capability_codes(inst)
        caps = []
        for (name, description), code in zip(CAPABILITIES, codes, strict=True):
            cap: dict[str, Any] = {"name": name, "description": description, "status": code}
            if code in (1, 3) and name in inst.messages:
                cap["message"] = inst.messages[name]
            if name == "ADS":
                cap["last_scan_coverage"] = {
                    "excluded": 0,
                    "issues": 0,
                    "pending": 0,
                    "success": 0 if code else len(inst.accounts),
                    "unsupported": 0,
                }
            caps.append(cap)
        return {
            "id": inst.id,
            "collector": inst.provider,
            "instance_name": inst.name,
            "scope": inst.scope,
            "tags": inst.tags,
            "scan": {
                "scan_method": inst.scan_mode,
                "status_ui": max(codes) if codes else 0,
                "outpost_id": "",
            },
            "security_capabilities": caps,
            "status": "ENABLED" if inst.enabled else "DISABLED",
            "cloud_provider": inst.provider,
            "upgrade_available": False,
            "collection_configuration": json.dumps(inst.collection),
            "additional_capabilities": json.dumps(inst.capabilities_on),
        }

    def create_template(self, data: dict[str, Any], base_url: str) -> tuple[CortexInstance, dict[str, Any]]:
        """A new PENDING instance and its signed, expiring download links."""
        with self.lock:
            rng = random.Random(f"{self.config.seed}-{len(self.instances)}-{self.clock.now()}")
            provider = str(data.get("cloud_provider", "AZURE")).upper()
            org = (data.get("account_details") or {}).get("organization_id") or ""
            inst = CortexInstance(
                id=_hex(rng),
                name=str(data.get("instance_name") or f"{provider.lower()}-{len(self.instances)}"),
                provider=provider,
                scope=str(data.get("scope", "ACCOUNT")).upper(),
                status="PENDING",
                created=self.clock.now(),
                organization_id=str(org),
            )
            tags = list(data.get("custom_resources_tags") or [])
            if not any(t.get("key") == "managed_by" for t in tags if isinstance(t, dict)):
                tags.append({"key": "managed_by", "value": "paloaltonetworks"})
            inst.tags = tags
            if isinstance(data.get("collection_configuration"), dict):
                inst.collection = data["collection_configuration"]
            if isinstance(data.get("additional_capabilities"), dict):
                inst.capabilities_on = data["additional_capabilities"]
            if isinstance(data.get("scope_modifications"), dict):
                inst.scope_modifications = data["scope_modifications"]
            self.instances[inst.id] = inst
            return inst, self.links(inst, base_url)

    def links(self, inst: CortexInstance, base_url: str) -> dict[str, Any]:
        created = int(self.clock.now())
        expires = created + int(LINK_LIFETIME)
        manual: dict[str, str] = {}
        kinds = {
            "AZURE": (("ARM", "arm", "zip"), ("TF", "tf", "tar.gz")),
            "AWS": (("CF", "cf", "json"), ("TF", "tf", "tar.gz")),
            "GCP": (("TF", "tf", "tar.gz"),),
        }[inst.provider if inst.provider in ("AZURE", "AWS", "GCP") else "AZURE"]
        for key, prefix, ext in kinds:
            name = f"{prefix}-{inst.id}-{created}.{ext}"
            signature = self.sign_link(name, expires)
            manual[key] = (
                f"{base_url.rstrip('/')}/_cortex/templates/{name}?Expires={expires}&Signature={signature}"
            )
        return {"automated": {}, "manual": manual}

    def sign_link(self, name: str, expires: int) -> str:
        return hmac.new(self.link_secret.encode(), f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[
            :40
        ]

    # -- issues -------------------------------------------------------------------------------------------
    def issue(self, index: int) -> dict[str, Any]:
        rng = random.Random(f"issue-{self.config.seed}-{index}")
        ident = str(100_000 + index)
        insert = int((self.started - index * 600 - rng.randint(0, 500)) * 1000)
        asset = self.assets[index % len(self.assets)] if self.assets else None
        row: dict[str, Any] = {
            "id": ident,
            "_insert_time": insert,
            "external_id": _hex(rng),
            "name": ISSUE_NAMES[index % len(ISSUE_NAMES)],
            "description": "Detected by the posture scanner on the emulated tenant.",
            "observation_time": insert - rng.randint(0, 3600) * 1000,
            "domain": "POSTURE",
            "detection": {"method": DETECTION[index % len(DETECTION)], "rule_id": _hex(rng)},
            "category": rng.choice(["Misconfiguration", "Identity", "Data", "Network"]),
            "severity": SEVERITIES[rng.randrange(len(SEVERITIES))],
            "status": {
                "progress": PROGRESS[0 if index % 5 else 2],
                "resolution_reason": None,
                "resolution_comment": None,
            },
            "assigned_to": None,
            "assigned_to_pretty": None,
            "case_ids": [],
            "asset_ids": [asset["xdm.asset.id"]] if asset else [],
            "asset_names": [asset["xdm.asset.name"]] if asset else [],
            "tags": [],
            "normalized_fields": {},
            "custom_fields": {},
            "evidences": [],
            "actions": [],
        }
        change = self.issue_changes.get(ident)
        if change:
            if "severity" in change:
                row["severity"] = change["severity"]
            status = dict(row["status"])
            if "status" in change:
                status["progress"] = change["status"]
            if "status_resolution_reason" in change:
                status["resolution_reason"] = change["status_resolution_reason"]
            if "status_resolution_comment" in change:
                status["resolution_comment"] = change["status_resolution_comment"]
            row["status"] = status
        return row

    def issues(self) -> list[dict[str, Any]]:
        return [self.issue(i) for i in range(self.issue_count)]

    # -- compliance -------------------------------------------------------------------------------------
    def standards(self) -> list[dict[str, Any]]:
        names = [
            ("CIS Microsoft Azure Foundations Benchmark v2.1.0", ["Azure", "CIS"]),
            ("CIS Amazon Web Services Foundations Benchmark v3.0.0", ["AWS", "CIS"]),
            ("NIST SP 800-53 Rev. 5", ["NIST"]),
            ("ISO/IEC 27001:2022", ["ISO"]),
            ("PCI DSS v4.0", ["PCI"]),
            ("SOC 2", ["SOC"]),
        ]
        return [
            {
                "id": f"std-{i + 1:03d}",
                "name": n,
                "description": f"{n} controls.",
                "labels": labels,
                "controls_ids": [f"ctl-{i + 1:03d}-{j:02d}" for j in range(1, 6)],
                "is_custom": False,
                "insert_ts": int((self.started - 400 * 86400) * 1000),
            }
            for i, (n, labels) in enumerate(names)
        ]

    def controls(self) -> list[dict[str, Any]]:
        out = []
        for std in self.standards():
            for j, cid in enumerate(std["controls_ids"]):
                out.append(
                    {
                        "id": cid,
                        "name": f"{std['name'].split(' v')[0]} control {j + 1}",
                        "category": ["Identity", "Logging", "Networking", "Storage", "Compute"][j],
                        "subcategory": "General",
                        "description": "Emulated control.",
                        "standard_id": std["id"],
                    }
                )
        return out

    def assessment_results(self) -> list[dict[str, Any]]:
        rng = random.Random(f"assess-{self.config.seed}")
        out = []
        for std in self.standards():
            passed = rng.randint(20, 200)
            failed = rng.randint(0, 60)
            out.append(
                {
                    "assessment_profile_id": f"ap-{std['id']}",
                    "standard_id": std["id"],
                    "standard_name": std["name"],
                    "asset_group_id": 1,
                    "passed": passed,
                    "failed": failed,
                    "not_assessed": rng.randint(0, 10),
                    "score": round(passed / (passed + failed) * 100, 1),
                    "last_evaluation_time": int((self.started - 3600) * 1000),
                }
            )
        return out
