"""Policies (`/policy`) and compliance posture (`/compliance/posture`)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from cortexkit.pagination import RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, clean, many, one
from cortexkit.resources.cloud_accounts import seg
from cortexkit.resources.models import CompliancePosture, Policy

POSTURE_TO_NOW = {"timeType": "to_now", "timeUnit": "epoch"}
"""The posture API's query form of "up to now", the only range it knows."""


def list_call(filters: Mapping[str, str | Sequence[str]] | None = None) -> Call[list[Policy]]:
    """`GET /v2/policy` (same objects as `/policy`); `filters` are the API query names (a list repeats one),
    e.g. `{"policy.severity": "high", "cloud.type": "azure"}`."""
    return Call(RequestSpec("GET", "/v2/policy", params=dict(filters) if filters else None), many(Policy))


def get_call(policy_id: str) -> Call[Policy]:
    return Call(RequestSpec("GET", f"/policy/{seg(policy_id)}"), one(Policy))


def posture_call(
    params: Mapping[str, Any] | None = None,
    *,
    cloud_type: str | None = None,
    account: str | None = None,
    standard: str | None = None,
) -> Call[CompliancePosture]:
    """Compliance posture up to now, optionally for one cloud type, account name or standard; `params`
    adds or overrides raw query parameters."""
    query = {
        **POSTURE_TO_NOW,
        **clean(
            **{
                "cloud.type": cloud_type.lower() if cloud_type else None,
                "cloud.account": account,
                "policy.complianceStandard": standard,
            }
        ),
        **(params or {}),
    }
    return Call(RequestSpec("GET", "/compliance/posture", params=query), one(CompliancePosture))


def standard_posture_call(compliance_id: str) -> Call[CompliancePosture]:
    """Posture of one compliance standard up to now, with its `requirementSummaries` (an extra field)."""
    path = f"/compliance/posture/{seg(compliance_id)}"
    return Call(RequestSpec("GET", path, params=dict(POSTURE_TO_NOW)), one(CompliancePosture))


class Policies(SyncResource):
    def list(self, filters: Mapping[str, str | Sequence[str]] | None = None) -> builtins.list[Policy]:
        return self._run(list_call(filters))

    def get(self, policy_id: str) -> Policy:
        return self._run(get_call(policy_id))


class AsyncPolicies(AsyncResource):
    async def list(self, filters: Mapping[str, str | Sequence[str]] | None = None) -> builtins.list[Policy]:
        return await self._run(list_call(filters))

    async def get(self, policy_id: str) -> Policy:
        return await self._run(get_call(policy_id))


class Compliance(SyncResource):
    def posture(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        cloud_type: str | None = None,
        account: str | None = None,
        standard: str | None = None,
    ) -> CompliancePosture:
        return self._run(posture_call(params, cloud_type=cloud_type, account=account, standard=standard))

    def standard_posture(self, compliance_id: str) -> CompliancePosture:
        return self._run(standard_posture_call(compliance_id))


class AsyncCompliance(AsyncResource):
    async def posture(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        cloud_type: str | None = None,
        account: str | None = None,
        standard: str | None = None,
    ) -> CompliancePosture:
        call = posture_call(params, cloud_type=cloud_type, account=account, standard=standard)
        return await self._run(call)

    async def standard_posture(self, compliance_id: str) -> CompliancePosture:
        return await self._run(standard_posture_call(compliance_id))
