"""The workloads of issue 7 and the Cortex sweep of issue 16. Each module holds its parent-side spec
and its child-side functions.

Modules are imported by peer pythons too (bench.worker), so they import only the standard library at
module level; cortexkit, httpx and the peers are imported inside the functions that use them.
"""

from __future__ import annotations

ORDER: tuple[str, ...] = (
    "capacity",
    "sweep",
    "overhead",
    "export",
    "report",
    "session",
    "onboarding",
    "cortex_sweep",
    "cortex_onboarding",
    "fleet",
    "cli_session",
)
