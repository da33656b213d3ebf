"""Time specifications -> the API's time-range model, with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cortexkit.cli.timespec import TimeSpecError, parse_duration, parse_time_range

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("7d", 7, "day"),
        ("24h", 24, "hour"),
        ("30m", 30, "minute"),
        ("2w", 2, "week"),
        ("3mo", 3, "month"),
        ("1y", 1, "year"),
        (" 45 MIN ", 45, "minute"),
    ],
)
def test_relative(text: str, amount: int, unit: str) -> None:
    assert parse_time_range(text, now=NOW) == {"type": "relative", "value": {"amount": amount, "unit": unit}}


def test_iso_date_is_absolute_up_to_now() -> None:
    result = parse_time_range("2026-11-01", now=NOW)
    start = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000)
    assert result == {"type": "absolute", "value": {"startTime": start, "endTime": NOW_MS}}


def test_explicit_range_with_z_suffix() -> None:
    result = parse_time_range("2026-11-01T00:00:00Z..2026-11-02", now=NOW)
    assert result["value"]["endTime"] - result["value"]["startTime"] == 86_400_000


def test_all_means_since_the_epoch() -> None:
    assert parse_time_range("all") == {"type": "to_now", "value": "epoch"}


@pytest.mark.parametrize(
    "text", ["", "7", "seven days", "0d", "-3d", "2026-13-01", "2026-11-05..2026-11-01", "5x"]
)
def test_bad_input_is_one_clear_sentence(text: str) -> None:
    with pytest.raises(TimeSpecError) as info:
        parse_time_range(text, now=NOW)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message
    assert "7d" in message or "earlier" in message or "positive" in message


def test_duration_for_snooze() -> None:
    assert parse_duration("24h") == {"amount": 24, "unit": "hour"}
    with pytest.raises(TimeSpecError, match="24h"):
        parse_duration("soon")
