"""Deterministic tenant data from a seed: accounts, groups, policies, resources, audit logs, alerts.

Everything small is generated eagerly. Alerts are not: `AlertIndex` keeps three compact arrays (policy,
account, base status; a few bytes per alert) and builds the JSON of alert `i` on demand from `(seed, i)`,
so `--alerts 1000000` costs about 5 MB instead of a million dicts. Alert times grow with the index
(alert `i` sits at `start + (i + jitter_i) * span / n`), which makes time order equal index order: a time
range becomes an index range found by bisection, and sorting by time is free.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from array import array
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
ALERT_SPAN_MS = 90 * DAY_MS
ALERT_ID_BASE = 100_001
CLOUDS = ("azure", "aws", "gcp")
SEVERITIES = ("high", "medium", "low")
BASE_STATUSES = ("open", "resolved", "dismissed")

REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "azure": (
        ("westeurope", "Azure West Europe"),
        ("eastus", "Azure East US"),
        ("northeurope", "Azure North Europe"),
    ),
    "aws": (("us-east-1", "AWS Virginia"), ("eu-west-1", "AWS Ireland"), ("ap-southeast-2", "AWS Sydney")),
    "gcp": (("europe-west1", "GCP Belgium"), ("us-central1", "GCP Iowa"), ("asia-east1", "GCP Taiwan")),
}

# (api.name, resource type, service, json.rule the policy on it checks, generator of the resource JSON)
API_NAMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "azure": (
        ("azure-storage-account-list", "Storage Account", "Azure Storage"),
        ("azure-vm-list", "Virtual Machine", "Azure Virtual Machines"),
        ("azure-network-nsg-list", "Network Security Group", "Azure Virtual Network"),
        ("azure-key-vault-list", "Key Vault", "Azure Key Vault"),
    ),
    "aws": (
        ("aws-s3api-get-bucket-acl", "S3 Bucket", "Amazon S3"),
        ("aws-ec2-describe-instances", "EC2 Instance", "Amazon EC2"),
        ("aws-ec2-describe-security-groups", "Security Group", "Amazon VPC"),
        ("aws-iam-get-account-password-policy", "IAM Password Policy", "AWS IAM"),
    ),
    "gcp": (
        ("gcloud-storage-buckets-list", "Storage Bucket", "Google Cloud Storage"),
        ("gcloud-compute-instances-list", "VM Instance", "Google Compute Engine"),
        ("gcloud-compute-firewall-rules-list", "Firewall Rule", "Google VPC"),
        ("gcloud-sql-instances-list", "SQL Instance", "Google Cloud SQL"),
    ),
}

# Policy templates per api.name: (name, severity, json.rule criteria, recommendation)
POLICY_TEMPLATES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "azure-storage-account-list": (
        (
            "Azure Storage Account does not require secure transfer",
            "medium",
            "properties.supportsHttpsTrafficOnly is false",
        ),
        (
            "Azure Storage Account allows public blob access",
            "high",
            "properties.allowBlobPublicAccess is true",
        ),
        (
            "Azure Storage Account uses a TLS version below 1.2",
            "low",
            "properties.minimumTlsVersion != TLS1_2",
        ),
    ),
    "azure-vm-list": (
        (
            "Azure Virtual Machine has no managed disk encryption",
            "medium",
            "properties.storageProfile.osDisk.encryptionEnabled is false",
        ),
        ("Azure Virtual Machine is not backed up", "low", "properties.backupEnabled is false"),
    ),
    "azure-network-nsg-list": (
        ("Azure NSG allows SSH from the internet", "high", "properties.allowsSshFromInternet is true"),
        ("Azure NSG allows RDP from the internet", "high", "properties.allowsRdpFromInternet is true"),
    ),
    "azure-key-vault-list": (
        (
            "Azure Key Vault purge protection is disabled",
            "medium",
            "properties.enablePurgeProtection is false",
        ),
    ),
    "aws-s3api-get-bucket-acl": (
        ("AWS S3 bucket is publicly readable", "high", "acl.publicRead is true"),
        ("AWS S3 bucket versioning is disabled", "low", "versioningConfiguration.status != Enabled"),
        ("AWS S3 bucket has no default encryption", "medium", "sseAlgorithm does not exist"),
    ),
    "aws-ec2-describe-instances": (
        ("AWS EC2 instance has a public IP", "medium", "publicIpAddress exists"),
        ("AWS EC2 instance uses IMDSv1", "medium", "metadataOptions.httpTokens == optional"),
    ),
    "aws-ec2-describe-security-groups": (
        ("AWS Security Group allows all traffic from 0.0.0.0/0", "high", "allowsAllFromInternet is true"),
    ),
    "aws-iam-get-account-password-policy": (
        ("AWS IAM password policy minimum length is below 14", "low", "minimumPasswordLength < 14"),
    ),
    "gcloud-storage-buckets-list": (
        ("GCP Storage bucket is publicly accessible", "high", "iamConfiguration.publicAccess is true"),
        (
            "GCP Storage bucket has no uniform bucket-level access",
            "medium",
            "iamConfiguration.uniformBucketLevelAccess.enabled is false",
        ),
    ),
    "gcloud-compute-instances-list": (
        ("GCP VM instance has serial port access enabled", "medium", "metadata.serialPortEnable is true"),
        ("GCP VM instance uses the default service account", "low", "usesDefaultServiceAccount is true"),
    ),
    "gcloud-compute-firewall-rules-list": (
        ("GCP Firewall rule allows SSH from the internet", "high", "allowsSshFromInternet is true"),
    ),
    "gcloud-sql-instances-list": (
        ("GCP SQL instance does not require SSL", "medium", "settings.ipConfiguration.requireSsl is false"),
    ),
}

# (standard id, name, description, clouds it covers, requirements: (id, name, sections))
STANDARDS: tuple[tuple[str, str, str, tuple[str, ...], tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    (
        "cis-azure-2.0.0",
        "CIS v2.0.0 (Azure)",
        "Center for Internet Security Microsoft Azure Foundations",
        ("azure",),
        (
            ("3", "Storage Accounts", ("3.1", "3.7")),
            ("6", "Networking", ("6.1", "6.2")),
            ("7", "Virtual Machines", ("7.2",)),
            ("8", "Key Vault", ("8.5",)),
        ),
    ),
    (
        "cis-aws-1.5.0",
        "CIS v1.5.0 (AWS)",
        "Center for Internet Security Amazon Web Services Foundations",
        ("aws",),
        (
            ("1", "Identity and Access Management", ("1.8",)),
            ("2", "Storage", ("2.1.1", "2.1.5")),
            ("5", "Networking", ("5.2", "5.6")),
        ),
    ),
    (
        "cis-gcp-2.0.0",
        "CIS v2.0.0 (GCP)",
        "Center for Internet Security Google Cloud Platform Foundations",
        ("gcp",),
        (
            ("3", "Networking", ("3.6",)),
            ("4", "Virtual Machines", ("4.1", "4.5")),
            ("5", "Storage", ("5.1", "5.2")),
            ("6", "Cloud SQL", ("6.4",)),
        ),
    ),
    (
        "nist-800-53-rev5",
        "NIST SP 800-53 Rev. 5",
        "Security and Privacy Controls for Information Systems",
        CLOUDS,
        (
            ("AC", "Access Control", ("AC-3", "AC-4")),
            ("SC", "System and Communications Protection", ("SC-7", "SC-8", "SC-28")),
        ),
    ),
    (
        "pci-dss-4.0",
        "PCI DSS v4.0",
        "Payment Card Industry Data Security Standard",
        CLOUDS,
        (
            ("1", "Network Security Controls", ("1.3", "1.4")),
            ("3", "Protect Stored Account Data", ("3.5",)),
            ("4", "Protect Data in Transit", ("4.2",)),
        ),
    ),
)

GROUP_NAMES = ("Production", "Staging", "Development", "Security Tooling", "Finance", "Data Platform")
ACCOUNT_WORDS = ("prod", "stage", "dev", "shared", "sandbox", "data", "payments", "identity", "edge", "ml")
USERS = ("alice@example.com", "bob@example.com", "carol@example.com", "svc-terraform@example.com")


def _mix(*parts: int | str) -> int:
    """A 64-bit hash of the parts: stable across runs and Python versions (unlike `hash`)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


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


