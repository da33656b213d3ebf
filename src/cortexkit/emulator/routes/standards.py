"""Compliance standards (ComplianceStandards.json): the read side, `GET /compliance`, one standard, its
requirements and a requirement's sections.

The same fixed standards `/compliance/posture` reports on (catalog.STANDARDS), addressed by stable UUIDs
derived from their short ids, so ids read here work on the posture routes and back. Writes (add, clone,
update, delete) are not emulated: no client of this project or of the peers tested here calls them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from cortexkit.emulator import errors
from cortexkit.emulator.catalog import DAY_MS, STANDARDS
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.entities import Policy
from cortexkit.emulator.routes.compliance import standard_uuid
from cortexkit.emulator.routeutil import clip, state_of
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Compliance Standards"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

SYSTEM = "Prisma Cloud System Admin"
Standard = tuple[str, str, str, tuple[str, ...], tuple[tuple[str, str, tuple[str, ...]], ...]]


def requirement_uuid(standard_id: str, requirement_id: str) -> str:
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"cortexkit-emulator/requirement/{standard_id}/{requirement_id}")
    )


def section_uuid(standard_id: str, section_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cortexkit-emulator/section/{standard_id}/{section_id}"))


def _stamps(anchor_ms: int) -> dict[str, Any]:
    """System standards were created long before the tenant's data starts."""
    return {
        "createdBy": SYSTEM,
        "createdOn": anchor_ms - 400 * DAY_MS,
        "lastModifiedBy": SYSTEM,
        "lastModifiedOn": anchor_ms - 200 * DAY_MS,
        "systemDefault": True,
    }


def _policies_in(policies: list[Policy], standard_id: str, requirement: str | None = None) -> list[Policy]:
    return [
        p
        for p in policies
        if any(
            r.standard_id == standard_id and (requirement is None or r.requirement_id == requirement)
            for r in p.compliance
        )
    ]


def _standard_view(std: Standard, policies: list[Policy], anchor_ms: int) -> dict[str, Any]:
    std_id, name, description, clouds, _ = std
    return {
        "id": standard_uuid(std_id),
        "name": name,
        "description": description,
        "cloudType": list(clouds),
        "policiesAssignedCount": len(_policies_in(policies, std_id)),
        **_stamps(anchor_ms),
    }


def _find_standard(compliance_id: str) -> Standard:
    match = next((s for s in STANDARDS if standard_uuid(s[0]) == compliance_id), None)
    if match is None:
        raise errors.RedlockError(400, "bad_request", subject=clip(compliance_id))
    return match


@router.get("/compliance")
def list_standards(_: Auth, emu: Emu) -> list[dict[str, Any]]:
    state = state_of(emu)
    return [_standard_view(s, state.policies, state.anchor_ms) for s in STANDARDS]


@router.get("/compliance/{compliance_id}")
def get_standard(compliance_id: str, _: Auth, emu: Emu) -> dict[str, Any]:
    state = state_of(emu)
    return _standard_view(_find_standard(compliance_id), state.policies, state.anchor_ms)


@router.get("/compliance/{compliance_id}/requirement")
def list_requirements(compliance_id: str, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    state = state_of(emu)
    std_id, name, _description, _clouds, requirements = _find_standard(compliance_id)
    return [
        {
            "id": requirement_uuid(std_id, req_id),
            "requirementId": req_id,
            "name": req_name,
            "description": f"{name}: {req_name}",
            "complianceId": standard_uuid(std_id),
            "standardName": name,
            "viewOrder": order,
            "policiesAssignedCount": len(_policies_in(state.policies, std_id, req_id)),
            **_stamps(state.anchor_ms),
        }
        for order, (req_id, req_name, _sections) in enumerate(requirements, start=1)
    ]


@router.get("/compliance/{requirement_id}/section")
def list_sections(requirement_id: str, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    state = state_of(emu)
    for std_id, name, _description, _clouds, requirements in STANDARDS:
        for req_id, req_name, sections in requirements:
            if requirement_uuid(std_id, req_id) != requirement_id:
                continue
            rows = []
            for order, section in enumerate(sections, start=1):
                mapped = [
                    p.policy_id
                    for p in state.policies
                    if any(r.standard_id == std_id and r.section_id == section for r in p.compliance)
                ]
                rows.append(
                    {
                        "id": section_uuid(std_id, section),
                        "sectionId": section,
                        "label": f"{req_name} {section}",
                        "description": f"{name} {section}",
                        "requirementId": requirement_id,
                        "requirementName": req_name,
                        "standardName": name,
                        "viewOrder": order,
                        "associatedPolicyIds": mapped,
                        "policiesAssignedCount": len(mapped),
                        **_stamps(state.anchor_ms),
                    }
                )
            return rows
    raise errors.RedlockError(400, "bad_request", subject=clip(requirement_id))
