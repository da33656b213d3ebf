"""Alerts: queries over the compact `AlertIndex` plus a sparse overlay of what clients changed.

Only alerts a client dismissed, snoozed or reopened get an entry in `overlay`; everything else is what
the generator says. A snooze stores its end, and the effective status turns back to `open` once the
emulator clock passes it, with no background job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cortexkit.emulator.alertindex import BASE_STATUSES, AlertIndex
from cortexkit.emulator.catalog import ALERT_RULES, API_NAME_INFO
from cortexkit.emulator.entities import AccountGroup, CloudAccount, Policy
from cortexkit.emulator.seeding import mix

STATUSES = ("open", "dismissed", "snoozed", "resolved", "pending_resolution")
# Filter names the emulator understands; anything else is refused, naming the filter.
FILTER_NAMES = frozenset(
    {
        "alert.id",
        "alert.status",
        "policy.id",
        "policy.name",
        "policy.severity",
        "policy.type",
        "policy.label",
        "policy.complianceStandard",
        "policy.complianceRequirement",
        "policy.complianceSection",
        "policy.remediable",
        "cloud.type",
        "cloud.account",
        "cloud.accountId",
        "cloud.region",
        "cloud.service",
        "account.group",
        "alertRule.name",
        "resource.id",
        "resource.name",
        "resource.type",
        "resource.tagv2",
    }
)
# Filters on the per-alert resource, computed from (seed, i): position in `AlertIndex.resource_name`.
RESOURCE_FILTERS = {"resource.id": 0, "resource.name": 1, "cloud.region": 2}
SORT_COLUMNS = ("alertTime", "alert.id")


def resource_type(policy: Policy) -> str:
    """The `resource.resourceType` of the policy's alerts (`STORAGE`, `EC2`, ...)."""
    return policy.api_name.split("-")[1].upper() if "-" in policy.api_name else "RESOURCE"


def cloud_service(policy: Policy) -> str:
    """The `resource.cloudServiceName` of the policy's alerts (`Azure Storage`, `Amazon EC2`, ...)."""
    return API_NAME_INFO.get(policy.api_name, ("", policy.api_name.split("-")[0]))[1]


def alert_rules(policy: Policy) -> list[str]:
    """Names of the tenant's alert rules that raise alerts for `policy`."""
    return [name for name, severities in ALERT_RULES if severities is None or policy.severity in severities]


def account_tags(account: CloudAccount) -> dict[str, str]:
    """The resource tags of an account's resources (`env` from its name, e.g. `prod`)."""
    parts = account.name.split("-")
    return {"env": parts[1] if len(parts) > 1 else account.name}


def _tag_pairs(values: tuple[str, ...]) -> set[tuple[str, str]]:
    """`resource.tagv2` values are JSON `{"key": .., "value": ..}` strings (api-facts §6)."""
    pairs = set()
    for raw in values:
        try:
            tag = json.loads(raw)
        except ValueError:
            raise AlertQueryError("resource.tagv2") from None
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str):
            raise AlertQueryError("resource.tagv2")
        pairs.add((tag["key"], str(tag.get("value", ""))))
    return pairs


class AlertQueryError(ValueError):
    """A filter, sort or status the emulator cannot apply; `subject` names it."""

    def __init__(self, subject: str) -> None:
        super().__init__(subject)
        self.subject = subject


@dataclass
class AlertChange:
    """What a client did to one alert. `until_ms` is set for a snooze."""

    status: str
    changed_ms: int
    by: str
    note: str | None = None
    until_ms: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AlertQuery:
    """A normalised listing request: filters by name (values OR-ed, names AND-ed), window, order."""

    filters: Mapping[str, tuple[str, ...]]
    start_ms: int | None
    end_ms: int | None
    descending: bool = True