def make_accounts(seed: int, count: int, now_ms: int) -> list[CloudAccount]:
    """`count` accounts spread over azure, aws and gcp in turn, added within the last year."""
    rng = random.Random(_mix(seed, "accounts"))
    accounts: list[CloudAccount] = []
    for i in range(count):
        cloud = CLOUDS[i % len(CLOUDS)]
        word = ACCOUNT_WORDS[i % len(ACCOUNT_WORDS)]
        if cloud == "aws":
            account_id = f"{rng.randrange(10**11, 10**12):012d}"
            deployment = "aws"
        elif cloud == "azure":
            account_id = _uuid(rng)
            deployment = "azure"
        else:
            account_id = f"{word}-project-{rng.randrange(100000, 999999)}"
            deployment = "gcp"
        added = now_ms - rng.randrange(100 * DAY_MS, 365 * DAY_MS)
        accounts.append(
            CloudAccount(
                account_id=account_id,
                name=f"{cloud}-{word}-{i + 1:02d}",
                cloud_type=cloud,
                added_on=added,
                last_modified_ts=added + rng.randrange(0, 90 * DAY_MS),
                deployment_type=deployment,
                regions=REGIONS[cloud],
                storage_uuid=_uuid(rng),
                tenant_id=_uuid(rng) if cloud == "azure" else None,
                onboarded_at_ms=added,
            )
        )
    return accounts


