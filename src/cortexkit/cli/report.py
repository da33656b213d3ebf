"""`alerts report`: a self-contained HTML report a manager can open (plotly charts, top-N tables, posture).

Alerts are folded into counters page by page (`AlertStats`, pure), so a report over a million alerts holds
counters, not alerts. plotly.js is inlined once, so the file works offline and from an e-mail attachment.
Every string from the API is escaped by Jinja2's autoescape: a policy name cannot inject markup.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cortexkit.cli import extras
from cortexkit.cli.files import atomic_text_file

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import Client

SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational")
SEVERITY_COLORS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "informational": "#94a3b8",
}

CLOUD_COLORS = {
    "azure": "#0078d4",
    "aws": "#ff9900",
    "gcp": "#34a853",
    "oci": "#c74634",
    "alibaba_cloud": "#ff6a00",
}


@dataclass
class AlertStats:
    """Counters over alerts; `add` one alert at a time."""

    total: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_policy: Counter[str] = field(default_factory=Counter)
    policy_severity: dict[str, str] = field(default_factory=dict)
    by_account: Counter[str] = field(default_factory=Counter)
    by_cloud: Counter[str] = field(default_factory=Counter)
    by_day: Counter[str] = field(default_factory=Counter)
    by_resource: Counter[str] = field(default_factory=Counter)

    def add(self, alert: dict[str, Any]) -> None:
        policy = alert.get("policy") if isinstance(alert.get("policy"), dict) else {}
        resource = alert.get("resource") if isinstance(alert.get("resource"), dict) else {}
        assert isinstance(policy, dict) and isinstance(resource, dict)
        self.total += 1
        severity = str(policy.get("severity") or "unknown").lower()
        name = str(policy.get("name") or alert.get("policyId") or "unknown policy")
        self.by_severity[severity] += 1
        self.by_status[str(alert.get("status") or "unknown")] += 1
        self.by_policy[name] += 1
        self.policy_severity.setdefault(name, severity)
        self.by_account[str(resource.get("account") or resource.get("accountId") or "unknown")] += 1
        self.by_cloud[str(resource.get("cloudType") or "unknown")] += 1
        self.by_resource[str(resource.get("name") or resource.get("id") or "unknown")] += 1
        opened = alert.get("firstSeen") or alert.get("alertTime")
        if isinstance(opened, int | float) and opened > 0:
            self.by_day[datetime.fromtimestamp(opened / 1000, UTC).strftime("%Y-%m-%d")] += 1


@dataclass
class ReportData:
    stats: AlertStats
    posture: list[dict[str, Any]]
    posture_summary: dict[str, Any]
    since: str
    generated: datetime
    api_url: str
    top: int

    @property
    def total(self) -> int:
        return self.stats.total


def collect(client: Client, body: dict[str, Any], *, since: str, top: int) -> ReportData:
    """Page through the alerts and fetch the compliance posture."""
    from cortexkit.pagination import AlertPager

    extras.ensure("plotly", "jinja2")  # the report extra, checked before paging through every alert

    stats = AlertStats()
    for alert in client.paginate(AlertPager(body)):
        if isinstance(alert, dict):
            stats.add(alert)
    posture_body = client.request(
        "GET", "/compliance/posture", params={"timeType": "to_now", "timeUnit": "epoch"}
    )
    details, summary = posture_rows(posture_body)
    return ReportData(stats, details, summary, since, datetime.now(UTC), client.api_url, top)


def posture_rows(body: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Compliance standards with their pass rate, worst first, and the overall summary."""
    if not isinstance(body, dict):
        return [], {}
    rows = []
    for detail in body.get("complianceDetails") or []:
        if not isinstance(detail, dict):
            continue
        total = int(detail.get("totalResources") or 0)
        passed = int(detail.get("passedResources") or 0)
        rows.append(
            {
                "name": str(detail.get("name") or detail.get("id") or "?"),
                "total": total,
                "passed": passed,
                "failed": int(detail.get("failedResources") or 0),
                "rate": round(100.0 * passed / total, 1) if total else 100.0,
            }
        )
    rows.sort(key=lambda row: (row["rate"], row["name"]))
    summary = body.get("summary") if isinstance(body.get("summary"), dict) else {}
    return rows, summary or {}


def _ordered_severities(counter: Counter[str]) -> list[str]:
    known = [s for s in SEVERITY_ORDER if counter.get(s)]
    return known + sorted(s for s in counter if s not in SEVERITY_ORDER)


