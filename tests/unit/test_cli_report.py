"""Report aggregation (pure) and the HTML it renders: what each headline number means, tested on alerts
whose times are chosen by hand."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cortexkit.cli.errors import UsageProblem
from cortexkit.cli.report import (
    ReportData,
    alerts_link,
    as_json,
    console_url,
    failing_requirements,
    fetch_since,
    plan,
    posture_rows,
    render,
)
from cortexkit.cli.reportstats import DAY, HOUR, ReportStats, SlaError, Window, parse_sla

NOW = 1_796_644_800_000  # 2026-12-07 12:00 UTC
START = NOW - 7 * DAY


def _alert(
    i: int,
    severity: str,
    *,
    first: int,
    status: str = "open",
    closed: int | None = None,
    policy: str = "policy-a",
    account: str = "acct-0",
    resource: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"P-{i}",
        "status": status,
        "firstSeen": first,
        "lastUpdated": closed if closed is not None else first,
        "policy": {"name": policy, "severity": severity},
        "resource": {"account": account, "cloudType": "azure", "name": resource or f"res-{i}"},
    }


def _stats(*alerts: dict[str, Any]) -> ReportStats:
    stats = ReportStats(Window(START, NOW))
    for alert in alerts:
        stats.add(alert)
    return stats


def test_open_now_and_the_change_against_the_start_of_the_period() -> None:
    stats = _stats(
        _alert(1, "high", first=START - 2 * DAY),  # open before and now
        _alert(2, "high", first=START - 2 * DAY, status="resolved", closed=START + DAY),  # open at start only
        _alert(3, "high", first=START + DAY),  # opened in the period
        _alert(4, "high", first=START - 3 * DAY, status="dismissed", closed=START - DAY),  # closed before
        _alert(5, "critical", first=START + 2 * DAY),
    )
    figures = stats.as_json(10)
    assert figures["open"]["high"] == {"now": 2, "at_start": 2, "change": 0}
    assert figures["open"]["critical"] == {"now": 1, "at_start": 0, "change": 1}
    assert figures["opened"]["high"] == 1 and figures["opened"]["critical"] == 1
    assert figures["resolved"]["high"] == 1  # closed inside the period
    assert figures["dismissed"]["high"] == 0  # dismissed before the period started
    assert stats.total_open == 3


def test_cards_count_open_alerts_not_every_status() -> None:
    stats = _stats(
        _alert(1, "high", first=START + HOUR),
        _alert(2, "high", first=START + HOUR, status="resolved", closed=START + 5 * HOUR),
        _alert(3, "high", first=START + HOUR, status="dismissed", closed=START + 2 * HOUR),
        _alert(4, "high", first=START + HOUR, status="snoozed"),
    )
    assert stats.open_now["high"] == 1
    assert stats.as_json(10)["dismissed"]["high"] == 1


def test_trend_is_per_utc_day_and_marks_partial_days() -> None:
    stats = _stats(
        _alert(1, "high", first=NOW - HOUR),
        _alert(2, "low", first=NOW - HOUR, status="resolved", closed=NOW - 30 * 60_000),
    )
    trend = stats.as_json(10)["trend"]
    assert len(trend) == 8  # 7 days from 12:00 to 12:00 touch 8 calendar days
    assert trend[-1]["label"] == "2026-12-07" and trend[-1]["partial"]
    assert trend[0]["partial"] and not any(point["partial"] for point in trend[1:-1])
    assert trend[-1]["opened"]["high"] == 1 and trend[-1]["resolved"]["low"] == 1


def test_a_long_period_is_drawn_per_week() -> None:
    stats = ReportStats(Window(NOW - 180 * DAY, NOW))
    stats.add(_alert(1, "high", first=NOW - 100 * DAY))
    weeks = stats.buckets()
    assert stats.as_json(10)["period"]["bucket"] == "week"
    assert all(b - a == 7 * DAY for a, b in itertools.pairwise(weeks))
    assert datetime.fromtimestamp(weeks[1] / 1000, UTC).weekday() == 0  # weeks start on Monday


def test_age_buckets_sla_and_time_to_resolve() -> None:
    stats = _stats(
        _alert(1, "critical", first=NOW - 2 * HOUR),  # < 1 day, inside the 1-day SLA
        _alert(2, "critical", first=NOW - 3 * DAY),  # over the SLA
        _alert(3, "high", first=NOW - 40 * DAY),  # 30-90 days, over 7 days
        _alert(4, "low", first=START + DAY, status="resolved", closed=START + DAY + 2 * HOUR),
        _alert(5, "low", first=START + DAY, status="resolved", closed=START + DAY + 10 * HOUR),
        _alert(6, "low", first=START + DAY, status="resolved", closed=START + DAY + 3 * HOUR),
    )
    figures = stats.as_json(10)
    assert figures["age"]["critical"]["< 1 day"] == 1 and figures["age"]["critical"]["1-7 days"] == 1
    assert figures["age"]["high"]["30-90 days"] == 1
    assert figures["sla"]["critical"] == {"limit_hours": 24, "over": 1}
    assert figures["sla"]["high"]["over"] == 1
    assert figures["time_to_resolve"] == {"resolved": 3, "mean_hours": 5.0, "median_hours": 3.0}


def test_sla_option() -> None:
    assert parse_sla("critical=4h, high=2d")["critical"] == 4 * HOUR
    assert parse_sla(None)["high"] == 7 * DAY
    for bad in ("critical", "urgent=1d", "high=0d", "high=3x"):
        with pytest.raises(SlaError, match="severity=duration"):
            parse_sla(bad)
    with pytest.raises(UsageProblem, match="--sla"):
        plan("7d", "critical=soon")


def test_top_policies_share_accounts_and_tied_resources_dropped() -> None:
    alerts = [_alert(i, "high", first=START + HOUR, policy="p1", account=f"a{i % 2}") for i in range(3)]
    alerts.append(_alert(9, "low", first=START + HOUR, policy="p2", account="a1"))
    stats = _stats(*alerts)
    figures = stats.as_json(10)
    assert figures["top_policies"][0] == {"name": "p1", "severity": "high", "open": 3, "share": 75.0}
    assert figures["top_accounts"] == [  # equal counts: by name
        {"account": "a0", "open": 2, "critical": 0, "high": 2, "medium": 0, "low": 0, "informational": 0},
        {"account": "a1", "open": 2, "critical": 0, "high": 1, "medium": 0, "low": 1, "informational": 0},
    ]
    assert figures["top_resources"] == []  # every resource has one alert: no ranking to show
    stats.add(_alert(10, "low", first=START + HOUR, resource="res-1"))
    assert stats.as_json(10)["top_resources"][0] == {"resource": "res-1", "open": 2}


def test_plan_fetches_the_previous_period_too() -> None:
    now = datetime.fromtimestamp(NOW / 1000, UTC)
    window, _sla = plan("7d", None, now=now)
    assert (window.start, window.end, window.fetch_start) == (START, NOW, START - 7 * DAY)
    assert fetch_since(window) == "2026-11-23T12:00:00.000+00:00..2026-12-07T12:00:00.000+00:00"
    everything, _sla = plan("all", None, now=now)
    assert not everything.compare and fetch_since(everything) == "all"
    with pytest.raises(UsageProblem):
        plan("yesterday-ish", None, now=now)


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


def _data(stats: ReportStats, posture: list[dict[str, Any]] | None = None) -> ReportData:
    generated = datetime.fromtimestamp(NOW / 1000, UTC)
    return ReportData(stats, posture or [], {}, "7d", generated, "http://127.0.0.1:1", 10)


def test_html_is_small_self_contained_and_escaped() -> None:
    posture, _ = posture_rows(
        {"complianceDetails": [{"name": "CIS <b>", "totalResources": 2, "passedResources": 1}]}
    )
    alerts = [
        _alert(i, ["high", "low", "critical"][i % 3], first=START + (i % 7) * DAY + HOUR, account=f"a{i % 4}")
        for i in range(300)
    ]
    alerts.append(_alert(999, "medium", first=START + HOUR, policy="<script>alert(1)</script>"))
    html = render(_data(_stats(*alerts), posture), title="Weekly <report>")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Weekly &lt;report&gt;" in html and "CIS &lt;b&gt;" in html
    assert html.count("<svg") == 3 and html.count('class="bar"') > 20
    assert "default-src 'none'" in html  # the page's CSP forbids any outside request
    assert "http://" not in html.replace("http://127.0.0.1:1", "").replace("http://www.w3.org/2000/svg", "")
    assert len(html.encode()) < 200_000


def test_an_empty_tenant_still_renders_and_serialises() -> None:
    data = _data(_stats())
    html = render(data, title="Empty")
    assert "No compliance data." in html and "No open alerts." in html and html.count("<svg") == 3
    parsed = json.loads(json.dumps(as_json(data)))
    assert parsed["alerts_seen"] == 0 and parsed["time_to_resolve"]["median_hours"] is None


def test_failing_requirements_worst_first() -> None:
    body = {
        "requirementSummaries": [
            {"name": "Logging", "sectionSummaries": [{"failedResources": 2}, {"failedResources": 3}]},
            {"name": "Networking", "sectionSummaries": [{"failedResources": 9}]},
            {"name": "Identity", "sectionSummaries": [{"failedResources": 0}]},  # passing: not listed
            {"name": "Keys", "failedResources": 5},
            "not an object",
        ]
    }
    assert failing_requirements(body) == [
        {"name": "Networking", "failed": 9},
        {"name": "Keys", "failed": 5},
        {"name": "Logging", "failed": 5},
    ]
    assert failing_requirements(body, limit=1) == [{"name": "Networking", "failed": 9}]
    assert failing_requirements(None) == []


def test_the_posture_table_lists_failing_requirements() -> None:
    posture, _ = posture_rows({"complianceDetails": [{"id": "s1", "name": "CIS", "totalResources": 4}]})
    assert posture[0]["id"] == "s1" and posture[0]["failing"] == []
    posture[0]["failing"] = [{"name": "Key <Vault>", "failed": 7}, {"name": "Networking", "failed": 2}]
    html = render(_data(_stats(), posture), title="t")
    assert "Key &lt;Vault&gt; (7); Networking (2)" in html


def test_the_standard_posture_call_is_a_typed_resource_request() -> None:
    from cortexkit.resources.policies import standard_posture_call

    spec = standard_posture_call("../cis").spec
    assert spec.method == "GET" and spec.path.startswith("/compliance/posture/")
    assert "/../" not in spec.path and spec.params == {"timeType": "to_now", "timeUnit": "epoch"}


def test_console_of_the_tenants_region() -> None:
    assert console_url("https://api.eu.prismacloud.io") == "https://app.eu.prismacloud.io"
    assert console_url("https://api2.prismacloud.io/") == "https://app2.prismacloud.io"
    assert console_url("https://api.prismacloud.cn") == "https://app.prismacloud.cn"
    assert console_url("http://127.0.0.1:8188") is None  # the emulator has no console


def test_policies_accounts_and_resources_link_to_the_console() -> None:
    alerts = [_alert(i, "high", first=START + HOUR, policy='p "1" <x>', resource="vm-1") for i in range(3)]
    alerts.append(_alert(9, "low", first=START + HOUR, resource="vm-2"))
    stats = _stats(*alerts)
    generated = datetime.fromtimestamp(NOW / 1000, UTC)
    eu = ReportData(stats, [], {}, "7d", generated, "https://api.eu.prismacloud.io", 10)
    html = render(eu, title="t")
    link = alerts_link("https://app.eu.prismacloud.io", "policy.name", 'p "1" <x>')
    assert link.startswith("https://app.eu.prismacloud.io/alerts/overview?viewId=default&filters=%7B%22")
    assert "%22policy.name%22%3A%5B%22p%20%5C%221%5C%22%20%3Cx%3E%22%5D" in link
    href = link.replace("&", "&amp;")  # an attribute's & is written as &amp;
    assert f'<a href="{href}" rel="noreferrer">p &#34;1&#34; &lt;x&gt;</a>' in html
    assert (
        html.count('href="https://app.eu.prismacloud.io/alerts/overview') == 2 + 1 + 2
    )  # policies, account, resources
    assert "alerts/overview" not in render(_data(stats), title="t")  # loopback: plain text


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, two: str) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_severity_colours_meet_wcag_aa() -> None:
    from cortexkit.cli.report import RESOLVED_COLOR, SEVERITY_COLORS

    for severity, color in SEVERITY_COLORS.items():
        # White text on the severity pills (AA for normal text), and the bars against the white card.
        assert _contrast(color, "#ffffff") >= 4.5, severity
    assert _contrast(RESOLVED_COLOR, "#ffffff") >= 3.0
    assert _contrast("#475569", "#f1f5f9") >= 4.5  # muted text on the page background