def make_groups(seed: int, accounts: list[CloudAccount], now_ms: int) -> list[AccountGroup]:
    """The Default Account Group (every generated account) plus named groups over slices of them."""
    rng = random.Random(_mix(seed, "groups"))
    groups = [
        AccountGroup(
            id=_uuid(rng),
            name="Default Account Group",
            description="Accounts with no other group",
            account_ids=[a.account_id for a in accounts],
            auto_created=True,
            last_modified_ts=now_ms - 200 * DAY_MS,
        )
    ]
    for n, name in enumerate(GROUP_NAMES):
        members = [a.account_id for i, a in enumerate(accounts) if i % len(GROUP_NAMES) == n]
        groups.append(
            AccountGroup(
                id=_uuid(rng),
                name=name,
                description=f"{name} accounts",
                account_ids=members,
                last_modified_ts=now_ms - rng.randrange(DAY_MS, 100 * DAY_MS),
            )
        )
    by_id = {g.id: g for g in groups}
    for account in accounts:
        account.group_ids = [g for g in by_id if account.account_id in by_id[g].account_ids]
    return groups


def make_policies(seed: int, now_ms: int) -> list[Policy]:
    """One policy per template, each mapped to one requirement of every standard covering its cloud."""
    rng = random.Random(_mix(seed, "policies"))
    policies: list[Policy] = []
    for cloud in CLOUDS:
        for api_name, _rtype, _service in API_NAMES[cloud]:
            for name, severity, criteria in POLICY_TEMPLATES[api_name]:
                compliance: list[Requirement] = []
                for std_id, std_name, std_desc, clouds, reqs in STANDARDS:
                    if cloud not in clouds:
                        continue
                    req_id, req_name, sections = reqs[rng.randrange(len(reqs))]
                    compliance.append(
                        Requirement(std_id, std_name, std_desc, req_id, req_name, rng.choice(sections))
                    )
                policies.append(
                    Policy(
                        policy_id=_uuid(rng),
                        name=name,
                        cloud_type=cloud,
                        severity=severity,
                        api_name=api_name,
                        criteria=criteria,
                        created_on=now_ms - rng.randrange(300 * DAY_MS, 900 * DAY_MS),
                        compliance=tuple(compliance),
                        labels=("Prisma_Cloud", cloud.upper()),
                        remediable=rng.random() < 0.4,
                    )
                )
    return policies


