"""The API's time-range model, resolved to a concrete `[start_ms, end_ms]` window.

Three forms exist (api-facts.md section 6): relative (`{"amount", "unit"}`, backward from now by
default), absolute (`{"startTime", "endTime"}` in ms) and to_now (`"login"`, `"epoch"`, `"day"`, ...).
The documentation writes to_now values in lower case and the schema enum in upper case, so both are
accepted. Pure functions: the caller passes `now` and the session's login time.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

UNIT_MS: dict[str, int] = {
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 7 * 86_400_000,
    "month": 30 * 86_400_000,
    "year": 365 * 86_400_000,
}
TO_NOW_VALUES = frozenset({"login", "epoch", "minute", "hour", "day", "week", "month", "year"})


class TimeRangeError(ValueError):
    """A time range the API would refuse; the message names the offending part."""


@dataclass(frozen=True)
class Window:
    """A closed interval of epoch milliseconds."""

    start_ms: int
    end_ms: int

    def contains(self, ts_ms: int) -> bool:
        return self.start_ms <= ts_ms <= self.end_ms


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise TimeRangeError(f"{name} must be a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TimeRangeError(f"{name} must be a number") from None


def _start_of(unit: str, now_ms: int) -> int:
    """Start of the current calendar minute/hour/day/week/month/year (UTC), as to_now uses it."""
    dt = datetime.fromtimestamp(now_ms / 1000, UTC)
    if unit == "minute":
        dt = dt.replace(second=0, microsecond=0)
    elif unit == "hour":
        dt = dt.replace(minute=0, second=0, microsecond=0)
    elif unit == "day":
        dt = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "week":
        dt = dt.replace(hour=0, minute=0, second=0, microsecond=0)
        dt = datetime.fromtimestamp(dt.timestamp() - dt.weekday() * 86_400, UTC)
    elif unit == "month":
        dt = dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:  # year
        dt = dt.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return calendar.timegm(dt.timetuple()) * 1000


def resolve(time_range: Mapping[str, Any] | None, now_ms: int, login_ms: int | None = None) -> Window | None:
    """The window a `TimeRange` body selects, or None when no range was given (meaning: everything)."""
    if time_range is None:
        return None
    if not isinstance(time_range, Mapping):
        raise TimeRangeError("timeRange must be an object")
    kind = str(time_range.get("type", "")).lower()
    value = time_range.get("value")
    if kind == "relative":
        if not isinstance(value, Mapping):
            raise TimeRangeError("timeRange.value must be {amount, unit} for a relative range")
        amount = _int(value.get("amount"), "timeRange.value.amount")
        unit = str(value.get("unit", "")).lower()
        if unit not in UNIT_MS or amount < 0:
            raise TimeRangeError(f"timeRange.value.unit must be one of {sorted(UNIT_MS)}")
        span = amount * UNIT_MS[unit]
        if str(time_range.get("relativeTimeType", "BACKWARD")).upper() == "FORWARD":
            return Window(now_ms, now_ms + span)
        return Window(now_ms - span, now_ms)
    if kind == "absolute":
        if not isinstance(value, Mapping):
            raise TimeRangeError("timeRange.value must be {startTime, endTime} for an absolute range")
        start = _int(value.get("startTime", 0), "timeRange.value.startTime")
        end = _int(value.get("endTime", now_ms), "timeRange.value.endTime")
        if end < start:
            raise TimeRangeError("timeRange.value.endTime is before startTime")
        return Window(start, end)
    if kind == "to_now":
        unit = str(value or "").lower()
        if unit not in TO_NOW_VALUES:
            raise TimeRangeError(f"timeRange.value must be one of {sorted(TO_NOW_VALUES)} for to_now")
        if unit == "epoch":
            return Window(0, now_ms)
        if unit == "login":
            return Window(login_ms if login_ms is not None else now_ms, now_ms)
        return Window(_start_of(unit, now_ms), now_ms)
    raise TimeRangeError("timeRange.type must be relative, absolute or to_now")


def from_query(params: Mapping[str, str]) -> dict[str, Any] | None:
    """The body form of the GET query form (`timeType`, `timeAmount`, `timeUnit`, `startTime`, `endTime`)."""
    kind = params.get("timeType")
    if kind is None:
        return None
    kind = kind.lower()
    if kind == "relative":
        return {"type": kind, "value": {"amount": params.get("timeAmount"), "unit": params.get("timeUnit")}}
    if kind == "absolute":
        return {
            "type": kind,
            "value": {"startTime": params.get("startTime"), "endTime": params.get("endTime")},
        }
    if kind == "to_now":
        return {"type": kind, "value": params.get("timeUnit")}
    raise TimeRangeError("timeType must be relative, absolute or to_now")


def future_until(time_range: Mapping[str, Any], now_ms: int) -> int:
    """The end of a snooze: a relative range counts forward from now, an absolute one gives endTime."""
    kind = str(time_range.get("type", "")).lower()
    value = time_range.get("value")
    if kind == "relative" and isinstance(value, Mapping):
        amount = _int(value.get("amount"), "dismissalTimeRange.value.amount")
        unit = str(value.get("unit", "")).lower()
        if unit not in UNIT_MS or amount <= 0:
            raise TimeRangeError("dismissalTimeRange needs a positive amount and a known unit")
        return now_ms + amount * UNIT_MS[unit]
    if kind == "absolute" and isinstance(value, Mapping):
        end = _int(value.get("endTime"), "dismissalTimeRange.value.endTime")
        if end <= now_ms:
            raise TimeRangeError("dismissalTimeRange.value.endTime must be in the future")
        return end
    raise TimeRangeError("dismissalTimeRange must be relative {amount, unit} or absolute {endTime}")
