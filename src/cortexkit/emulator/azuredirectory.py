"""The emulated Azure tenants' hierarchy (management groups, subscriptions) and the preflight's answers.

Each tenant id seen in a token gets a small deterministic hierarchy on first sight: the root group (named
after the tenant id, as Azure names the Tenant Root Group), `platform` and `workloads` under it, and
`workloads-dev` under `workloads`, holding five subscriptions. A subscription or management group id a
request names and nobody has seen is created under the tenant root, so a test may make ids up and a
one-subscription flow works for any id. State only, no HTTP; the routes in `routes/azure_directory.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

MG_TYPE = "Microsoft.Management/managementGroups"
MG_PREFIX = "/providers/Microsoft.Management/managementGroups/"
PROVIDER_NAMESPACES = (
    "Microsoft.Aadiam",
    "Microsoft.Authorization",
    "Microsoft.Communication",
    "Microsoft.Compute",
    "Microsoft.Datadog",
    "Microsoft.EventHub",
    "Microsoft.Insights",
    "Microsoft.KeyVault",
    "Microsoft.ManagedIdentity",
    "Microsoft.Network",
    "Microsoft.PolicyInsights",
    "Microsoft.Resources",
    "Microsoft.Security",
    "Microsoft.Storage",
)
"""Listed by `GET /subscriptions/{id}/providers`; the preflight's five (PANW's list) are among them."""


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    tenant_id: str
    parent: str  # management group name
    state: str = "Enabled"

    def as_arm(self) -> dict[str, Any]:
        """`Subscriptions - List` item (api-version 2022-12-01)."""
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "subscriptionId": self.subscription_id,
            "displayName": self.display_name,
            "state": self.state,
            "tenantId": self.tenant_id,
        }


@dataclass
class ManagementGroup:
    name: str
    display_name: str
    parent: str | None

    @property
    def id(self) -> str:
        return MG_PREFIX + self.name


@dataclass
class TenantTree:
    tenant_id: str
    groups: dict[str, ManagementGroup] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return self.tenant_id

    def children(self, group: str) -> list[ManagementGroup]:
        return [g for g in self.groups.values() if g.parent == group]

    def below(self, group: str) -> list[str]:
        """`group` and every group beneath it, parents before children."""
        out, todo = [], [group]
        while todo:
            current = todo.pop(0)
            out.append(current)
            todo.extend(g.name for g in self.children(current))
        return out


def seeded_tree(tenant_id: str, seed: int) -> TenantTree:
    tree = TenantTree(tenant_id)
    tag = hashlib.sha256(f"{seed}-{tenant_id}".encode()).hexdigest()[:6]
    for name, display, parent in (
        (tenant_id, "Tenant Root Group", None),
        (f"platform-{tag}", "Platform", tenant_id),
        (f"workloads-{tag}", "Workloads", tenant_id),
        (f"workloads-dev-{tag}", "Workloads Dev", f"workloads-{tag}"),
    ):
        tree.groups[name] = ManagementGroup(name, display, parent)
    placement = [tenant_id, f"platform-{tag}", f"platform-{tag}", f"workloads-{tag}", f"workloads-dev-{tag}"]
    for i, parent in enumerate(placement):
        sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cortexkit-emulator/{seed}/{tenant_id}/subscription/{i}"))
        tree.subscriptions[sub] = Subscription(sub, f"emulated-sub-{i + 1:02d}", tenant_id, parent)
    return tree


@dataclass
class PreflightAnswers:
    """What the preflight reads return; every field is settable through `/_emulator/azure`."""

    permissions: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}
        ]
    )
    permissions_by_scope: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deny_assignments: list[dict[str, Any]] = field(default_factory=list)
    unregistered_providers: list[str] = field(default_factory=list)
    conditional_access: list[dict[str, Any]] = field(default_factory=list)


def permissions_at(answers: PreflightAnswers, scope: str) -> list[dict[str, Any]]:
    """The permissions at `scope`: those set for it or its nearest parent path, else the default list."""
    path = scope.rstrip("/")
    while True:
        if path in answers.permissions_by_scope:
            return answers.permissions_by_scope[path]
        if not path:
            return answers.permissions
        path = path.rsplit("/", 1)[0]


class AzureDirectory:
    """Every emulated tenant's hierarchy, keyed by tenant id; callers hold `AzureCloud.lock`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.trees: dict[str, TenantTree] = {}
        self.preflight = PreflightAnswers()

    def tree(self, tenant_id: str) -> TenantTree:
        tree = self.trees.get(tenant_id)
        if tree is None:
            tree = self.trees[tenant_id] = seeded_tree(tenant_id, self.seed)
        return tree

    def subscription(self, tenant_id: str, subscription_id: str) -> Subscription:
        """The subscription, created under the tenant root when nobody has named it before."""
        for tree in self.trees.values():
            if subscription_id in tree.subscriptions:
                return tree.subscriptions[subscription_id]
        tree = self.tree(tenant_id)
        sub = Subscription(subscription_id, f"subscription-{subscription_id[:8]}", tenant_id, tree.root)
        tree.subscriptions[subscription_id] = sub
        return sub

    def group(self, tenant_id: str, name: str) -> ManagementGroup:
        """The management group, created (empty) under the tenant root when unknown."""
        tree = self.tree(tenant_id)
        if name not in tree.groups:
            tree.groups[name] = ManagementGroup(name, name, tree.root)
        return tree.groups[name]

    def add_subscription(self, tenant_id: str, subscription_id: str, name: str, parent: str | None) -> None:
        tree = self.tree(tenant_id)
        group = self.group(tenant_id, parent or tree.root).name
        for other in self.trees.values():
            other.subscriptions.pop(subscription_id, None)
        tree.subscriptions[subscription_id] = Subscription(subscription_id, name, tenant_id, group)

    def add_group(self, tenant_id: str, name: str, display_name: str, parent: str | None) -> None:
        tree = self.tree(tenant_id)
        tree.groups[name] = ManagementGroup(
            name, display_name, self.group(tenant_id, parent or tree.root).name
        )

    def subscriptions_in_scope(self, tenant_id: str, scope: str) -> list[Subscription]:
        """The subscriptions a deployment at `scope` covers: one, a group's descendants, or all."""
        tree = self.tree(tenant_id)
        if scope.startswith("/subscriptions/"):
            return [self.subscription(tenant_id, scope.split("/")[2])]
        if scope.startswith(MG_PREFIX):
            name = scope[len(MG_PREFIX) :].split("/", maxsplit=1)[0]
            groups = set(tree.below(self.group(tenant_id, name).name))
            return [s for s in tree.subscriptions.values() if s.parent in groups]
        return list(tree.subscriptions.values())

    def descendants(self, tenant_id: str, group: str) -> list[dict[str, Any]]:
        """`Management Groups - Get Descendants` items: groups and subscriptions below `group`."""
        tree = self.tree(tenant_id)
        out: list[dict[str, Any]] = []
        for name in tree.below(self.group(tenant_id, group).name):
            if name != group:
                g = tree.groups[name]
                out.append(
                    {
                        "id": g.id,
                        "type": MG_TYPE,
                        "name": g.name,
                        "properties": {
                            "displayName": g.display_name,
                            "parent": {"id": MG_PREFIX + str(g.parent)},
                        },
                    }
                )
            for sub in tree.subscriptions.values():
                if sub.parent == name:
                    out.append(
                        {
                            "id": f"/subscriptions/{sub.subscription_id}",
                            "type": f"{MG_TYPE}/subscriptions",
                            "name": sub.subscription_id,
                            "properties": {
                                "displayName": sub.display_name,
                                "parent": {"id": MG_PREFIX + name},
                            },
                        }
                    )
        return out
