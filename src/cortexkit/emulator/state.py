"""The tenant's mutable state: what the routes read and change.

Generated data (accounts, groups, policies, resources, audit log, alerts) comes from `generators` and is
rebuilt from the seed on `reset()`; alerts stay lazy (see `alertindex.AlertIndex`) and only what clients
change is stored. Route modules take `state.lock` around read-modify-write sequences: plain `def`
handlers run in the thread pool, so two requests can interleave.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Any

from cortexkit.emulator import alertindex, generators
from cortexkit.emulator.alertstore import AlertStore
from cortexkit.emulator.clock import Clock
from cortexkit.emulator.config import EmulatorConfig
from cortexkit.emulator.entities import AccountGroup, AuditEntry, CloudAccount, Policy, Resource
from cortexkit.emulator.pagetoken import PageTokenCodec

AUDIT_LIVE_CAP = 10_000


class TenantState:
    """All data of the single emulated tenant."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.extensions: dict[str, Any] = {}
        self.accounts: list[CloudAccount] = []
        self.groups: list[AccountGroup] = []
        self.policies: list[Policy] = []
        self.resources: list[Resource] = []
        self.audit: list[AuditEntry] = []
        self.anchor_ms = 0
        self.tokens = PageTokenCodec(secrets.token_bytes(32))
        self.reset()

    def reset(self) -> None:
        """Forget every change clients made and rebuild the generated data from the seed."""
        with self.lock:
            now_ms = self.now_ms()
            seed = self.config.seed
            self.anchor_ms = now_ms
            self.extensions = {}
            generated = generators.make_accounts(seed, max(0, self.config.accounts), now_ms)
            self.groups = generators.make_groups(seed, generated, now_ms)
            self.policies = generators.make_policies(seed, now_ms)
            self.resources = generators.make_resources(seed, generated, now_ms)
            self.audit = generators.make_audit_log(seed, now_ms)
            # Alerts keep pointing at the generated accounts, even after one is deleted (see docs).
            self.accounts = list(generated)
            index = alertindex.AlertIndex(seed, max(0, self.config.alerts), now_ms, self.policies, generated)
            self.alerts = AlertStore(index, self.policies, generated, self.groups)
            self.tokens = PageTokenCodec(secrets.token_bytes(32))

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # -- cloud accounts -------------------------------------------------------------------------------------
    def find_account(self, cloud_type: str | None, account_id: str) -> CloudAccount | None:
        for account in self.accounts:
            if account.account_id == account_id and (cloud_type is None or account.cloud_type == cloud_type):
                return account
        return None

    def group_by_id(self, group_id: str) -> AccountGroup | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def groups_of(self, account: CloudAccount) -> list[AccountGroup]:
        return self.groups_by_account().get(account.account_id, [])

    def groups_by_account(self) -> dict[str, list[AccountGroup]]:
        """Every account id's groups, in group order. A listing builds it once per request: asking each
        group's member list about each account cost accounts x groups x members (3.6 s for
        `GET /cloud/group` once a bulk had added 2,000 accounts)."""
        return generators.groups_by_account(self.groups)

    def members_by_group(self) -> dict[str, list[CloudAccount]]:
        """Every group id's member accounts, in account order (the order the listings show), each once."""
        members: dict[str, list[CloudAccount]] = {g.id: [] for g in self.groups}
        index = self.groups_by_account()
        for account in self.accounts:
            for group in index.get(account.account_id, ()):
                members[group.id].append(account)
        return members

    def set_account_groups(self, account: CloudAccount, group_ids: list[str]) -> None:
        """Make group membership and `account.group_ids` agree (they are two views of one relation)."""
        for group in self.groups:
            member = account.account_id in group.account_ids
            if group.id in group_ids and not member:
                group.account_ids.append(account.account_id)
            elif group.id not in group_ids and member:
                group.account_ids.remove(account.account_id)
        account.group_ids = [g.id for g in self.groups if g.id in group_ids]

    def remove_account(self, account: CloudAccount) -> None:
        self.accounts.remove(account)
        for group in self.groups:
            if account.account_id in group.account_ids:
                group.account_ids.remove(account.account_id)

    # -- audit ----------------------------------------------------------------------------------------------
    def record(
        self, user: str, action_type: str, action: str, resource_type: str, resource_name: str
    ) -> None:
        """Add a live audit entry (newest first), so a client sees its own changes in the audit log."""
        entry = AuditEntry(
            timestamp=self.now_ms(),
            action=action,
            action_type=action_type,
            resource_name=resource_name,
            resource_type=resource_type,
            result="Successful",
            user=user,
            ip_address="127.0.0.1",
        )
        with self.lock:
            self.audit.insert(0, entry)
            if len(self.audit) > AUDIT_LIVE_CAP:
                self.audit.pop()


def fingerprint(secret: str) -> str:
    """What the emulator keeps of a client secret: enough to tell two apart, useless to an attacker."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]
