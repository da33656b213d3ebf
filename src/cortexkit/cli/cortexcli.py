"""What the Cortex command groups share: the dialect check and time ranges as epoch milliseconds."""

from __future__ import annotations

import time
from typing import Any

from cortexkit.cli.context import CliState
from cortexkit.cli.errors import UsageProblem
from cortexkit.cli.timespec import parse_time_range

SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}


def require_cortex(cli: CliState, command: str, instead: str) -> None:
    """Cortex-only commands say so on Prisma credentials, and name the Prisma command that does the job."""
    if cli.dialect() != "cortex":
        raise UsageProblem(
            f"`cortexkit {command}` works on Cortex Cloud; the selected credentials are Prisma Cloud "
            f"({instead}), or pick Cortex with --profile or --backend cortex."
        )


def since_ms(text: str, *, now: float | None = None) -> int | None:
    """`24h`, `7d`, a date or `all` as the epoch milliseconds where the range starts (None: no bound)."""
    spec: dict[str, Any] = parse_time_range(text)
    current = time.time() if now is None else now
    if spec["type"] == "relative":
        value = spec["value"]
        return int((current - int(value["amount"]) * SECONDS[value["unit"]]) * 1000)
    if spec["type"] == "absolute":
        return int(spec["value"]["startTime"])
    return None
