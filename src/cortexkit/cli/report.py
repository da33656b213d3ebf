"""`alerts report`: the alert report a security lead forwards, as one self-contained HTML file or JSON.

Alerts of the period and of the previous period of the same length are folded into counters page by page
(`reportstats.ReportStats`, pure), so a report over any number of alerts holds counters, not alerts. Charts
are inline SVG drawn in Python (`reportsvg`): the file is small, opens offline and requests nothing. Every
string from the API is escaped by Jinja2's autoescape: a policy name cannot inject markup.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cortexkit.cli import extras, reportsvg
from cortexkit.cli.errors import FAILURE, CliError, UsageProblem
from cortexkit.cli.files import atomic_binary_file, atomic_text_file
from cortexkit.cli.reportstats import (
    AGE_BUCKETS,
    SEVERITIES,
    ReportStats,
    SlaError,
    Window,
    day_label,
    parse_sla,
    window_for,
)

if TYPE_CHECKING:
    from cortexkit.cli.export import ProgressSink
    from cortexkit.client import Client
    from cortexkit.pagination import RequestSpec

FORMATS = ("html", "json", "pdf")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT = 180.0

log = logging.getLogger(__name__)

# Fills with at least 3:1 contrast on white (WCAG 2.1 non-text contrast); the text beside them is dark.
SEVERITY_COLORS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#b45309",
    "low": "#2563eb",
    "informational": "#64748b",
}
RESOLVED_COLOR = "#0f766e"


@dataclass
class ReportData:
    stats: ReportStats
    posture: list[dict[str, Any]]
    posture_summary: dict[str, Any]
    since: str
    generated: datetime
    api_url: str
    top: int

    @property
    def total(self) -> int:
        return self.stats.seen


def plan(since: str, sla: str | None, *, now: datetime | None = None) -> tuple[Window, dict[str, int]]:
    """The reported period and SLA limits from the command line; bad values are bad usage (exit 2)."""
    from cortexkit.cli.timespec import TimeSpecError, parse_time_range

    moment = now or datetime.now(UTC)
    try:
        window = window_for(parse_time_range(since, now=moment), int(moment.timestamp() * 1000))
        return window, parse_sla(sla)
    except (TimeSpecError, SlaError) as exc:
        raise UsageProblem(str(exc)) from None


def fetch_since(window: Window) -> str:
    """The `--since` value that asks the API for both periods in one listing."""
    if not window.compare:
        return "all"
    start = datetime.fromtimestamp(window.fetch_start / 1000, UTC).isoformat(timespec="milliseconds")
    end = datetime.fromtimestamp(window.end / 1000, UTC).isoformat(timespec="milliseconds")
    return f"{start}..{end}"


def check_format(fmt: str) -> str:
    chosen = fmt.lower()
    if chosen not in FORMATS:
        raise UsageProblem(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}.")
    return chosen


def collect(
    client: Client,
    body: dict[str, Any],
    *,
    window: Window,
    sla: dict[str, int],
    since: str,
    top: int,
    progress: ProgressSink | None = None,
    open_body: dict[str, Any] | None = None,
) -> ReportData:
    """Page through the alerts of both periods (one page in memory) and fetch the compliance posture.

    `open_body` lists the alerts open now over all time: an alert first seen before both periods and still
    open is open now and was open at the start, though the periods' listing does not return it. Only the
    ids of open alerts are kept between the two passes, so memory grows with the open count, not the total.
    """
    from cortexkit.cli.export import total_rows
    from cortexkit.pagination import AlertPager

    extras.ensure("jinja2")  # the report extra, checked before paging through every alert
    stats = ReportStats(window, sla)
    counted_open: set[str] = set()

    def read(listing: dict[str, Any], first_pass: bool) -> None:
        pager = AlertPager(listing)
        spec: RequestSpec | None = pager.first()
        total: int | None = None
        while spec is not None:
            page = client.send_page(spec)
            total = total_rows(page.body) if total is None else total
            items, spec = pager.parse(page)
            for alert in items:
                if not isinstance(alert, dict):
                    continue
                is_open = str(alert.get("status") or "").lower() == "open"
                if first_pass:
                    if is_open:
                        counted_open.add(str(alert.get("id")))
                elif not is_open or str(alert.get("id")) in counted_open:
                    continue
                stats.add(alert)
            if progress is not None and first_pass:
                progress.update(stats.seen, total)

    read(body, True)
    if open_body is not None and window.compare:
        read(open_body, False)
    posture_body = client.compliance.posture().model_dump(mode="json")
    details, summary = posture_rows(posture_body)
    for row in details[:top]:  # the worst standards: which of their requirements fail
        if row["id"]:
            standard = client.compliance.standard_posture(row["id"]).model_dump(mode="json")
            row["failing"] = failing_requirements(standard)
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
                "id": str(detail.get("id") or ""),
                "name": str(detail.get("name") or detail.get("id") or "?"),
                "total": total,
                "passed": passed,
                "failed": int(detail.get("failedResources") or 0),
                "rate": round(100.0 * passed / total, 1) if total else 100.0,
                "failing": [],
            }
        )
    rows.sort(key=lambda row: (row["rate"], row["name"]))
    summary = body.get("summary") if isinstance(body.get("summary"), dict) else {}
    return rows, summary or {}


def failing_requirements(body: Any, limit: int = 5) -> list[dict[str, Any]]:
    """A standard's requirements with failed resources, the worst first (from `requirementSummaries`)."""
    items = body.get("requirementSummaries") if isinstance(body, dict) else None
    failing: list[tuple[int, str]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        sections = [s for s in item.get("sectionSummaries") or [] if isinstance(s, dict)]
        failed = int(item.get("failedResources") or sum(int(s.get("failedResources") or 0) for s in sections))
        if failed > 0:
            failing.append((failed, str(item.get("name") or item.get("id") or "?")))
    failing.sort(key=lambda pair: (-pair[0], pair[1]))
    return [{"name": name, "failed": failed} for failed, name in failing[:limit]]


def as_json(data: ReportData) -> dict[str, Any]:
    """Everything the report shows, as data (`--format json`)."""
    return {
        "generated": data.generated.isoformat(timespec="seconds"),
        "api_url": data.api_url,
        "since": data.since,
        **data.stats.as_json(data.top),
        "compliance": data.posture,
    }


def charts(data: ReportData) -> list[tuple[str, str, str]]:
    """(id, heading, SVG) of each chart."""
    stats = data.stats
    figures = stats.as_json(data.top)
    trend = figures["trend"]
    labels = [point["label"] for point in trend]
    partial = {i for i, point in enumerate(trend) if point["partial"]}
    opened = [
        reportsvg.Series(sev, SEVERITY_COLORS[sev], [point["opened"][sev] for point in trend])
        for sev in SEVERITIES
    ]
    resolved = reportsvg.Series(
        "resolved", RESOLVED_COLOR, [sum(point["resolved"].values()) for point in trend]
    )
    unit = "week" if figures["period"]["bucket"] == "week" else "day"
    legend = [(sev, SEVERITY_COLORS[sev]) for sev in SEVERITIES]
    ages = [
        (label, [stats.age_open.get(s, Counter())[label] for s in SEVERITIES]) for _b, label in AGE_BUCKETS
    ]
    accounts = [(name, [counts[s] for s in SEVERITIES]) for name, counts in stats.top_accounts(data.top)]
    return [
        (
            "trend",
            f"Opened per {unit} by severity, and resolved",
            reportsvg.stacked_columns(
                f"Alerts opened per {unit} by severity, and resolved",
                labels,
                opened,
                partial=partial,
                line=resolved,
            ),
        ),
        ("age", "Age of open alerts", reportsvg.stacked_bars("Age of open alerts by severity", ages, legend)),
        (
            "accounts",
            f"Open alerts in the top {len(accounts)} accounts",
            reportsvg.stacked_bars("Open alerts per account by severity", accounts, legend),
        ),
    ]


def _hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def _change(value: int | None) -> str:
    if value is None:
        return ""
    return "no change" if value == 0 else f"{value:+,}"


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ title }}</title>
<style>
 body{font-family:Inter,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#f1f5f9;color:#0f172a}
 header{background:#0f172a;color:#f8fafc;padding:20px 32px}
 header h1{margin:0 0 4px;font-size:22px} header p{margin:0;color:#cbd5e1;font-size:13px}
 main{padding:20px 32px;max-width:1400px;margin:auto}
 .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:16px}
 .kpi{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px #0001;
  border-top:4px solid #475569}
 .kpi b{display:block;font-size:26px} .kpi span{font-size:12px;color:#475569;text-transform:uppercase}
 .kpi small{display:block;color:#334155;font-size:12px;margin-top:2px}
 .grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
 @media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)} main,header{padding:12px}}
 .card{background:#fff;border-radius:10px;padding:10px 14px;box-shadow:0 1px 2px #0001;overflow-x:auto}
 .card svg{width:100%;height:auto;display:block}
 h2{font-size:16px;margin:22px 0 10px} h3{font-size:14px;margin:4px 0 8px}
 table{border-collapse:collapse;width:100%;font-size:13px}
 th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e2e8f0} th{color:#334155}
 a{color:#1d4ed8} td.req{font-size:12px;color:#334155}
 td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
 .sev{display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-size:11px}
 footer{color:#475569;font-size:12px;padding:12px 32px 28px}
 @media print{body{background:#fff} .card,.kpi{break-inside:avoid;box-shadow:none;border:1px solid #e2e8f0}}
</style></head><body>
<header><h1>{{ title }}</h1>
<p>{{ api_url }} · {{ period }} · generated {{ generated }}</p></header>
<main>
<h2>Open alerts now</h2>
<section class="kpis" id="open">
 <div class="kpi"><span>open</span><b>{{ "{:,}".format(total_open) }}</b>
 <small>{{ total_change }}</small></div>
 {% for sev, row in open %}<div class="kpi" style="border-top-color:{{ colors[sev] }}"><span>{{ sev }}</span>
 <b>{{ "{:,}".format(row.now) }}</b><small>{{ row.change_text }}</small></div>{% endfor %}
</section>
<section class="kpis" id="period">
 <div class="kpi"><span>opened in the period</span><b>{{ "{:,}".format(opened) }}</b></div>
 <div class="kpi"><span>resolved in the period</span><b>{{ "{:,}".format(resolved) }}</b></div>
 <div class="kpi"><span>dismissed in the period</span><b>{{ "{:,}".format(dismissed) }}</b></div>
 <div class="kpi"><span>mean time to resolve</span><b>{{ mean_ttr }}</b></div>
 <div class="kpi"><span>median time to resolve</span><b>{{ median_ttr }}</b></div>
</section>
<section class="grid">{% for id, heading, svg in charts %}
 <div class="card" id="chart-{{ id }}"><h3>{{ heading }}</h3>{{ svg|safe }}</div>{% endfor %}
 <div class="card" id="sla"><h3>Open alerts older than their SLA</h3><table>
 <tr><th>Severity</th><th class="n">SLA</th><th class="n">Open</th><th class="n">Over SLA</th></tr>
 {% for sev, row in sla %}<tr><td><span class="sev" style="background:{{ colors[sev] }}">{{ sev }}</span></td>
 <td class="n">{{ row.limit }}</td><td class="n">{{ "{:,}".format(row.open) }}</td>
 <td class="n">{{ "{:,}".format(row.over) }}</td></tr>{% endfor %}
 </table></div>
</section>
<section class="grid">
 <div><h2>Top policies (open alerts)</h2><div class="card"><table id="policies">
 <tr><th>Policy</th><th>Severity</th><th class="n">Open</th><th class="n">Share</th></tr>
 {% for row in policies %}<tr><td>{{ linked("policy.name", row.name) }}</td>
 <td><span class="sev" style="background:{{ colors[row.severity] }}">{{ row.severity }}</span></td>
 <td class="n">{{ "{:,}".format(row.open) }}</td><td class="n">{{ row.share }}%</td></tr>
 {% else %}<tr><td colspan="4">No open alerts.</td></tr>{% endfor %}
 </table></div></div>
 <div><h2>Top accounts (open alerts)</h2><div class="card"><table id="accounts">
 <tr><th>Account</th>{% for sev in severities %}<th class="n">{{ short[sev] }}</th>{% endfor %}
 <th class="n">Open</th></tr>
 {% for row in accounts %}<tr><td>{{ linked("cloud.account", row.account) }}</td>{% for sev in severities %}
 <td class="n">{{ "{:,}".format(row[sev]) }}</td>{% endfor %}
 <td class="n">{{ "{:,}".format(row.open) }}</td></tr>
 {% else %}<tr><td colspan="7">No open alerts.</td></tr>{% endfor %}
 </table></div>
 {% if resources %}<h2>Top resources (open alerts)</h2><div class="card"><table id="resources">
 <tr><th>Resource</th><th class="n">Open</th></tr>
 {% for row in resources %}<tr><td>{{ linked("resource.name", row.resource) }}</td>
 <td class="n">{{ "{:,}".format(row.open) }}</td></tr>{% endfor %}
 </table></div>{% endif %}</div>
</section>
<h2>Compliance posture</h2>
<div class="card" id="posture"><table>
<tr><th>Standard</th><th>Failing requirements (worst first)</th><th class="n">Resources</th>
<th class="n">Passed</th><th class="n">Failed</th><th class="n">Pass rate</th></tr>
{% for row in posture %}<tr><td>{{ row.name }}</td>
<td class="req">{% for req in row.failing %}{{ req.name }} ({{ "{:,}".format(req.failed) }})
{%- if not loop.last %}; {% endif %}{% else %}none listed{% endfor %}</td>
<td class="n">{{ "{:,}".format(row.total) }}</td>
<td class="n">{{ "{:,}".format(row.passed) }}</td><td class="n">{{ "{:,}".format(row.failed) }}</td>
<td class="n">{{ row.rate }}%</td></tr>{% else %}<tr><td colspan="6">No compliance data.</td></tr>{% endfor %}
</table></div>
</main>
<footer>Generated by cortexkit from {{ "{:,}".format(seen) }} alerts of both periods.
Open means status open now; the change is against the alerts open at the start of the period.</footer>
</body></html>
"""


def console_url(api_url: str) -> str | None:
    """The Prisma console of an API URL (api.* -> app.* for the tenant's region); None when there is
    none to link to (the emulator, a proxy)."""
    from urllib.parse import urlsplit

    from cortexkit.regions import region_for

    region = region_for(api_url)
    if region is not None:
        return region.console_url
    host = (urlsplit(api_url).hostname or "").lower()
    if host.startswith("api") and host.endswith((".prismacloud.io", ".prismacloud.cn")):
        return "https://app" + host[3:]
    return None


def alerts_link(console: str, field: str, value: str) -> str:
    """The console's alert list filtered to one policy, account or resource, open alerts only (the
    console's own `filters` query: the format of the links in Prisma Cloud's alert notifications)."""
    from urllib.parse import quote

    filters = json.dumps({field: [value], "alert.status": ["open"]}, separators=(",", ":"))
    return f"{console}/alerts/overview?viewId=default&filters={quote(filters, safe='')}"


def _linker(console: str | None) -> Any:
    """The template's `linked(field, text)`: the text as a console link, or plain escaped text."""
    from markupsafe import Markup, escape

    def linked(field: str, text: str) -> Markup:
        if console is None:
            return escape(text)
        return Markup('<a href="{}" rel="noreferrer">{}</a>').format(alerts_link(console, field, text), text)

    return linked


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(data: ReportData, *, title: str) -> str:
    """The complete HTML document: no script, no outside request (its CSP forbids both)."""
    from jinja2 import Environment

    stats = data.stats
    figures = stats.as_json(data.top)
    window = stats.window
    period = (
        f"{_when(window.start)} to {_when(window.end)} (open counts: alerts first seen since "
        f"{day_label(window.fetch_start)}, the previous {data.since} included)"
        if window.compare
        else "all alerts"
    )
    change_total = sum(stats.open_now.values()) - sum(stats.open_at_start.values())
    ttr = figures["time_to_resolve"]
    env = Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(
        title=title,
        api_url=data.api_url,
        period=period,
        generated=data.generated.strftime("%Y-%m-%d %H:%M UTC"),
        total_open=stats.total_open,
        total_change=(f"{_change(change_total)} vs period start" if window.compare else ""),
        open=[
            (
                sev,
                {
                    "now": row["now"],
                    "change_text": f"{_change(row['change'])} vs period start" if window.compare else "",
                },
            )
            for sev, row in figures["open"].items()
        ],
        opened=sum(figures["opened"].values()),
        resolved=sum(figures["resolved"].values()),
        dismissed=sum(figures["dismissed"].values()),
        mean_ttr=_hours(ttr["mean_hours"]),
        median_ttr=_hours(ttr["median_hours"]),
        charts=charts(data),
        sla=[
            (
                sev,
                {
                    "limit": _hours(float(row["limit_hours"])),
                    "open": stats.open_now[sev],
                    "over": row["over"],
                },
            )
            for sev, row in figures["sla"].items()
        ],
        colors=SEVERITY_COLORS,
        severities=SEVERITIES,
        short={"critical": "crit.", "high": "high", "medium": "med.", "low": "low", "informational": "info."},
        policies=figures["top_policies"],
        accounts=figures["top_accounts"],
        resources=figures["top_resources"],
        posture=data.posture,
        seen=stats.seen,
        linked=_linker(console_url(data.api_url)),
    )


def find_chromium() -> str:
    """The Chromium that prints `--format pdf`; its absence is said before any alert is read."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise UsageProblem(
        "--format pdf prints the report with headless Chromium, which is not installed: install it "
        "(Debian: apt-get install chromium) or use --format html."
    )


def print_pdf(html: str, chromium: str) -> bytes:
    """The HTML printed to PDF by headless Chromium, in a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="cortexkit-report-") as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        args = [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=PDF_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise CliError(
                f"Chromium did not print the report within {PDF_TIMEOUT:.0f} s; use --format html.", FAILURE
            ) from None
        log.debug("chromium exited %s: %s", done.returncode, done.stderr[-2000:])
        if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            raise CliError(
                f"Chromium could not print the report to PDF (exit {done.returncode}); use --format html, "
                "or --debug to see Chromium's messages.",
                FAILURE,
            )
        return pdf.read_bytes()


def write(
    data: ReportData,
    destination: str | Path,
    *,
    title: str,
    fmt: str = "html",
    chromium: str | None = None,
) -> None:
    """Write the report atomically (or to stdout for `-`)."""
    if fmt == "pdf":
        document = print_pdf(render(data, title=title), chromium or find_chromium())
        with atomic_binary_file(destination) as binary:
            binary.write(document)
        return
    text = json.dumps(as_json(data), indent=2) + "\n" if fmt == "json" else render(data, title=title)
    with atomic_text_file(destination) as stream:
        stream.write(text)
