"""Policies: `GET /v2/policy` and `GET /policy` (Policy.json), filtered by the documented query names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator import errors
from cortexkit.emulator.alertstore import policy_detail
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import Policy
from cortexkit.emulator.routeutil import clip, state_of
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Policy"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

_FILTERS: dict[str, Callable[[Policy, set[str]], bool]] = {
    "policy.name": lambda p, v: p.name in v,
    "policy.severity": lambda p, v: p.severity in v,
    "policy.label": lambda p, v: bool(v & set(p.labels)),
    "policy.type": lambda p, v: "config" in v,
    "policy.rule.type": lambda p, v: "config" in v,
    "policy.subtype": lambda p, v: "run" in v,
    "policy.complianceStandard": lambda p, v: any(r.standard_name in v for r in p.compliance),
    "policy.complianceRequirement": lambda p, v: any(r.requirement_name in v for r in p.compliance),
    "policy.complianceSection": lambda p, v: any(r.section_id in v for r in p.compliance),
    "policy.enabled": lambda p, v: "true" in v,
    "policy.policyMode": lambda p, v: "redlock_default" in v,
    "policy.remediable": lambda p, v: str(p.remediable).lower() in v,
    "policy.allowDeleted": lambda p, v: True,
    "cloud.type": lambda p, v: p.cloud_type in v,
}
# Filters over enum values, compared case-insensitively; names and labels are matched exactly.
_CASE_FREE = frozenset(
    {
        "policy.severity",
        "policy.type",
        "policy.rule.type",
        "policy.subtype",
        "policy.enabled",
        "policy.policyMode",
        "policy.remediable",
        "cloud.type",
    }
)


def policy_view(policy: Policy) -> dict[str, Any]:
    """`PolicyModel` as the v2 list returns it."""
    return {
        "policyId": policy.policy_id,
        "name": policy.name,
        "policyType": "config",
        "policyCategory": "risk",
        "policyClass": "misconfiguration",
        "policySubTypes": ["run"],
        "policyMode": "redlock_default",
        "policyUpi": f"PC-{policy.cloud_type.upper()}-{policy.policy_id[:4].upper()}",
        "cloudType": policy.cloud_type,
        "severity": policy.severity,
        "enabled": True,
        "systemDefault": True,
        "remediable": policy.remediable,
        "overridden": False,
        "readOnly": False,
        "owner": "Palo Alto Networks",
        "createdBy": "Prisma Cloud System Admin",
        "createdOn": policy.created_on,
        "ruleLastModifiedOn": policy.created_on,
        "findingTypes": [],
        "rule": {
            "name": policy.name,
            "type": "Config",
            "criteria": policy.criteria,
            "parameters": {"savedSearch": "false", "withIac": "false"},
            "apiName": policy.api_name,
            "cloudType": policy.cloud_type,
        },
        **policy_detail(policy),
    }


@router.get("/v2/policy")
@router.get("/policy")
def list_policies(request: Request, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    """The v2 list and the legacy one (which prismacloud-cli's `alert list` calls) share one model."""
    wanted: dict[str, set[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in _FILTERS:
            raise errors.RedlockError(400, "invalid_parameter_value", subject=clip(name))
        wanted.setdefault(name, set()).add(value.lower() if name in _CASE_FREE else value)
    state = state_of(emu)
    return [
        policy_view(p)
        for p in state.policies
        if all(_FILTERS[name](p, values) for name, values in wanted.items())
    ]
