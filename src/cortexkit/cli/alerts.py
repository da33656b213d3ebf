"""`cortexkit alerts ...`: list, count, get, dismiss, snooze, reopen, export, report."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated, Any

import typer

from cortexkit.cli import alertquery, changes, files, output
from cortexkit.cli.context import state
from cortexkit.cli.errors import USAGE, CliError, UsageProblem
from cortexkit.cli.timespec import parse_time_range

app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    help="Alerts: list, count, get, dismiss, snooze, reopen, export, report.",
    no_args_is_help=True,
)

Status = Annotated[list[str] | None, typer.Option("--status", help="open, dismissed, snoozed, resolved ...")]
Severity = Annotated[list[str] | None, typer.Option("--severity", help="critical, high, medium, low ...")]
Policy = Annotated[list[str] | None, typer.Option("--policy", help="Policy name.")]
PolicyId = Annotated[list[str] | None, typer.Option("--policy-id", help="Policy id.")]
CloudType = Annotated[list[str] | None, typer.Option("--cloud-type", help="azure, aws, gcp ...")]
Account = Annotated[list[str] | None, typer.Option("--account", help="Cloud account name.")]
AccountId = Annotated[list[str] | None, typer.Option("--account-id", help="Cloud account id.")]
Region = Annotated[list[str] | None, typer.Option("--cloud-region", help="Cloud region name.")]
Since = Annotated[str | None, typer.Option("--since", help="Time range: 7d, 24h, 30m, 2w, an ISO date, all.")]


def _selection(  # noqa: PLR0917
    status: list[str] | None,
    severity: list[str] | None,
    policy: list[str] | None,
    policy_id: list[str] | None,
    cloud_type: list[str] | None,
    account: list[str] | None,
    account_id: list[str] | None,
    region: list[str] | None,
    since: str | None,
) -> alertquery.AlertSelection:
    return alertquery.AlertSelection(
        status=tuple(status or ()),
        severity=tuple(severity or ()),
        policy=tuple(policy or ()),
        policy_id=tuple(policy_id or ()),
        cloud_type=tuple(cloud_type or ()),
        account=tuple(account or ()),
        account_id=tuple(account_id or ()),
        region=tuple(region or ()),
        since=since,
    )


def _filters(selection: alertquery.AlertSelection) -> tuple[dict[str, list[str]], dict[str, Any] | None]:
    try:
        return alertquery.filter_map(selection), alertquery.time_range(selection)
    except alertquery.FilterError as exc:
        raise UsageProblem(str(exc)) from None


def _body(selection: alertquery.AlertSelection, **kwargs: Any) -> dict[str, Any]:
    try:
        return alertquery.body(selection, **kwargs)
    except alertquery.FilterError as exc:
        raise UsageProblem(str(exc)) from None


@app.command("list")
def list_alerts(  # noqa: PLR0917
    ctx: typer.Context,
    status: Status = None,
    severity: Severity = None,
    policy: Policy = None,
    policy_id: PolicyId = None,
    cloud_type: CloudType = None,
    account: Account = None,
    account_id: AccountId = None,
    cloud_region: Region = None,
    since: Since = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most alerts to show.")] = 100,
    detailed: Annotated[bool, typer.Option("--detailed", help="Full policy details in each alert.")] = False,
) -> None:
    """List alerts matching the filters (newest pages first as the API returns them)."""
    from cortexkit.pagination import AlertPager

    cli = state(ctx)
    selection = _selection(
        status, severity, policy, policy_id, cloud_type, account, account_id, cloud_region, since
    )
    body = _body(selection, limit=min(limit, alertquery.MAX_PAGE), detailed=detailed)
    items = list(cli.client().paginate(AlertPager(body), max_items=limit))
    cli.emit(items, output.columns(*alertquery.LIST_COLUMNS))


@app.command("count")
def count_alerts(  # noqa: PLR0917
    ctx: typer.Context,
    status: Status = None,
    severity: Severity = None,
    policy: Policy = None,
    policy_id: PolicyId = None,
    cloud_type: CloudType = None,
    account: Account = None,
    account_id: AccountId = None,
    cloud_region: Region = None,
    since: Since = None,
) -> None:
    """Count alerts matching the filters (the API's `totalRows`; no alert is downloaded)."""
    cli = state(ctx)
    selection = _selection(
        status, severity, policy, policy_id, cloud_type, account, account_id, cloud_region, since
    )
    filters, time_range = _filters(selection)
    cli.emit({"count": cli.client().alerts.total(filters=filters, time_range=time_range)})


@app.command("get")
def get_alert(
    ctx: typer.Context, alert_id: Annotated[str, typer.Argument(help="Alert id, e.g. P-123.")]
) -> None:
    """Show one alert."""
    cli = state(ctx)
    cli.emit(cli.client().alerts.get(alert_id, detailed=True))


def _change(
    ctx: typer.Context,
    action: str,
    ids: list[str] | None,
    selection: alertquery.AlertSelection,
    *,
    default_status: tuple[str, ...],
    note: str | None,
    snooze: dict[str, Any] | None,
    yes: bool,
    dry_run: bool,
    max_alerts: int,
) -> None:
    from cortexkit.pagination import AlertPager

    cli = state(ctx)
    explicit = tuple(dict.fromkeys(ids or ()))
    if not explicit and selection.is_empty():
        raise UsageProblem(
            f"say which alerts to {action}: give alert ids or at least one filter (--policy, --severity ...)."
        )
    if explicit and not selection.is_empty():
        raise UsageProblem(f"give either alert ids or filters to {action}, not both.")
    if explicit:
        plan = changes.Plan(action, explicit)
    else:
        if not selection.status:
            selection = replace(selection, status=default_status)
        body = _body(selection, detailed=False)
        found = changes.collect_ids(cli.client().paginate(AlertPager(body)), max_alerts)
        if len(found) > max_alerts:
            raise UsageProblem(
                f"more than {max_alerts:,} alerts match; narrow the filters or raise --max to {action} them."
            )
        plan = changes.Plan(action, found)
    if not plan.ids:
        output.message(f"no alerts match: nothing to {action}.")
        cli.emit({"action": action, "count": 0, "ids": [], "dryRun": dry_run})
        return
    decision = changes.decide(yes=yes, dry_run=dry_run, interactive=sys.stdin.isatty())
    output.message(("would " if dry_run else "about to ") + plan.summary())
    if decision is changes.Decision.PREVIEW:
        output.message("dry run: nothing was changed.")
        cli.emit({"action": action, "count": len(plan.ids), "ids": list(plan.ids), "dryRun": True})
        return
    if decision is changes.Decision.REFUSE:
        raise CliError(
            f"refusing to {action} {len(plan.ids):,} alerts without confirmation: "
            "pass --yes to proceed (or --dry-run to preview) when not on a terminal.",
            USAGE,
        )
    if decision is changes.Decision.ASK and not typer.confirm("Proceed?", default=False, err=True):
        output.message("cancelled: nothing was changed.")
        raise typer.Exit(1)
    from cortexkit.resources._base import relative

    within = parse_time_range(selection.since) if selection.since else None  # None: up to now
    resource = cli.client().alerts

    def send(chunk: tuple[str, ...]) -> None:
        if action == "reopen":
            resource.reopen(chunk, within=within)
        elif snooze is not None:
            snooze_for = relative(int(snooze["amount"]), snooze["unit"])
            resource.snooze(chunk, snooze_for=snooze_for, note=note or None, within=within)
        else:
            resource.dismiss(chunk, note=note or None, within=within)

    done = changes.apply(send, changes.chunks(plan))
    past = {"dismiss": "dismissed", "snooze": "snoozed", "reopen": "reopened"}[action]
    output.message(f"{past} {done:,} alert{'' if done == 1 else 's'}.")
    cli.emit({"action": action, "count": done, "ids": list(plan.ids), "dryRun": False})


Ids = Annotated[list[str] | None, typer.Argument(help="Alert ids (or use filters instead).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change and change nothing.")]
Max = Annotated[int, typer.Option("--max", min=1, help="Refuse when more alerts than this match.")]


@app.command("dismiss")
def dismiss(  # noqa: PLR0917
    ctx: typer.Context,
    ids: Ids = None,
    note: Annotated[str, typer.Option("--note", help="Dismissal note (required by most tenants).")] = "",
    status: Status = None,
    severity: Severity = None,
    policy: Policy = None,
    policy_id: PolicyId = None,
    cloud_type: CloudType = None,
    account: Account = None,
    account_id: AccountId = None,
    cloud_region: Region = None,
    since: Since = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    max_alerts: Max = 10_000,
) -> None:
    """Dismiss alerts (open ones by default when selecting by filter)."""
    if not note.strip():
        raise UsageProblem("a dismissal needs a reason: pass --note 'why these alerts are dismissed'.")
    selection = _selection(
        status, severity, policy, policy_id, cloud_type, account, account_id, cloud_region, since
    )
    _change(
        ctx, "dismiss", ids, selection, default_status=("open",), note=note, snooze=None,
        yes=yes, dry_run=dry_run, max_alerts=max_alerts,
    )  # fmt: skip


@app.command("snooze")
def snooze(  # noqa: PLR0917
    ctx: typer.Context,
    ids: Ids = None,
    duration: Annotated[str, typer.Option("--for", help="How long: 24h, 7d, 2w ...")] = "",
    note: Annotated[str, typer.Option("--note", help="Why the alerts are snoozed.")] = "",
    status: Status = None,
    severity: Severity = None,
    policy: Policy = None,
    policy_id: PolicyId = None,
    cloud_type: CloudType = None,
    account: Account = None,
    account_id: AccountId = None,
    cloud_region: Region = None,
    since: Since = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    max_alerts: Max = 10_000,
) -> None:
    """Snooze alerts for a while (a dismissal that ends by itself)."""
    from cortexkit.cli.timespec import parse_duration

    if not duration:
        raise UsageProblem("say how long to snooze: pass --for 24h (or 7d, 2w ...).")
    if not note.strip():
        raise UsageProblem("a snooze needs a reason: pass --note 'why these alerts are snoozed'.")
    selection = _selection(
        status, severity, policy, policy_id, cloud_type, account, account_id, cloud_region, since
    )
    _change(
        ctx, "snooze", ids, selection, default_status=("open",), note=note, snooze=parse_duration(duration),
        yes=yes, dry_run=dry_run, max_alerts=max_alerts,
    )  # fmt: skip


@app.command("reopen")
def reopen(  # noqa: PLR0917
    ctx: typer.Context,
    ids: Ids = None,
    status: Status = None,
    severity: Severity = None,
    policy: Policy = None,
    policy_id: PolicyId = None,
    cloud_type: CloudType = None,
    account: Account = None,
    account_id: AccountId = None,
    cloud_region: Region = None,
    since: Since = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    max_alerts: Max = 10_000,
) -> None:
    """Reopen dismissed or snoozed alerts."""
    selection = _selection(
        status, severity, policy, policy_id, cloud_type, account, account_id, cloud_region, since
    )
    _change(
        ctx, "reopen", ids, selection, default_status=("dismissed", "snoozed"), note=None, snooze=None,
        yes=yes, dry_run=dry_run, max_alerts=max_alerts,
    )  # fmt: skip


@app.command("export")
def export_alerts(  # noqa: PLR0917
    ctx: typer.Context,
    destination: Annotated[str, typer.Option("--output", "-o", help="File to write; - for stdout.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or json.")] = "jsonl",
    status: Status = None,
    severity: Severity = None,
    policy: Policy = None,
    policy_id: PolicyId = None,
    cloud_type: CloudType = None,
    account: Account = None,
    account_id: AccountId = None,
    cloud_region: Region = None,
    since: Since = None,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=10_000)] = 10_000,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")
    ] = True,
    detailed: Annotated[bool, typer.Option("--detailed", help="Full policy details in each alert.")] = False,
) -> None:
    """Stream every matching alert to a file (written atomically, constant memory, progress on stderr)."""
    from cortexkit.cli import export
    from cortexkit.pagination import AlertPager

    cli = state(ctx)
    fmt = fmt.lower()
    if fmt not in output.STREAM_FORMATS:
        raise UsageProblem(f"unknown export format {fmt!r}: use one of {', '.join(output.STREAM_FORMATS)}.")
    selection = _selection(
        status, severity, policy, policy_id, cloud_type, account, account_id, cloud_region, since
    )
    pager = AlertPager(_body(selection, limit=page_size, detailed=detailed))
    client = cli.client()
    cols = output.columns(*alertquery.EXPORT_COLUMNS)
    if progress and sys.stderr.isatty():
        with export.RichProgress("exporting alerts") as bar:
            result = export.export(
                client.send_page, pager, fmt=fmt, destination=destination, cols=cols, progress=bar
            )
    else:
        result = export.export(
            client.send_page, pager, fmt=fmt, destination=destination, cols=cols, progress=export.NoProgress()
        )
    rate = result.count / result.seconds if result.seconds > 0 else 0.0
    output.message(
        f"exported {result.count:,} alerts to {files.describe_destination(destination)} "
        f"in {result.seconds:.1f}s ({rate:,.0f}/s)."
    )


