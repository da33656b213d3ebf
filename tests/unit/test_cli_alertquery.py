"""Alert filter options -> FilterModel."""

from __future__ import annotations

import pytest

from cortexkit.cli.alertquery import AlertSelection, FilterError, body


def test_filters_and_time_range() -> None:
    result = body(
        AlertSelection(status=("open",), severity=("HIGH", "critical"), account=("prod",), since="7d")
    )
    assert result["filters"] == [
        {"name": "alert.status", "operator": "=", "value": "open"},
        {"name": "policy.severity", "operator": "=", "value": "high"},
        {"name": "policy.severity", "operator": "=", "value": "critical"},
        {"name": "cloud.account", "operator": "=", "value": "prod"},
    ]
    assert result["timeRange"] == {"type": "relative", "value": {"amount": 7, "unit": "day"}}
    assert result["limit"] == 10_000


def test_page_size_is_capped_and_unknown_values_rejected() -> None:
    assert body(AlertSelection(), limit=50_000)["limit"] == 10_000
    with pytest.raises(FilterError, match="open, dismissed"):
        body(AlertSelection(status=("closed",)))
    assert AlertSelection().is_empty() and not AlertSelection(since="1d").is_empty()
