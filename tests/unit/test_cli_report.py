"""Report aggregation (pure) and the HTML it renders."""

from __future__ import annotations

from datetime import UTC, datetime

from cortexkit.cli.report import AlertStats, ReportData, posture_rows, render

DAY = 86_400_000


def _alert(i: int, severity: str, policy: str, account: str, day: int) -> dict[str, object]:
    return {
        "id": f"P-{i}",
        "status": "open" if i % 3 else "dismissed",
        "firstSeen": 1_763_856_000_000 + day * DAY,
        "policy": {"name": policy, "severity": severity},
        "resource": {"account": account, "cloudType": "azure", "name": f"res-{i % 4}"},
    }


def _stats() -> AlertStats:
    stats = AlertStats()
    for i in range(30):
        stats.add(_alert(i, ["high", "low", "critical"][i % 3], f"policy-{i % 5}", f"acct-{i % 2}", i % 6))
    stats.add(_alert(99, "medium", "<script>alert(1)</script>", "acct-0", 0))
    return stats


def test_counters() -> None:
    stats = _stats()
    assert stats.total == 31
    assert stats.by_severity == {"high": 10, "low": 10, "critical": 10, "medium": 1}
    assert stats.by_account["acct-0"] == 16
    assert sum(stats.by_day.values()) == 31 and len(stats.by_day) == 6
    assert stats.by_status["dismissed"] == 11


def test_posture_rows_sorted_worst_first() -> None:
    rows, summary = posture_rows(
        {
            "complianceDetails": [
                {"name": "CIS", "totalResources": 10, "passedResources": 9, "failedResources": 1},
                {"name": "PCI", "totalResources": 4, "passedResources": 1, "failedResources": 3},
            ],
            "summary": {"totalResources": 14},
        }
    )
    assert [r["name"] for r in rows] == ["PCI", "CIS"] and rows[0]["rate"] == 25.0
    assert summary == {"totalResources": 14}


def test_html_is_self_contained_and_escaped() -> None:
    posture, _ = posture_rows(
        {"complianceDetails": [{"name": "CIS", "totalResources": 2, "passedResources": 1}]}
    )
    data = ReportData(
        _stats(), posture, {}, "30d", datetime(2026, 11, 23, tzinfo=UTC), "http://127.0.0.1:1", 10
    )
    html = render(data, title="Weekly <report>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Weekly &lt;report&gt;" in html
    assert html.count('class="card chart"') == 6
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # the plotly.js bundle itself
    assert "<script src=" not in html  # plotly.js is inline, nothing is fetched


def test_an_empty_tenant_still_renders() -> None:
    data = ReportData(
        AlertStats(), [], {}, "7d", datetime(2026, 11, 23, tzinfo=UTC), "https://api.eu.prismacloud.io", 10
    )
    html = render(data, title="Empty")
    assert "No compliance data." in html and html.count('class="card chart"') == 5
