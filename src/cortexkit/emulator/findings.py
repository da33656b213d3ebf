"""Which resources fail which policies: the one rule the posture, the inventory and scan info share.

A resource fails a policy when both hold:
- the policy's `json.rule` criteria match the resource's document (the RQL engine evaluates it, so a
  storage account with `supportsHttpsTrafficOnly: false` fails "does not require secure transfer" and
  one with `true` passes), and
- the resource's account has an open alert of that policy (up to the time asked about), so dismissing
  or snoozing a policy's alerts passes its resources everywhere.

The first part gives each policy its own share of failing resources (from a few percent to over half),
so pass rates differ across standards as on a real tenant; the second keeps the views in step with the
alerts clients change.
"""

from __future__ import annotations

from cortexkit.emulator import rql
from cortexkit.emulator.catalog import SEVERITIES
from cortexkit.emulator.entities import Policy, Resource
from cortexkit.emulator.state import TenantState

VIOLATIONS_KEY = "policy_violations"


def _violations(state: TenantState) -> dict[str, frozenset[int]]:
    """Policy id -> indices of the resources whose document matches its criteria (cached until reset)."""
    cached: dict[str, frozenset[int]] | None = state.extensions.get(VIOLATIONS_KEY)
    if cached is not None:
        return cached
    out: dict[str, frozenset[int]] = {}
    for policy in state.policies:
        query = rql.parse(f"config from cloud.resource where json.rule = {policy.criteria}")
        out[policy.policy_id] = frozenset(
            i for i, r in enumerate(state.resources) if r.api_name == policy.api_name and query.matches(r)
        )
    state.extensions[VIOLATIONS_KEY] = out
    return out


def open_alert_pairs(state: TenantState, end_ms: int | None = None) -> set[tuple[str, str]]:
    """(account id, policy id) pairs with an open alert raised up to `end_ms` (now when None)."""
    index, store = state.alerts.index, state.alerts
    now = state.now_ms()
    last = index.n if end_ms is None else index.first_at_or_after(end_ms + 1)
    pairs: set[tuple[str, str]] = set()
    for i in range(last):
        if store.status_of(i, now) == "open":
            pairs.add(
                (store.accounts[index.account[i]].account_id, store.policies[index.policy[i]].policy_id)
            )
    return pairs


class Findings:
    """The failing (resource, policy) pairs of one moment; build one per request, under `state.lock`."""

    def __init__(self, state: TenantState, end_ms: int | None = None) -> None:
        self.state = state
        self.violations = _violations(state)
        self.open_pairs = open_alert_pairs(state, end_ms)
        self._position = {id(r): i for i, r in enumerate(state.resources)}

    def fails(self, resource: Resource, policy: Policy) -> bool:
        return (
            policy.api_name == resource.api_name
            and self._position[id(resource)] in self.violations[policy.policy_id]
            and (resource.account_id, policy.policy_id) in self.open_pairs
        )

    def worst(self, resource: Resource, policies: list[Policy]) -> str | None:
        """The most severe of `policies` the resource fails, or None when it passes them all."""
        failing = [p.severity for p in policies if self.fails(resource, p)]
        return min(failing, key=SEVERITIES.index) if failing else None