# A 10,000-alert page parses to about 150 MB of Python objects; 2,500 keeps a report of any size under that.
report_page_size = 2_500


@app.command("report")
def report_alerts(  # noqa: PLR0917
    ctx: typer.Context,
    destination: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write (report.FORMAT); - for stdout.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, pdf (headless Chromium) or json (the aggregates).")
    ] = "html",
    since: Annotated[str, typer.Option("--since", help="The period; compared with the one before.")] = "30d",
    sla: Annotated[
        str | None,
        typer.Option("--sla", help="Age limits of open alerts, e.g. critical=1d,high=7d,medium=30d,low=90d."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Rows in the top-N tables.")] = 10,
    title: Annotated[str, typer.Option("--title")] = "Prisma Cloud alert report",
    status: Status = None,
    severity: Severity = None,
    cloud_type: CloudType = None,
    account: Account = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")
    ] = True,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=10_000, help="Alerts a page (sets the peak memory).")
    ] = report_page_size,
) -> None:
    """Write the alert report: open alerts and their change, trend, age and SLA, top accounts and policies,
    compliance; one self-contained HTML file (or JSON)."""
    from cortexkit.cli import export, report

    cli = state(ctx)
    chosen = report.check_format(fmt)
    chromium = report.find_chromium() if chosen == "pdf" else None
    target = destination or f"report.{chosen}"
    window, limits = report.plan(since, sla)
    fetch = report.fetch_since(window)
    selection = _selection(status, severity, None, None, cloud_type, account, None, None, fetch)
    body = _body(selection, limit=page_size)
    open_body = None
    if not selection.status or "open" in [s.lower() for s in selection.status]:
        open_now = replace(selection, status=("open",), since="all")
        open_body = _body(open_now, limit=page_size)
    client = cli.client()
    if progress and sys.stderr.isatty():
        with export.RichProgress("reading alerts") as bar:
            summary = report.collect(
                client,
                body,
                window=window,
                sla=limits,
                since=since,
                top=top,
                progress=bar,
                open_body=open_body,
            )
    else:
        summary = report.collect(
            client, body, window=window, sla=limits, since=since, top=top, open_body=open_body
        )
    report.write(summary, target, title=title, fmt=chosen, chromium=chromium)
    output.message(f"wrote the report ({summary.total:,} alerts) to {files.describe_destination(target)}.")