def _resource_json(api_name: str, rng: random.Random) -> dict[str, Any]:
    """A small raw resource document with the fields the generated policies' json.rule checks."""
    flag = rng.random
    docs: dict[str, dict[str, Any]] = {
        "azure-storage-account-list": {
            "properties": {
                "supportsHttpsTrafficOnly": flag() < 0.8,
                "allowBlobPublicAccess": flag() < 0.2,
                "minimumTlsVersion": rng.choice(("TLS1_0", "TLS1_2", "TLS1_2")),
            }
        },
        "azure-vm-list": {
            "properties": {
                "storageProfile": {"osDisk": {"encryptionEnabled": flag() < 0.7}},
                "backupEnabled": flag() < 0.5,
                "hardwareProfile": {"vmSize": rng.choice(("Standard_B2s", "Standard_D4s_v5"))},
            }
        },
        "azure-network-nsg-list": {
            "properties": {"allowsSshFromInternet": flag() < 0.25, "allowsRdpFromInternet": flag() < 0.15}
        },
        "azure-key-vault-list": {"properties": {"enablePurgeProtection": flag() < 0.6, "sku": "standard"}},
        "aws-s3api-get-bucket-acl": {
            "acl": {"publicRead": flag() < 0.15},
            "versioningConfiguration": {"status": rng.choice(("Enabled", "Suspended", "Off"))},
            **({"sseAlgorithm": "aws:kms"} if flag() < 0.7 else {}),
        },
        "aws-ec2-describe-instances": {
            "state": {"name": rng.choice(("running", "running", "stopped"))},
            "metadataOptions": {"httpTokens": rng.choice(("required", "optional"))},
            "instanceType": rng.choice(("t3.micro", "m6i.large")),
            **({"publicIpAddress": f"203.0.113.{rng.randrange(1, 255)}"} if flag() < 0.4 else {}),
        },
        "aws-ec2-describe-security-groups": {"allowsAllFromInternet": flag() < 0.2, "ipPermissions": []},
        "aws-iam-get-account-password-policy": {"minimumPasswordLength": rng.choice((8, 12, 14, 16))},
        "gcloud-storage-buckets-list": {
            "iamConfiguration": {
                "publicAccess": flag() < 0.15,
                "uniformBucketLevelAccess": {"enabled": flag() < 0.6},
            }
        },
        "gcloud-compute-instances-list": {
            "status": rng.choice(("RUNNING", "RUNNING", "TERMINATED")),
            "metadata": {"serialPortEnable": flag() < 0.2},
            "usesDefaultServiceAccount": flag() < 0.4,
        },
        "gcloud-compute-firewall-rules-list": {"allowsSshFromInternet": flag() < 0.3, "direction": "INGRESS"},
        "gcloud-sql-instances-list": {
            "settings": {"ipConfiguration": {"requireSsl": flag() < 0.5}},
            "databaseVersion": rng.choice(("POSTGRES_15", "MYSQL_8_0")),
        },
    }
    return docs[api_name]


def make_resources(
    seed: int, accounts: list[CloudAccount], now_ms: int, per_account: int = 24
) -> list[Resource]:
    """`per_account` resources in each account, cycling through its cloud's API names and regions."""
    resources: list[Resource] = []
    for account in accounts:
        rng = random.Random(_mix(seed, "resources", account.account_id))
        for j in range(per_account):
            api_name, rtype, service = API_NAMES[account.cloud_type][j % len(API_NAMES[account.cloud_type])]
            region_id, region_name = account.regions[rng.randrange(len(account.regions))]
            short = api_name.split("-")[1] if "-" in api_name else api_name
            name = f"{account.name}-{short}-{j + 1:03d}"
            created = now_ms - rng.randrange(DAY_MS, 400 * DAY_MS)
            resources.append(
                Resource(
                    id=_resource_id(account, rtype, name, rng),
                    name=name,
                    cloud_type=account.cloud_type,
                    account_id=account.account_id,
                    account_name=account.name,
                    region_id=region_id,
                    region_name=region_name,
                    api_name=api_name,
                    resource_type=rtype,
                    service=service,
                    deleted=rng.random() < 0.08,
                    insert_ts=now_ms - rng.randrange(0, DAY_MS),
                    created_ts=created,
                    tags={"env": account.name.split("-")[1], "owner": rng.choice(USERS).split("@")[0]},
                    data=_resource_json(api_name, rng),
                )
            )
    return resources


def _resource_id(account: CloudAccount, rtype: str, name: str, rng: random.Random) -> str:
    if account.cloud_type == "azure":
        kind = rtype.replace(" ", "")
        group = f"rg-{name.split('-')[1]}"
        return f"/subscriptions/{account.account_id}/resourceGroups/{group}/providers/{kind}/{name}"
    if account.cloud_type == "aws":
        return f"{name.split('-')[2]}-{rng.getrandbits(64):016x}"
    return str(rng.randrange(10**18, 10**19))


