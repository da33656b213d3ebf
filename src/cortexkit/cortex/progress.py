"""Where a new integration instance stands after its template ran: the wait-for-Cortex verdict.

Reference §3.5: an instance is done when it is no longer PENDING and no security capability is at 4
(Retrieving). Error (3) or Warning (1), on a capability or on the instance, needs the user: Cortex connected
but something it checks failed. Disabled (2) is a capability the user did not turn on, which is fine. An
unknown code cannot be read as success, so it needs the user too. Pure, so the onboarding engine's polling
step and the CLI's `cloud-instances get` read the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cortexkit.cortex.models import CapabilityStatus, InstanceDetails, capability_label

State = Literal["pending", "retrieving", "connected", "needs_attention"]

SETTLED_FINE = frozenset({CapabilityStatus.CONNECTED, CapabilityStatus.DISABLED})
NEEDS_USER = frozenset({CapabilityStatus.WARNING, CapabilityStatus.ERROR})
INSTANCE_PROBLEMS = frozenset({"ERROR", "WARNING"})


@dataclass(frozen=True)
class CapabilityProblem:
    name: str
    label: str
    description: str | None

    def sentence(self) -> str:
        return f"{self.description or self.name} is {self.label}"


@dataclass(frozen=True)
class Progress:
    state: State
    instance_status: str | None
    retrieving: tuple[str, ...] = ()
    problems: tuple[CapabilityProblem, ...] = ()

    @property
    def done(self) -> bool:
        """Nothing more will change by waiting (connected, or the user has to act)."""
        return self.state in ("connected", "needs_attention")

    def message(self) -> str:
        if self.state == "pending":
            return "the instance is PENDING: the template has not run (or Cortex has not seen it yet)"
        if self.state == "retrieving":
            return f"Cortex is still retrieving: {', '.join(self.retrieving)}"
        if self.state == "connected":
            return "connected: every capability is Connected or Disabled"
        parts = [p.sentence() for p in self.problems]
        if self.instance_status in INSTANCE_PROBLEMS:
            parts.insert(0, f"the instance is {self.instance_status}")
        return "needs attention: " + "; ".join(parts)


def _code(value: int | None) -> CapabilityStatus | None:
    try:
        return CapabilityStatus(int(value)) if value is not None else None
    except ValueError:
        return None


def progress(details: InstanceDetails | None, instance_status: str | None = None) -> Progress:
    """The verdict for an instance's details (None: not visible yet); `instance_status` from get_instances
    wins over the details' own status when given, since get_instances is what shows PENDING."""
    status = (instance_status or (details.status if details else None) or "").upper() or None
    if details is None or status == "PENDING":
        return Progress("pending", status)
    retrieving: list[str] = []
    problems: list[CapabilityProblem] = []
    for cap in details.security_capabilities:
        code = _code(cap.status)
        if code is CapabilityStatus.RETRIEVING:
            retrieving.append(cap.description or cap.name)
        elif code is None or code in NEEDS_USER:
            label = (
                capability_label(cap.status) if code is not None else f"in an unknown state ({cap.status})"
            )
            problems.append(CapabilityProblem(cap.name, label, cap.description))
    if retrieving:
        return Progress("retrieving", status, tuple(retrieving), tuple(problems))
    if problems or status in INSTANCE_PROBLEMS:
        return Progress("needs_attention", status, (), tuple(problems))
    return Progress("connected", status)
