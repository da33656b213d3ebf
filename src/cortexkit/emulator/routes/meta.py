"""`GET /meta_info`: where the tenant's Compute console is (`twistlockUrl`).

Undocumented in the specs; prismacloud-api and pcpi read only `twistlockUrl`. The emulator points it at
its own Compute prefix, so Compute calls come back to the same server.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.routes.compute import COMPUTE_PREFIX
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Meta"])


def base_url(request: Request) -> str:
    """The URL the client used to reach us (scheme, host and port), without a trailing slash."""
    return str(request.base_url).rstrip("/")


@router.get("/meta_info")
def meta_info(
    request: Request,
    _: Annotated[Principal, Depends(authenticated)],
    emu: Annotated[Emulator, Depends(get_emulator)],
) -> dict[str, Any]:
    return {
        "twistlockUrl": f"{base_url(request)}{COMPUTE_PREFIX}",
        "licenseType": "enterprise",
        "customerName": emu.config.customer_name,
        "prismaId": emu.config.prisma_id,
    }