def make_audit_log(seed: int, now_ms: int, count: int = 600) -> list[AuditEntry]:
    """`count` entries over the last 90 days, newest first (the order the real endpoint answers in)."""
    rng = random.Random(_mix(seed, "audit"))
    actions = (
        ("LOGIN", "'{user}' logged in via access key", "Login", "Successful"),
        ("READ", "'{user}' listed cloud accounts", "Cloud Account", "Successful"),
        ("UPDATE", "'{user}' dismissed alerts", "Alert", "Successful"),
        ("CREATE", "'{user}' created saved search", "Saved Search", "Successful"),
        ("DELETE", "'{user}' deleted account group", "Account Group", "Successful"),
        ("LOGIN", "'{user}' failed to log in", "Login", "Failed"),
    )
    entries = []
    for _ in range(count):
        action_type, text, rtype, result = actions[rng.randrange(len(actions))]
        user = rng.choice(USERS)
        entries.append(
            AuditEntry(
                timestamp=now_ms - rng.randrange(0, ALERT_SPAN_MS),
                action=text.format(user=user),
                action_type=action_type,
                resource_name=user
                if rtype == "Login"
                else f"{rtype.lower().replace(' ', '-')}-{rng.randrange(1000)}",
                resource_type=rtype,
                result=result,
                user=user,
                ip_address=f"198.51.100.{rng.randrange(1, 255)}",
            )
        )
    entries.sort(key=lambda e: e.timestamp, reverse=True)
    return entries


class AlertIndex:
    """`n` alerts as compact columns; `time_ms(i)` and the alert body are computed from `(seed, i)`.

    Only policies whose cloud has at least one account are used, so every alert names a real account.
    """

    def __init__(
        self, seed: int, n: int, end_ms: int, policies: list[Policy], accounts: list[CloudAccount]
    ) -> None:
        self.seed = seed
        self.n = n
        self.end_ms = end_ms
        self.start_ms = end_ms - ALERT_SPAN_MS
        by_cloud: dict[str, list[int]] = {}
        for idx, account in enumerate(accounts):
            by_cloud.setdefault(account.cloud_type, []).append(idx)
        eligible = [i for i, p in enumerate(policies) if p.cloud_type in by_cloud]
        self.policy = array("H")
        self.account = array("H")
        self.status = array("B")
        if not eligible or n <= 0:
            self.n = 0
            return
        rng = random.Random(_mix(seed, "alerts", n))
        bits = rng.getrandbits
        n_eligible = len(eligible)
        cloud_accounts = [by_cloud.get(policies[p].cloud_type, []) for p in range(len(policies))]
        pol = [eligible[bits(32) % n_eligible] for _ in range(n)]
        self.policy = array("H", pol)
        self.account = array("H", [cloud_accounts[p][bits(32) % len(cloud_accounts[p])] for p in pol])
        # open 75 %, resolved 18 %, dismissed 7 %: roughly what a busy tenant shows.
        self.status = array(
            "B", [0 if r < 75 else (1 if r < 93 else 2) for r in (bits(32) % 100 for _ in range(n))]
        )

    def time_ms(self, i: int) -> int:
        """Alert time of index `i`: non-decreasing in `i`, spread over the 90 days before `end_ms`."""
        jitter = (_mix(self.seed, "t", i) % 1000) / 1000
        return self.start_ms + int((i + jitter) * ALERT_SPAN_MS / max(self.n, 1))

    def first_at_or_after(self, ts_ms: int) -> int:
        """Smallest index whose time is >= ts_ms (bisection over the monotonic times)."""
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.time_ms(mid) < ts_ms:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def index_range(self, start_ms: int | None, end_ms: int | None) -> range:
        lo = 0 if start_ms is None else self.first_at_or_after(start_ms)
        hi = self.n if end_ms is None else self.first_at_or_after(end_ms + 1)
        return range(lo, max(lo, hi))

    @staticmethod
    def alert_id(i: int) -> str:
        return f"P-{ALERT_ID_BASE + i}"

    def index_of(self, alert_id: str) -> int | None:
        """The index behind `P-123456`, or None for anything else (including ids past the end)."""
        if not alert_id.startswith("P-") or not alert_id[2:].isdigit():
            return None
        i = int(alert_id[2:]) - ALERT_ID_BASE
        return i if 0 <= i < self.n else None

    def resource_name(self, i: int, account: CloudAccount, policy: Policy) -> tuple[str, str, str]:
        """(resource id, name, region id) of alert `i`: stable, and in one of the account's regions."""
        h = _mix(self.seed, "r", i)
        region = account.regions[h % len(account.regions)] if account.regions else ("global", "Global")
        short = policy.api_name.split("-")[1] if "-" in policy.api_name else policy.api_name
        name = f"{account.name}-{short}-{h % 997:03d}"
        return f"{short}-{h:016x}", name, region[0]
