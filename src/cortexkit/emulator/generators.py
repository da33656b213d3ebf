"""Generators of the seeded tenant: accounts, groups, policies, resources and the audit log.

Each is a pure function of the seed and the clock at start (`now_ms`); alerts are generated lazily by
`alertindex.AlertIndex` instead.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from cortexkit.emulator.catalog import (
    ACCOUNT_WORDS,
    API_NAMES,
    CLOUDS,
    DAY_MS,
    GROUP_NAMES,
    NETWORKED_API_NAMES,
    POLICY_TEMPLATES,
    REGIONS,
    STANDARDS,
    USERS,
)
from cortexkit.emulator.entities import AccountGroup, AuditEntry, CloudAccount, Policy, Requirement, Resource
from cortexkit.emulator.seeding import mix, seeded_uuid

AUDIT_SPAN_MS = 90 * DAY_MS


def make_accounts(seed: int, count: int, now_ms: int) -> list[CloudAccount]:
    """`count` accounts spread over azure, aws and gcp in turn, added within the last year."""
    rng = random.Random(mix(seed, "accounts"))
    accounts: list[CloudAccount] = []
    for i in range(count):
        cloud = CLOUDS[i % len(CLOUDS)]
        word = ACCOUNT_WORDS[i % len(ACCOUNT_WORDS)]
        if cloud == "aws":
            account_id = f"{rng.randrange(10**11, 10**12):012d}"
            deployment = "aws"
        elif cloud == "azure":
            account_id = seeded_uuid(rng)
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
                storage_uuid=seeded_uuid(rng),
                tenant_id=seeded_uuid(rng) if cloud == "azure" else None,
                onboarded_at_ms=added,
            )
        )
    return accounts


def make_groups(seed: int, accounts: list[CloudAccount], now_ms: int) -> list[AccountGroup]:
    """The Default Account Group (every generated account) plus named groups over slices of them."""
    rng = random.Random(mix(seed, "groups"))
    groups = [
        AccountGroup(
            id=seeded_uuid(rng),
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
                id=seeded_uuid(rng),
                name=name,
                description=f"{name} accounts",
                account_ids=members,
                last_modified_ts=now_ms - rng.randrange(DAY_MS, 100 * DAY_MS),
            )
        )
    index = groups_by_account(groups)
    for account in accounts:
        account.group_ids = [g.id for g in index.get(account.account_id, ())]
    return groups


def groups_by_account(groups: list[AccountGroup]) -> dict[str, list[AccountGroup]]:
    """Every account id's groups, in group order, each group once: one pass over the memberships."""
    index: dict[str, list[AccountGroup]] = {}
    for group in groups:
        for account_id in dict.fromkeys(group.account_ids):
            index.setdefault(account_id, []).append(group)
    return index


def make_policies(seed: int, now_ms: int) -> list[Policy]:
    """One policy per template, each mapped to one requirement of every standard covering its cloud."""
    rng = random.Random(mix(seed, "policies"))
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
                        policy_id=seeded_uuid(rng),
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
        rng = random.Random(mix(seed, "resources", account.account_id))
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
                    **(_vpc(account, j % 2) if api_name in NETWORKED_API_NAMES else {}),
                )
            )
    return resources


def _vpc(account: CloudAccount, number: int) -> dict[str, str]:
    """One of the account's two networks, in its cloud's id form; derived without the RNG so adding it
    changed no other generated value."""
    name = f"{account.name}-vpc-{number + 1}"
    if account.cloud_type == "azure":
        group = f"rg-{account.name.split('-')[1]}"
        vpc_id = (
            f"/subscriptions/{account.account_id}/resourceGroups/{group}"
            f"/providers/Microsoft.Network/virtualNetworks/{name}"
        )
    elif account.cloud_type == "aws":
        vpc_id = "vpc-" + uuid.uuid5(uuid.NAMESPACE_OID, f"{account.account_id}/vpc/{number}").hex[:17]
    else:
        vpc_id = f"projects/{account.account_id}/global/networks/{name}"
    return {"vpc_id": vpc_id, "vpc_name": name}


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
    rng = random.Random(mix(seed, "audit"))
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
                timestamp=now_ms - rng.randrange(0, AUDIT_SPAN_MS),
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