def figures(data: ReportData) -> list[tuple[str, Any]]:
    """The report's charts as (title, plotly figure)."""
    import plotly.graph_objects as go

    stats = data.stats
    layout = {
        "template": "plotly_white",
        "margin": {"l": 40, "r": 20, "t": 40, "b": 40},
        "height": 340,
        "font": {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12},
    }
    severities = _ordered_severities(stats.by_severity)
    by_severity = go.Figure(
        go.Bar(
            x=severities,
            y=[stats.by_severity[s] for s in severities],
            marker_color=[SEVERITY_COLORS.get(s, "#64748b") for s in severities],
            text=[f"{stats.by_severity[s]:,}" for s in severities],
            textposition="outside",
        ),
        layout={**layout, "title": "Alerts by severity", "yaxis": {"title": "alerts"}},
    )
    policies = stats.by_policy.most_common(data.top)[::-1]
    by_policy = go.Figure(
        go.Bar(
            x=[count for _name, count in policies],
            y=[_short(name) for name, _count in policies],
            orientation="h",
            marker_color=[
                SEVERITY_COLORS.get(stats.policy_severity.get(n, ""), "#64748b") for n, _ in policies
            ],
        ),
        layout={
            **layout,
            "title": f"Top {len(policies)} policies",
            "height": max(340, 28 * len(policies) + 80),
            "margin": {"l": 260, "r": 20, "t": 40, "b": 40},
        },
    )
    accounts = stats.by_account.most_common(data.top)
    by_account = go.Figure(
        go.Bar(x=[name for name, _ in accounts], y=[count for _, count in accounts], marker_color="#0ea5e9"),
        layout={**layout, "title": f"Top {len(accounts)} cloud accounts", "xaxis": {"tickangle": -30}},
    )
    days = sorted(stats.by_day)
    per_day = go.Figure(
        go.Scatter(
            x=days,
            y=[stats.by_day[d] for d in days],
            mode="lines+markers",
            line={"color": "#6366f1", "width": 2},
            fill="tozeroy",
        ),
        layout={**layout, "title": "Alerts opened per day", "yaxis": {"title": "alerts"}},
    )
    clouds = stats.by_cloud.most_common()
    by_cloud = go.Figure(
        go.Pie(
            labels=[name for name, _ in clouds],
            values=[count for _, count in clouds],
            hole=0.55,
            marker={"colors": [CLOUD_COLORS.get(name, "#64748b") for name, _ in clouds]},
            sort=False,
        ),
        layout={**layout, "title": "Alerts by cloud"},
    )
    charts: list[tuple[str, Any]] = [
        ("severity", by_severity),
        ("clouds", by_cloud),
        ("per-day", per_day),
        ("accounts", by_account),
        ("policies", by_policy),
    ]
    if data.posture:
        worst = data.posture[: data.top][::-1]
        posture = go.Figure(
            go.Bar(
                x=[row["rate"] for row in worst],
                y=[_short(row["name"]) for row in worst],
                orientation="h",
                marker_color=[
                    "#16a34a" if row["rate"] >= 80 else "#f59e0b" if row["rate"] >= 50 else "#dc2626"
                    for row in worst
                ],
                text=[f"{row['rate']}%" for row in worst],
                textposition="outside",
            ),
            layout={
                **layout,
                "title": "Compliance pass rate (lowest first)",
                "xaxis": {"range": [0, 110], "title": "% resources passing"},
                "height": max(340, 28 * len(worst) + 80),
                "margin": {"l": 260, "r": 20, "t": 40, "b": 40},
            },
        )
        charts.append(("posture", posture))
    return charts


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
 body{font-family:Inter,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#f1f5f9;color:#0f172a}
 header{background:#0f172a;color:#f8fafc;padding:20px 32px}
 header h1{margin:0 0 4px;font-size:22px} header p{margin:0;color:#cbd5e1;font-size:13px}
 main{padding:20px 32px;max-width:1400px;margin:auto}
 .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:16px}
 .kpi{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px #0001}
 .kpi b{display:block;font-size:26px} .kpi span{font-size:12px;color:#475569;text-transform:uppercase}
 .grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
 @media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)}}
 .card{background:#fff;border-radius:10px;padding:8px 12px;box-shadow:0 1px 2px #0001}
 h2{font-size:16px;margin:22px 0 10px}
 table{border-collapse:collapse;width:100%;font-size:13px}
 th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e2e8f0} th{color:#475569}
 td.n{text-align:right;font-variant-numeric:tabular-nums}
 .sev{display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-size:11px}
 footer{color:#64748b;font-size:12px;padding:12px 32px 28px}
</style></head><body>
<header><h1>{{ title }}</h1>
<p>{{ api_url }} · alerts of the last {{ since }} · generated {{ generated }}</p></header>
<main>
<section class="kpis">
 <div class="kpi"><span>alerts</span><b>{{ "{:,}".format(total) }}</b></div>
 {% for sev, count in severities %}<div class="kpi"><span>{{ sev }}</span>
 <b style="color:{{ colors.get(sev, '#334155') }}">{{ "{:,}".format(count) }}</b></div>{% endfor %}
 {% for status, count in statuses %}<div class="kpi"><span>{{ status }}</span>
 <b>{{ "{:,}".format(count) }}</b></div>{% endfor %}
</section>
<section class="grid">{% for name, html in charts %}
 <div class="card chart" id="chart-{{ name }}">{{ html|safe }}</div>{% endfor %}
</section>
<section class="grid">
 <div><h2>Top policies</h2><div class="card"><table>
 <tr><th>Policy</th><th>Severity</th><th>Alerts</th></tr>
 {% for name, count in top_policies %}{% set sev = policy_severity.get(name) %}<tr><td>{{ name }}</td>
 <td><span class="sev" style="background:{{ colors.get(sev, '#64748b') }}">{{ sev }}</span></td>
 <td class="n">{{ "{:,}".format(count) }}</td></tr>{% endfor %}
 </table></div></div>
 <div><h2>Top cloud accounts</h2><div class="card"><table><tr><th>Account</th><th>Alerts</th></tr>
 {% for name, count in top_accounts %}<tr><td>{{ name }}</td>
 <td class="n">{{ "{:,}".format(count) }}</td></tr>{% endfor %}
 </table></div>
 <h2>Top resources</h2><div class="card"><table><tr><th>Resource</th><th>Alerts</th></tr>
 {% for name, count in top_resources %}<tr><td>{{ name }}</td>
 <td class="n">{{ "{:,}".format(count) }}</td></tr>{% endfor %}
 </table></div></div>
</section>
<h2>Compliance posture</h2>
<div class="card" id="posture"><table>
<tr><th>Standard</th><th>Resources</th><th>Passed</th><th>Failed</th><th>Pass rate</th></tr>
{% for row in posture %}<tr><td>{{ row.name }}</td><td class="n">{{ "{:,}".format(row.total) }}</td>
<td class="n">{{ "{:,}".format(row.passed) }}</td><td class="n">{{ "{:,}".format(row.failed) }}</td>
<td class="n">{{ row.rate }}%</td></tr>{% else %}<tr><td colspan="5">No compliance data.</td></tr>{% endfor %}
</table></div>
</main>
<footer>Generated by cortexkit. Counts are from the API at generation time.</footer>
<script>
 // Charts are drawn while the page is still being parsed; size them again to their final cards.
 window.addEventListener("load", function () {
   document.querySelectorAll(".js-plotly-plot").forEach(function (plot) { Plotly.Plots.resize(plot); });
 });
</script>
</body></html>
"""


def render(data: ReportData, *, title: str) -> str:
    """The complete HTML document (plotly.js inlined into the first chart)."""
    from jinja2 import Environment

    charts = []
    for index, (name, figure) in enumerate(figures(data)):
        html = figure.to_html(
            full_html=False,
            include_plotlyjs=index == 0,
            config={"displaylogo": False, "responsive": True},
            div_id=f"plot-{name}",
        )
        charts.append((name, html))
    stats = data.stats
    env = Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(
        title=title,
        api_url=data.api_url,
        since=data.since,
        generated=data.generated.strftime("%Y-%m-%d %H:%M UTC"),
        total=stats.total,
        severities=[(s, stats.by_severity[s]) for s in _ordered_severities(stats.by_severity)],
        statuses=stats.by_status.most_common(),
        colors=SEVERITY_COLORS,
        charts=charts,
        top_policies=stats.by_policy.most_common(data.top),
        policy_severity=stats.policy_severity,
        top_accounts=stats.by_account.most_common(data.top),
        top_resources=stats.by_resource.most_common(data.top),
        posture=data.posture,
    )


def write(data: ReportData, destination: str | Path, *, title: str) -> None:
    html = render(data, title=title)
    with atomic_text_file(destination) as stream:
        stream.write(html)
