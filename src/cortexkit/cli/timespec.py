"""Time specifications typed on the command line -> the API's time-range model.

`7d`, `24h`, `30m`, `2w`, `3mo`, `1y` become relative ranges (the API counts back from its own clock);
an ISO date or timestamp becomes an absolute range up to now, and `START..END` an absolute range between
two instants; `all` means since the epoch. Pure: the caller injects `now` so tests need no clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_UNITS = {
    "m": "minute",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "mo": "month",
    "y": "year",
}
_RELATIVE = re.compile(r"^\s*(\d+)\s*(min|mo|m|h|d|w|y)\s*$", re.IGNORECASE)

EXAMPLES = "7d, 24h, 30m, 2w, 3mo, 1y, 2026-01-31, 2026-01-01..2026-01-31 or all"


class TimeSpecError(ValueError):
    """A time specification the user typed that cannot be understood; the message says what is accepted."""


def parse_time_range(text: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Return the API's `{"type": ..., "value": ...}` model for `text`."""
    spec = text.strip()
    if not spec:
        raise TimeSpecError(f"the time range is empty: use one of {EXAMPLES}.")
    if spec.lower() in {"all", "epoch"}:
        from cortexkit.resources._base import to_now

        return to_now()
    match = _RELATIVE.match(spec)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise TimeSpecError(f"the time range {text!r} must be a positive amount: use one of {EXAMPLES}.")
        return {"type": "relative", "value": {"amount": amount, "unit": _UNITS[match.group(2).lower()]}}
    current = now or datetime.now(UTC)
    if ".." in spec:
        start_text, _, end_text = spec.partition("..")
        start = _parse_instant(start_text, text)
        end = _parse_instant(end_text, text) if end_text.strip() else current
    else:
        start, end = _parse_instant(spec, text), current
    if start >= end:
        raise TimeSpecError(f"the time range {text!r} starts after it ends: put the earlier instant first.")
    return {"type": "absolute", "value": {"startTime": _ms(start), "endTime": _ms(end)}}


def parse_duration(text: str) -> dict[str, Any]:
    """A forward duration for snoozing (`24h`, `7d`): the relative value model without the type."""
    match = _RELATIVE.match(text)
    if not match or int(match.group(1)) <= 0:
        raise TimeSpecError(
            f"the duration {text!r} is not understood: use a number and a unit, like 24h or 7d."
        )
    return {"amount": int(match.group(1)), "unit": _UNITS[match.group(2).lower()]}


def _parse_instant(part: str, original: str) -> datetime:
    candidate = part.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise TimeSpecError(
            f"the time range {original!r} is not understood: use one of {EXAMPLES}."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