class AlertStore:
    """Filtering, rendering and status changes for the alerts of one tenant."""

    def __init__(
        self,
        index: AlertIndex,
        policies: list[Policy],
        accounts: list[CloudAccount],
        groups: list[AccountGroup],
    ) -> None:
        self.index = index
        self.policies = policies
        self.accounts = accounts
        self.groups = groups
        self.overlay: dict[int, AlertChange] = {}

    # -- status -------------------------------------------------------------------------------------------
    def status_of(self, i: int, now_ms: int) -> str:
        change = self.overlay.get(i)
        if change is None:
            return BASE_STATUSES[self.index.status[i]]
        if change.status == "snoozed" and change.until_ms is not None and change.until_ms <= now_ms:
            return "open"
        return change.status

    def set_status(
        self,
        indices: Iterable[int],
        status: str,
        *,
        now_ms: int,
        by: str,
        note: str | None,
        until_ms: int | None,
    ) -> int:
        """Apply a dismiss/snooze/reopen to `indices`; returns how many alerts changed."""
        changed = 0
        for i in indices:
            before = self.status_of(i, now_ms)
            if status == "open" and before not in ("dismissed", "snoozed"):
                continue
            if status in ("dismissed", "snoozed") and before not in ("open", "dismissed", "snoozed"):
                continue
            if before == status:
                continue  # already there: a second dismissal changes nothing (404 when none changed)
            prior = self.overlay.get(i)
            history = list(prior.history) if prior else []
            history.append(
                {"modifiedBy": by, "modifiedOn": now_ms, "reason": "USER_ACTION", "status": status}
            )
            if status == "open" and self.index.status[i] == 0:
                # Back to what the generator says: drop the entry so the overlay stays sparse.
                self.overlay.pop(i, None)
                changed += 1
                continue
            self.overlay[i] = AlertChange(status, now_ms, by, note, until_ms, history)
            changed += 1
        return changed

    # -- querying -----------------------------------------------------------------------------------------
    def _allowed_policies(self, filters: Mapping[str, tuple[str, ...]]) -> set[int] | None:
        checks: dict[str, Callable[[Policy, tuple[str, ...]], bool]] = {
            "policy.id": lambda p, v: p.policy_id in v,
            "policy.name": lambda p, v: p.name in v,
            "policy.severity": lambda p, v: p.severity in {x.lower() for x in v},
            "policy.type": lambda p, v: "config" in v,
            "policy.label": lambda p, v: bool(set(v) & set(p.labels)),
            "policy.complianceStandard": lambda p, v: any(r.standard_name in v for r in p.compliance),
            "policy.complianceRequirement": lambda p, v: any(r.requirement_name in v for r in p.compliance),
            "policy.complianceSection": lambda p, v: any(r.section_id in v for r in p.compliance),
            "policy.remediable": lambda p, v: str(p.remediable).lower() in {x.lower() for x in v},
            "cloud.service": lambda p, v: cloud_service(p) in v,
            "resource.type": lambda p, v: resource_type(p).lower() in {x.lower() for x in v},
            "alertRule.name": lambda p, v: bool(set(v) & set(alert_rules(p))),
        }
        active = [(check, filters[name]) for name, check in checks.items() if name in filters]
        if not active:
            return None
        return {i for i, p in enumerate(self.policies) if all(c(p, v) for c, v in active)}

    def _allowed_accounts(self, filters: Mapping[str, tuple[str, ...]]) -> set[int] | None:
        group_members: set[str] | None = None
        if "account.group" in filters:
            wanted = set(filters["account.group"])
            group_members = {
                a for g in self.groups if g.name in wanted or g.id in wanted for a in g.account_ids
            }
        checks_a: dict[str, Callable[[CloudAccount, tuple[str, ...]], bool]] = {
            "cloud.type": lambda a, v: a.cloud_type in {x.lower() for x in v},
            "cloud.account": lambda a, v: a.name in v,
            "cloud.accountId": lambda a, v: a.account_id in v,
        }
        active = [(check, filters[name]) for name, check in checks_a.items() if name in filters]
        if "resource.tagv2" in filters:
            tags = _tag_pairs(filters["resource.tagv2"])
            active.append((lambda a, v: bool(tags & set(account_tags(a).items())), ()))
        if not active and group_members is None:
            return None
        return {
            i
            for i, a in enumerate(self.accounts)
            if all(c(a, v) for c, v in active) and (group_members is None or a.account_id in group_members)
        }

    def search(self, query: AlertQuery, now_ms: int, after: int | None, limit: int) -> tuple[list[int], int]:
        """Indices of the page after cursor `after` (exclusive) in query order, and the total match count."""
        for name in query.filters:
            if name not in FILTER_NAMES:
                raise AlertQueryError(name)
        window = self.index.index_range(query.start_ms, query.end_ms)
        ordered = reversed(window) if query.descending else window
        policies = self._allowed_policies(query.filters)
        accounts = self._allowed_accounts(query.filters)
        statuses = set(query.filters.get("alert.status", ()))
        if statuses - set(STATUSES):
            raise AlertQueryError("alert.status")
        resource_checks = [
            (RESOURCE_FILTERS[name], set(values))
            for name, values in query.filters.items()
            if name in RESOURCE_FILTERS
        ]
        ids: set[int] | None = None
        if "alert.id" in query.filters:
            ids = {i for i in (self.index.index_of(a) for a in query.filters["alert.id"]) if i is not None}
        if policies is None and accounts is None and not statuses and not resource_checks and ids is None:
            return self._unfiltered_page(window, query.descending, after, limit), len(window)

        page: list[int] = []
        total = 0
        pol, acc = self.index.policy, self.index.account
        iterable: Iterable[int] = (
            sorted((i for i in ids if i in window), reverse=query.descending) if ids is not None else ordered
        )
        for i in iterable:
            if policies is not None and pol[i] not in policies:
                continue
            if accounts is not None and acc[i] not in accounts:
                continue
            if statuses and self.status_of(i, now_ms) not in statuses:
                continue
            if resource_checks and not self._resource_matches(i, resource_checks):
                continue
            total += 1
            if len(page) < limit and (after is None or (i < after if query.descending else i > after)):
                page.append(i)
        return page, total

    def _unfiltered_page(self, window: range, descending: bool, after: int | None, limit: int) -> list[int]:
        if descending:
            top = window.stop if after is None else min(after, window.stop)
            return list(range(top - 1, max(window.start, top - limit) - 1, -1))
        bottom = window.start if after is None else max(after + 1, window.start)
        return list(range(bottom, min(window.stop, bottom + limit)))

    def _resource_matches(self, i: int, checks: list[tuple[int, set[str]]]) -> bool:
        account = self.accounts[self.index.account[i]]
        fields = self.index.resource_name(i, account, self.policies[self.index.policy[i]])
        return all(fields[position] in values for position, values in checks)

    def count(self, status: str, now_ms: int) -> int:
        if status not in STATUSES:
            raise AlertQueryError("status")
        if not self.overlay:
            code = BASE_STATUSES.index(status) if status in BASE_STATUSES else -1
            return self.index.status.count(code) if code >= 0 else 0
        return sum(1 for i in range(self.index.n) if self.status_of(i, now_ms) == status)

    # -- rendering ----------------------------------------------------------------------------------------
    def render(self, i: int, now_ms: int, detailed: bool) -> dict[str, Any]:
        """The `AlertModel` of alert `i`."""
        index = self.index
        policy = self.policies[index.policy[i]]
        account = self.accounts[index.account[i]]
        resource_id, resource_name, region = index.resource_name(i, account, policy)
        alert_time = index.time_ms(i)
        status = self.status_of(i, now_ms)
        change = self.overlay.get(i)
        history: list[dict[str, Any]] = [
            {"modifiedBy": "System", "modifiedOn": alert_time, "reason": "NEW_ALERT", "status": "open"}
        ]
        if index.status[i] != 0:
            history.append(
                {
                    "modifiedBy": "System",
                    "modifiedOn": index.resolved_ms(i),
                    "reason": "RESOURCE_UPDATED",
                    "status": BASE_STATUSES[index.status[i]],
                }
            )
        alert: dict[str, Any] = {
            "id": index.alert_id(i),
            "status": status,
            "reason": "NEW_ALERT" if index.status[i] == 0 else "RESOURCE_UPDATED",
            "firstSeen": alert_time,
            "lastSeen": alert_time,
            "alertTime": alert_time,
            "eventOccurred": alert_time,
            "lastUpdated": change.changed_ms if change else alert_time,
            "policyId": policy.policy_id,
            "policy": self._policy_summary(policy, detailed),
            "resource": {
                "id": resource_id,
                "rrn": ":".join(
                    ("rrn", account.cloud_type, policy.api_name, region, account.account_id, resource_id)
                ),
                "name": resource_name,
                "account": account.name,
                "accountId": account.account_id,
                "cloudType": account.cloud_type,
                "region": region,
                "regionId": region,
                "resourceType": resource_type(policy),
                "resourceApiName": policy.api_name,
                "cloudServiceName": cloud_service(policy),
                "resourceTags": account_tags(account),
                "cloudAccountGroups": [g.name for g in self.groups if account.account_id in g.account_ids],
                "resourceConfigJsonAvailable": True,
                "resourceDetailsAvailable": True,
            },
            "alertRules": [
                {"name": name, "policyScanConfigId": f"{mix('alert-rule', name):016x}", "target": {}}
                for name in alert_rules(policy)
            ],
            "alertAdditionalInfo": {},
            "alertCount": 1,
            "history": history + (change.history if change else []),
        }
        if change is None and status == "dismissed":
            # Dismissed by the generator: a plausible owner and note, stable per alert.
            alert["dismissedBy"] = "alice@example.com"
            alert["dismissalNote"] = "Accepted risk: reviewed with the resource owner."
        if status in ("dismissed", "snoozed") and change is not None:
            alert["dismissedBy"] = change.by
            if change.note is not None:
                alert["dismissalNote"] = change.note
            if change.until_ms is not None and status == "snoozed":
                alert["dismissalUntilTs"] = change.until_ms
                alert["dismissalDuration"] = (
                    f"{max(0, (change.until_ms - change.changed_ms) // 3_600_000)} hours"
                )
        return alert

    @staticmethod
    def _policy_summary(policy: Policy, detailed: bool) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "policyId": policy.policy_id,
            "name": policy.name,
            "policyType": "config",
            "severity": policy.severity,
            "systemDefault": True,
            "remediable": policy.remediable,
            "rule": {"name": policy.name, "type": "Config", "criteria": policy.criteria, "parameters": {}},
        }
        if detailed:
            summary.update(policy_detail(policy))
        return summary


def policy_detail(policy: Policy) -> dict[str, Any]:
    """The fields `detailed=true` adds (and `/v2/policy` always shows)."""
    return {
        "description": f"{policy.name}. Checked on every {policy.api_name} resource.",
        "recommendation": f"Review the resource and fix the setting checked by: {policy.criteria}.",
        "labels": list(policy.labels),
        "deleted": False,
        "lastModifiedBy": "template@redlock.io",
        "lastModifiedOn": policy.created_on,
        "complianceMetadata": [
            {
                "standardName": r.standard_name,
                "standardDescription": r.standard_description,
                "requirementId": r.requirement_id,
                "requirementName": r.requirement_name,
                "sectionId": r.section_id,
                "policyId": policy.policy_id,
                "customAssigned": False,
            }
            for r in policy.compliance
        ],
    }
