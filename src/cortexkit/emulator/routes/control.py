"""The control plane under `/_emulator/`: never authenticated, rate limited or faulted.

It exists for tests and demos on loopback; it is not part of the emulated API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from cortexkit import __version__

from .. import errors
from ..core import Emulator, get_emulator

router = APIRouter(prefix="/_emulator", tags=["emulator control plane"])
EmuDep = Annotated[Emulator, Depends(get_emulator)]


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance: float = Field(ge=0, le=10 * 365 * 86400)


class FaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault_rate: float = Field(ge=0.0, le=1.0)
    seed: int | None = None


@router.get("/health")
async def health(emu: EmuDep) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "now": emu.clock.now(),
        "clock_offset": emu.clock.offset,
        "state": emu.state is not None,
    }


@router.get("/stats")
async def stats(emu: EmuDep) -> dict[str, Any]:
    return emu.stats.snapshot()


@router.post("/reset")
async def reset(emu: EmuDep) -> dict[str, Any]:
    emu.reset()
    return {"status": "reset", "now": emu.clock.now()}


@router.get("/clock")
async def get_clock(emu: EmuDep) -> dict[str, Any]:
    return {"now": emu.clock.now(), "offset": emu.clock.offset}


@router.post("/clock")
async def advance_clock(body: ClockAdvance, emu: EmuDep) -> dict[str, Any]:
    now = emu.clock.advance(body.advance)
    return {"now": now, "offset": emu.clock.offset}


@router.get("/faults")
async def list_faults(emu: EmuDep) -> dict[str, Any]:
    return {"fault_rate": emu.faults.fault_rate, "plans": emu.faults.plans()}


@router.post("/faults", status_code=201)
async def add_faults(
    emu: EmuDep, body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()]
) -> dict[str, Any]:
    """Add one plan or a list of plans: `{"route": "POST /v2/alert", "statuses": [503], "count": 1,
    "when": "before"|"after", "latency": s, "retry_after": s}`."""
    items = body if isinstance(body, list) else [body]
    added = []
    for item in items:
        try:
            added.append(emu.faults.add_plan(item).to_dict())
        except ValueError as exc:
            raise errors.V2Error(400, "BadRequest", str(exc), target="faults") from None
    return {"plans": added}


@router.put("/faults/rate")
async def set_fault_rate(body: FaultSettings, emu: EmuDep) -> dict[str, Any]:
    emu.faults.set_rate(body.fault_rate, body.seed)
    return {"fault_rate": emu.faults.fault_rate}


@router.delete("/faults")
async def clear_faults(emu: EmuDep) -> dict[str, Any]:
    emu.faults.clear()
    return {"plans": []}
