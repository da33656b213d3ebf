"""The fixed tables the seeded tenant is drawn from: clouds, regions, services, policies, standards, names.

Pure data, no randomness: the generators (`generators.py`) pick from these by seed.
"""

from __future__ import annotations

DAY_MS = 86_400_000
CLOUDS = ("azure", "aws", "gcp")
# Prisma added critical and informational to high/medium/low; tenants show all five.
SEVERITIES = ("critical", "high", "medium", "low", "informational")

# Alert rules of the tenant: (name, the policy severities it covers; None = every policy).
ALERT_RULES: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("Default Alert Rule", None),
    ("Critical and high severity", ("critical", "high")),
)

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
# api.names whose resources live in a VPC / virtual network (search results name it: vpcId, vpcName).
NETWORKED_API_NAMES = frozenset(
    {
        "azure-vm-list",
        "azure-network-nsg-list",
        "aws-ec2-describe-instances",
        "aws-ec2-describe-security-groups",
        "gcloud-compute-instances-list",
        "gcloud-compute-firewall-rules-list",
    }
)
# api.name -> (resource type, cloud service name), as alerts show them.
API_NAME_INFO: dict[str, tuple[str, str]] = {
    api: (rtype, service) for entries in API_NAMES.values() for api, rtype, service in entries
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
        ("Azure NSG allows RDP from the internet", "critical", "properties.allowsRdpFromInternet is true"),
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
        (
            "AWS S3 bucket versioning is disabled",
            "informational",
            "versioningConfiguration.status != Enabled",
        ),
        ("AWS S3 bucket has no default encryption", "medium", "sseAlgorithm does not exist"),
    ),
    "aws-ec2-describe-instances": (
        ("AWS EC2 instance has a public IP", "medium", "publicIpAddress exists"),
        ("AWS EC2 instance uses IMDSv1", "medium", "metadataOptions.httpTokens == optional"),
    ),
    "aws-ec2-describe-security-groups": (
        ("AWS Security Group allows all traffic from 0.0.0.0/0", "critical", "allowsAllFromInternet is true"),
    ),
    "aws-iam-get-account-password-policy": (
        ("AWS IAM password policy minimum length is below 14", "low", "minimumPasswordLength < 14"),
    ),
    "gcloud-storage-buckets-list": (
        ("GCP Storage bucket is publicly accessible", "critical", "iamConfiguration.publicAccess is true"),
        (
            "GCP Storage bucket has no uniform bucket-level access",
            "medium",
            "iamConfiguration.uniformBucketLevelAccess.enabled is false",
        ),
    ),
    "gcloud-compute-instances-list": (
        ("GCP VM instance has serial port access enabled", "medium", "metadata.serialPortEnable is true"),
        (
            "GCP VM instance uses the default service account",
            "informational",
            "usesDefaultServiceAccount is true",
        ),
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
