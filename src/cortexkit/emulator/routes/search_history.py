"""Saved and recent RQL searches (SearchManager.json): `GET /search/history?filter=saved|recent`.

A few searches over the tenant's own resource types, written in the RQL subset the emulator answers
(`config from cloud.resource where api.name = '...'`), so a client can run what it lists. Writes
(save, delete) are not emulated.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from cortexkit.emulator import errors
from cortexkit.emulator.catalog import API_NAMES, DAY_MS, USERS
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.routeutil import state_of
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Search History"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

FILTERS = ("saved", "recent")


def _searches(anchor_ms: int) -> list[dict[str, Any]]:
    rows = []
    entries = [(api, rtype) for cloud in sorted(API_NAMES) for api, rtype, _service in API_NAMES[cloud]]
    for n, (api, rtype) in enumerate(entries):
        rows.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cortexkit-emulator/search/{api}")),
                "searchName": f"All {rtype} resources ({api.split('-')[0]})",
                "description": f"Every {rtype} the tenant ingests",
                "query": f"config from cloud.resource where api.name = '{api}'",
                "createdBy": USERS[n % len(USERS)],
                "lastModifiedBy": USERS[n % len(USERS)],
                "timestamp": anchor_ms - (n + 1) * 3 * DAY_MS,
                "systemDefault": False,
                "policies": [],
            }
        )
    return rows


@router.get("/search/history")
def search_history(
    _: Auth, emu: Emu, filter: Annotated[str, Query()], limit: Annotated[int | None, Query()] = None
) -> list[dict[str, Any]]:
    """`saved`: the named searches; `recent`: the same queries as recently run (unnamed), newest first."""
    if filter not in FILTERS:
        raise errors.RedlockError(400, "invalid_parameter_value", subject="filter")
    if limit is not None and limit < 1:
        raise errors.RedlockError(400, "invalid_parameter_value", subject="limit")
    rows = _searches(state_of(emu).anchor_ms)
    if filter == "recent":
        rows = [{**r, "searchName": "", "description": ""} for r in rows]
    rows.sort(key=lambda r: -int(r["timestamp"]))
    return rows[:limit] if limit else rows
