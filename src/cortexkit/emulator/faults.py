"""Fault injection: what to do to the next request, decided without I/O so it can be unit tested.

Two sources, checked in order:
- per-route plans set through `/_emulator/faults` (a test says "the next 2 calls to POST /cas/v1/azure_account
  answer 503 after performing the action");
- a background `fault_rate`: each eligible request draws from a `random.Random(seed)`, so the same seed and
  the same request sequence give the same faults.

`when="before"` answers without running the handler (nothing happened); `when="after"` runs the handler and
replaces its answer (the change happened but the client cannot know): the case a client must reconcile
instead of resending. Random 504s and dropped connections happen after the handler, the other random
faults before it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

When = Literal["before", "after"]
RANDOM_STATUSES: tuple[int, ...] = (429, 500, 502, 503, 504)
RANDOM_KINDS: tuple[str, ...] = (*(str(s) for s in RANDOM_STATUSES), "drop", "latency")
_AFTER_BY_DEFAULT = frozenset({"504", "drop"})


@dataclass(frozen=True)
class Fault:
    """One decided fault: `kind` is an HTTP status as text, "drop" or "latency"."""

    kind: str
    when: When = "before"
    delay: float = 0.0
    retry_after: int | None = None
    source: str = "random"

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind.isdigit() else None


@dataclass
class FaultPlan:
    """A scripted series of faults for one route template, consumed call by call."""

    method: str
    template: str
    kinds: list[str]
    count: int
    when: When = "before"
    delay: float = 0.5
    retry_after: int | None = None
    id: int = 0
    used: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and template_matches(self.template, path)

    def next_fault(self) -> Fault:
        kind = self.kinds[self.used % len(self.kinds)]
        self.used += 1
        return Fault(kind, self.when, self.delay, self.retry_after, source=f"plan:{self.id}")

    @property
    def exhausted(self) -> bool:
        return self.used >= self.count

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "route": f"{self.method} {self.template}",
            "statuses": [int(k) if k.isdigit() else k for k in self.kinds],
            "count": self.count,
            "remaining": self.count - self.used,
            "when": self.when,
            "latency": self.delay,
            "retry_after": self.retry_after,
        }


def template_matches(template: str, path: str) -> bool:
    """Whether a concrete path fits a route template; `{x}` matches one segment, `*` at the end any rest."""
    tmpl = [s for s in template.split("?", 1)[0].split("/") if s]
    want = [s for s in path.split("?", 1)[0].split("/") if s]
    if tmpl and tmpl[-1] == "*":
        tmpl = tmpl[:-1]
        want = want[: len(tmpl)]
    if len(tmpl) != len(want):
        return False
    return all(t.startswith("{") or t == w for t, w in zip(tmpl, want, strict=True))


def parse_plan(data: dict[str, Any], plan_id: int) -> FaultPlan:
    """Validate a plan from the control plane; raises ValueError with a message for the 400."""
    route = data.get("route")
    if not isinstance(route, str) or " " not in route.strip():
        raise ValueError('"route" must look like "POST /v2/alert" (method, space, path template)')
    method, template = route.strip().split(None, 1)
    raw = data.get("statuses", data.get("status"))
    if raw is None:
        raise ValueError('"statuses" is required: a list of HTTP statuses, "drop" or "latency"')
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ValueError('"statuses" must not be empty')
    kinds: list[str] = []
    for item in items:
        kind = str(item).lower()
        if (kind.isdigit() and 400 <= int(kind) <= 599) or kind in ("drop", "latency"):
            kinds.append(kind)
        else:
            raise ValueError(f"unsupported fault {item!r}: use a 4xx/5xx status, 'drop' or 'latency'")
    count = data.get("count", len(kinds))
    if not isinstance(count, int) or count < 1:
        raise ValueError('"count" must be a positive integer')
    when = data.get("when", "before")
    if when not in ("before", "after"):
        raise ValueError('"when" must be "before" or "after"')
    delay = data.get("latency", 0.5)
    if not isinstance(delay, int | float) or not 0 <= delay <= 60:
        raise ValueError('"latency" must be a number of seconds between 0 and 60')
    retry_after = data.get("retry_after")
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise ValueError('"retry_after" must be a non-negative integer')
    return FaultPlan(
        method=method.upper(),
        template=template,
        kinds=kinds,
        count=count,
        when=when,
        delay=float(delay),
        retry_after=retry_after,
        id=plan_id,
    )


class FaultInjector:
    """Decides, per request, whether and how to misbehave."""

    def __init__(self, fault_rate: float, seed: int, max_latency: float = 1.5, retry_after: int = 1) -> None:
        self.fault_rate = fault_rate
        self._seed = seed
        self._rng = random.Random(seed)
        self._max_latency = max_latency
        self._retry_after = retry_after
        self._plans: list[FaultPlan] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add_plan(self, data: dict[str, Any]) -> FaultPlan:
        with self._lock:
            plan = parse_plan(data, self._next_id)
            self._next_id += 1
            self._plans.append(plan)
            return plan

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

    def plans(self) -> list[dict[str, Any]]:
        with self._lock:
            return [p.to_dict() for p in self._plans]

    def set_rate(self, fault_rate: float, seed: int | None = None) -> None:
        """Change the background fault rate; a new seed restarts the random sequence."""
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        with self._lock:
            self.fault_rate = fault_rate
            if seed is not None:
                self._seed = seed
                self._rng = random.Random(seed)

    def decide(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any. Plans first, then the random rate."""
        with self._lock:
            for plan in self._plans:
                if plan.matches(method, path):
                    fault = plan.next_fault()
                    if plan.exhausted:
                        self._plans.remove(plan)
                    return self._with_retry_after(fault)
            if self.fault_rate <= 0.0 or self._rng.random() >= self.fault_rate:
                return None
            kind = self._rng.choice(RANDOM_KINDS)
            delay = self._rng.uniform(0.05, self._max_latency) if kind == "latency" else 0.0
        when: When = "after" if kind in _AFTER_BY_DEFAULT else "before"
        return self._with_retry_after(Fault(kind, when, delay))

    def _with_retry_after(self, fault: Fault) -> Fault:
        if fault.kind == "503" and fault.retry_after is None:
            return Fault(fault.kind, fault.when, fault.delay, self._retry_after, fault.source)
        return fault
