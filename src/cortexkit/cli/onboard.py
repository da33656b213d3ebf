"""`cortexkit onboard azure|list|show|resume|cancel|rekey`: the onboarding engine on the command line.

Job data goes to stdout in the chosen output format; step progress streams to stderr while a job runs.
The Azure client secret comes from AZURE_CLIENT_SECRET, stdin or a prompt, never from an option value
(option values end up in shell history and `ps`). Heavy modules load inside the commands.

Test hook: CORTEXKIT_ONBOARD_KILL_AT=<point> makes the process SIGKILL itself when the runner reaches
that point (`<step>:start`, `<step>:done`, `add_account:posted`, `identity:app-created`), so the
crash-safety tests can stop a real process at an exact place and resume it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cortexkit.cli import output
from cortexkit.cli.context import CliState, state
from cortexkit.cli.errors import CliError, UsageProblem

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.records import JobRecord
    from cortexkit.onboarding.runner import Runner
    from cortexkit.onboarding.store import JobStore

app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    help="Onboard Azure subscriptions and tenants.",
    no_args_is_help=True,
)

KILL_ENV = "CORTEXKIT_ONBOARD_KILL_AT"
DATA_DIR_ENV = "CORTEXKIT_DATA_DIR"
JOB_COLUMNS = (
    "id",
    "state",
    "name",
    "Subscription=subscription_id",
    "Provisioner=provisioner",
    "account_id",
    "error",
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder of the job database and its key file.", envvar=DATA_DIR_ENV),
]
StoreUrl = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="CORTEXKIT_STORE_URL",
        help="Job store URL (sqlite:///path/jobs.db or postgresql+psycopg://user@host/db); "
        "a PostgreSQL store takes its key from CORTEXKIT_STORE_KEY, CORTEXKIT_STORE_KEY_FILE or the keyring.",
    ),
]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, max=32, help="Bulk jobs run at once.")]
VerifyTimeout = Annotated[
    float, typer.Option("--verify-timeout", min=0, help="Seconds to wait for every component to be ok.")
]
PollInterval = Annotated[
    float, typer.Option("--poll-interval", min=0.01, help="Seconds between status polls.")
]
Terraform = Annotated[
    str | None,
    typer.Option("--terraform", envvar="CORTEXKIT_TERRAFORM", help="terraform binary (default: PATH)."),
]
OutageBudget = Annotated[
    str,
    typer.Option(
        "--outage-budget",
        help="How long the jobs wait out an API outage (paused, 'waiting') before they end failed and "
        "resumable: 900, 90s, 15m, 1h.",
    ),
]
DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(text: str, option: str) -> float:
    """`900`, `90s`, `15m`, `1h` as seconds; anything else is a usage problem naming the option."""
    value = text.strip().lower()
    unit = DURATION_UNITS.get(value[-1:]) if value else None
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise UsageProblem(
            f"{option}: {text!r} is not a duration; write seconds or a unit, like 900, 90s or 15m"
        )
    return seconds


def _store(data_dir: Path | None, store_url: str | None = None) -> JobStore:
    """`--store` when given; else the SQLite file in `--data-dir`; else the default store
    (`CORTEXKIT_STORE_URL` or the user's data dir). Its key sources: `onboarding.store_keys`."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from cortexkit.onboarding.store import JobStore
    from cortexkit.onboarding.store.engine import safe_url

    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = store_url or (f"sqlite:///{data_dir / 'jobs.db'}" if data_dir is not None else None)
    try:
        return JobStore(url, data_dir=data_dir)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise UsageProblem(
            f"--store: {safe_url(url or '')!r} is not a job store URL ({type(exc).__name__}); "
            "use sqlite:///path/jobs.db or postgresql+psycopg://user@host/dbname"
        ) from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise CliError(f"cannot open the job store {safe_url(url or '')}: {reason}") from None


def _kill_hook() -> Callable[[str], None] | None:
    point = os.environ.get(KILL_ENV)
    if not point:
        return None

    def hook(reached: str) -> None:
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _runner(
    clients: _Clients,
    store: JobStore,
    verify_timeout: float,
    poll: float,
    terraform: str | None,
    *,
    outage_budget: float | None = None,
) -> Runner:
    from cortexkit.onboarding.runenv import runner_settings
    from cortexkit.onboarding.runner import Runner, shared_client_factory

    tunables: dict[str, Any] = {"verify_timeout": verify_timeout, "poll_interval": poll}
    if outage_budget is not None:
        tunables["outage_budget"] = outage_budget
    settings = runner_settings(terraform=terraform, **tunables)
    return Runner(
        store, shared_client_factory(clients, per_profile=True), settings=settings, hook=_kill_hook()
    )


class _Clients:
    """The command's client for jobs of its own profile; a client per other profile a CSV row names.

    The command's own client is closed with the root context; the others when the command ends. `cortex`:
    True for Cortex jobs, False for Prisma jobs, None (a mix, `resume --all`) to follow each profile's
    dialect (a Cortex profile, or CORTEXCLOUD_* for the command's own).
    """

    def __init__(self, cli: CliState, *, cortex: bool | None = False) -> None:
        self.cli = cli
        self.cortex = cortex
        self.extra: list[Any] = []

    def __call__(self, profile: str | None) -> Any:
        cortex = _cortex_profile(self.cli, profile) if self.cortex is None else self.cortex
        if cortex:
            return self._cortex(profile)
        if profile is None or profile == self.cli.profile:
            return self.cli.client()
        from cortexkit.client import Client
        from cortexkit.credentials import load_credentials

        client = Client(load_credentials(profile, api_url=self.cli.region, interactive=False))
        self.extra.append(client)
        return client

    def _cortex(self, profile: str | None) -> Any:
        if profile is None or profile == self.cli.profile:
            return self.cli.cortex_client()
        from cortexkit.cortex.client import CortexClient

        client = CortexClient(profile=profile, api_url=self.cli.region)
        self.extra.append(client)
        return client

    def close(self) -> None:
        for client in self.extra:
            client.close()


def _cortex_profile(cli: CliState, profile: str | None) -> bool:
    """Whether jobs of this profile talk to Cortex Cloud (a Cortex profile, or CORTEXCLOUD_* settings)."""
    if profile is not None and profile != cli.profile:
        from cortexkit.cortex.profiles import profile_backend

        return profile_backend(profile) == "cortex"
    try:
        return cli.dialect() == "cortex"
    except UsageProblem:
        return False


@contextmanager
def _live(store: JobStore, job_ids: list[str]) -> Iterator[None]:
    """Print these jobs' events on stderr while the body runs (a tail of the event table)."""
    from cortexkit.onboarding.events import format_event

    done = threading.Event()
    last = [store.last_event_id()]

    def drain() -> None:
        for event in store.events_after(job_ids[0] if len(job_ids) == 1 else None, last[0]):
            last[0] = event.id
            if event.job_id not in job_ids:
                continue
            line = format_event(event.job_id, event.type, event.payload)
            if line:
                output.message(line)

    def tail() -> None:
        while not done.wait(0.2):
            drain()

    thread = threading.Thread(target=tail, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        drain()


def _read_secret(from_stdin: bool) -> str:
    secret = os.environ.get("AZURE_CLIENT_SECRET")
    if secret:
        return secret
    if from_stdin or not sys.stdin.isatty():
        secret = sys.stdin.readline().strip()
    else:
        import getpass

        secret = getpass.getpass("Azure client secret: ")
    if not secret:
        raise UsageProblem("no Azure client secret: set AZURE_CLIENT_SECRET, pipe it on stdin or type it")
    return secret


def _finish(cli: CliState, jobs: list[JobRecord]) -> None:
    from cortexkit.onboarding.states import JobState

    cli.emit([j.summary() for j in jobs], output.columns(*JOB_COLUMNS))
    for job in jobs:
        if job.state in (JobState.WAITING, JobState.NEEDS_ATTENTION):
            output.message(f"job {job.id[:8]} is {job.state}: {job.error}")
    if not all(j.ok for j in jobs):
        raise typer.Exit(1)


def _summary(jobs: list[JobRecord], batch: str | None, busy: int = 0) -> None:
    """The bulk's last line on stderr: how many jobs ended how, and the one command that carries the rest
    on."""
    from collections import Counter

    counts = Counter(str(j.state) for j in jobs)
    parts = [f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: (kv[0] != "done", kv[0]))]
    if busy:
        parts.append(f"{busy} run by another live runner (left alone)")
    line = f"{len(jobs) + busy} job(s): " + ", ".join(parts or ["none"])
    if any(j.can_resume for j in jobs):
        line += "; carry them on with 'cortexkit onboard resume " + (
            f"--batch {batch}'" if batch else "--all'"
        )
    output.message(line)


def _spec_data(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, [], ())}


@app.command("azure")
def onboard_azure(  # noqa: PLR0917 (typer maps parameters to options)
    ctx: typer.Context,
    subscription_id: Annotated[
        str | None, typer.Option("--subscription-id", help="Subscription GUID.")
    ] = None,
    tenant_id: Annotated[
        str | None, typer.Option("--tenant-id", help="Entra tenant (directory) GUID.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Account name in Prisma Cloud (unique).")] = None,
    account_type: Annotated[
        str, typer.Option("--account-type", help="account (subscription) or tenant.")
    ] = "account",
    environment: Annotated[
        str, typer.Option("--environment", help="azure, azure_gov or azure_china.")
    ] = "azure",
    provisioner: Annotated[
        str, typer.Option("--provisioner", help="existing, azure-api or terraform.")
    ] = "existing",
    client_id: Annotated[str | None, typer.Option("--client-id", help="App (client) id.")] = None,
    service_principal_id: Annotated[
        str | None, typer.Option("--service-principal-id", help="Service principal object id.")
    ] = None,
    account_group_id: Annotated[
        list[str] | None, typer.Option("--account-group-id", help="Repeatable.")
    ] = None,
    feature: Annotated[
        list[str] | None, typer.Option("--feature", help="Feature to enable; repeatable.")
    ] = None,
    monitor_flow_logs: Annotated[
        bool, typer.Option("--monitor-flow-logs", help="Ingest NSG flow logs.")
    ] = False,
    root_sync: Annotated[bool, typer.Option("--root-sync", help="Tenant with management groups.")] = False,
    default_account_group_id: Annotated[str | None, typer.Option("--default-account-group-id")] = None,
    from_csv: Annotated[
        Path | None, typer.Option("--from-csv", help="One job per CSV row (see docs).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show every call that would be made.")] = False,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the client secret from stdin.")
    ] = False,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
    concurrency: Concurrency = 4,
    verify_timeout: VerifyTimeout = 600.0,
    poll_interval: PollInterval = 5.0,
    terraform: Terraform = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="Cortex: subscription, management-group or tenant.")
    ] = None,
    management_group_id: Annotated[
        str | None, typer.Option("--management-group-id", help="Cortex: the management group to onboard.")
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Cortex: only this subscription; repeatable.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Cortex: leave this subscription out; repeatable.")
    ] = None,
    capability: Annotated[
        list[str] | None,
        typer.Option("--capability", help="Cortex: turn a capability on (no-<name>: off); repeatable."),
    ] = None,
    deploy: Annotated[
        str | None, typer.Option("--deploy", help="Cortex: arm, terraform or manual (default arm).")
    ] = None,
    location: Annotated[
        str | None, typer.Option("--location", help="Cortex: the ARM deployment's region (eastus).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Cortex: KEY=VALUE on the resources; repeatable.")
    ] = None,
    no_audit_logs: Annotated[
        bool, typer.Option("--no-audit-logs", help="Cortex: do not collect audit logs.")
    ] = False,
    outage_budget: OutageBudget = "15m",
) -> None:
    """Onboard one Azure subscription or tenant, or one per row of a CSV file (through Cortex Cloud with a
    Cortex profile or CORTEXCLOUD_* settings)."""
    from cortexkit.cli import onboard_cortex
    from cortexkit.onboarding.model import JobSpec, field_errors

    cli = state(ctx)
    cortex_given = {
        "scope": scope,
        "management_group_id": management_group_id,
        "include": include,
        "exclude": exclude,
        "capability": capability,
        "deploy": deploy,
        "location": location,
        "tag": tag,
        "no_audit_logs": no_audit_logs,
    }
    specs: list[JobSpec]
    row_errors: list[Any]
    cortex_flow = onboard_cortex.wants_cortex(cli, cortex_given)
    if cortex_flow:
        given = {
            **cortex_given,
            "tenant_id": tenant_id,
            "subscription_id": subscription_id,
            "name": name,
            "client_id": client_id,
        }
        specs, csv_problems = onboard_cortex.specs(cli, given, from_csv)
        for line in csv_problems:
            output.message(line)
        row_errors = list(csv_problems)
        if dry_run:
            rows = onboard_cortex.plan_rows(specs)
            cli.emit(rows, output.columns("job", "step", "service", "method", "path", "purpose"))
            return
        onboard_cortex.require_cortex_credentials(cli)
    elif from_csv is not None:
        from cortexkit.cli.files import read_text_argument
        from cortexkit.onboarding.bulk import parse_csv

        specs, row_errors = parse_csv(read_text_argument(from_csv, "--from-csv"))
        for problem in row_errors:
            output.message(f"{from_csv}: {problem}")
        if not specs:
            raise UsageProblem(f"{from_csv}: no valid row")
    else:
        data = _spec_data(
            profile=cli.profile,
            subscription_id=subscription_id,
            tenant_id=tenant_id,
            name=name,
            account_type=account_type,
            environment=environment,
            provisioner=provisioner,
            client_id=client_id,
            service_principal_id=service_principal_id,
            account_group_ids=account_group_id,
            features=feature,
            monitor_flow_logs=monitor_flow_logs,
            root_sync_enabled=root_sync,
            default_account_group_id=default_account_group_id,
        )
        problems = field_errors(data)
        if problems:
            raise UsageProblem(
                "; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in sorted(problems.items()))
            )
        specs = [JobSpec.model_validate(data)]
        row_errors = []
    if dry_run:
        from cortexkit.onboarding.plan import plan

        calls = [{"job": s.name, **c.as_dict()} for s in specs for c in plan(s)]
        cli.emit(calls, output.columns("job", "step", "service", "method", "path", "purpose"))
        return
    budget = _seconds(outage_budget, "--outage-budget")
    if cortex_flow:
        needs_secret = onboard_cortex.needs_secret(specs)
    else:
        needs_secret = any(s.provisioner in ("existing", "azure-api") for s in specs)
    store = _store(data_dir, store_url)
    if needs_secret:
        store.require_keys()  # a store that cannot keep the secret says so before asking for it
    secret = _read_secret(secret_stdin) if needs_secret else None
    clients = _Clients(cli, cortex=cortex_flow)
    runner = _runner(clients, store, verify_timeout, poll_interval, terraform, outage_budget=budget)
    from cortexkit.onboarding.bulk import new_batch_id, run_all

    batch = new_batch_id() if from_csv is not None else None
    job_ids = store.create_jobs(
        [(s, f"{batch}:{i}" if batch else None) for i, s in enumerate(specs)], secret=secret
    )
    for job_id, spec in zip(job_ids, specs, strict=True):
        output.message(f"job {job_id} created for {spec.name!r}")
    if batch:
        output.message(f"batch {batch}: {len(job_ids)} job(s)")

    try:
        with _live(store, job_ids):
            jobs = run_all(job_ids, lambda job_id: runner.run(job_id).brief(), concurrency)
    finally:
        clients.close()
    if batch:
        _summary(jobs, batch)
    _finish(cli, jobs)
    if row_errors:
        raise typer.Exit(1)


def _job(store: JobStore, job_ref: str) -> JobRecord:
    job = store.find_job(job_ref)
    if job is None:
        raise CliError(f"no job {job_ref!r} (or the prefix is ambiguous); see `cortexkit onboard list`", 2)
    return job


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    job_state: Annotated[str | None, typer.Option("--state", help="Only jobs in this state.")] = None,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
) -> None:
    """List onboarding jobs."""
    from cortexkit.onboarding.states import JobState

    if job_state is not None and job_state not in set(JobState):
        raise UsageProblem(f"--state: {job_state!r} is not a job state; use one of: {', '.join(JobState)}")
    store = _store(data_dir, store_url)
    jobs = store.list_jobs(JobState(job_state) if job_state else None)
    state(ctx).emit([j.summary() for j in jobs], output.columns(*JOB_COLUMNS))


@app.command("show")
def show_job(
    ctx: typer.Context,
    job_ref: Annotated[str, typer.Argument(help="Job id or a unique prefix of it.")],
    events: Annotated[bool, typer.Option("--events", help="Include the job's events.")] = False,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
) -> None:
    """Show a job: its spec, steps with their output, and the account status."""
    store = _store(data_dir, store_url)
    job = _job(store, job_ref)
    data = job.as_dict()
    if events:
        data["events"] = [e.as_dict() for e in store.events_after(job.id, 0, limit=100_000)]
    state(ctx).emit(data)


@app.command("resume")
def resume_job(  # noqa: PLR0917
    ctx: typer.Context,
    job_ref: Annotated[
        str | None, typer.Argument(help="Job id or a unique prefix of it (or --all / --batch).")
    ] = None,
    terraform_outputs: Annotated[
        Path | None,
        typer.Option("--terraform-outputs", help="`terraform output -json` of the applied template."),
    ] = None,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
    verify_timeout: VerifyTimeout = 600.0,
    poll_interval: PollInterval = 5.0,
    terraform: Terraform = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Resume a cancelled or needs-attention job: runs its remaining steps."),
    ] = False,
    resume_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every resumable job: failed, waiting, never started, or running under a runner that died.",
        ),
    ] = False,
    batch: Annotated[
        str | None, typer.Option("--batch", help="The resumable jobs of one bulk (its batch id).")
    ] = None,
    concurrency: Concurrency = 4,
    outage_budget: OutageBudget = "15m",
) -> None:
    """Carry a job on from its last finished step (a cancelled one only with --force); --all or --batch
    carry on every resumable job, through the same worker pool as a bulk."""
    cli = state(ctx)
    chosen = [name for name, on in (("a job id", job_ref), ("--all", resume_all), ("--batch", batch)) if on]
    if len(chosen) != 1:
        raise UsageProblem("resume takes one of: a job id, --all or --batch ID")
    budget = _seconds(outage_budget, "--outage-budget")
    store = _store(data_dir, store_url)
    if job_ref is None:
        if terraform_outputs is not None or force:
            raise UsageProblem("--terraform-outputs and --force take one job id, not --all or --batch")
        _resume_many(
            cli,
            store,
            batch,
            concurrency=concurrency,
            verify_timeout=verify_timeout,
            poll_interval=poll_interval,
            terraform=terraform,
            budget=budget,
        )
        return
    job = _job(store, job_ref)
    if job.ok:
        output.message(f"job {job.id[:8]} is already done")
        _finish(cli, [job])
        return
    if job.state.resumable_with_force and not job.state.resumable:
        if not force:
            from cortexkit.onboarding.runner import JobNotResumableError

            raise UsageProblem(str(JobNotResumableError(job)))
        todo = [s.name for s in job.steps if s.state.value != "done"]
        output.message(
            f"job {job.id[:8]} is {job.state}; --force: running its remaining steps ({', '.join(todo)})"
        )
    store.require_keys([job])  # exit 2 with the key sources before the job is claimed or changed
    if terraform_outputs is not None:
        from cortexkit.onboarding.context import StepFailedError
        from cortexkit.onboarding.provisioners.terraform import outputs_from_file

        try:
            client_id, key, sp_id = outputs_from_file(terraform_outputs)
        except StepFailedError as exc:
            raise UsageProblem(str(exc)) from None
        store.put_secret(job.id, "key", key)
        identity = {
            "provisioner": job.spec.provisioner,
            "client_id": client_id,
            "service_principal_id": sp_id,
        }
        store.complete_step_externally(job.id, "identity", identity, f"outputs read from {terraform_outputs}")
    if job.spec.cortex is not None and job.spec.profile in (None, cli.profile):
        from cortexkit.cli.onboard_cortex import require_cortex_credentials

        require_cortex_credentials(cli)  # before the job is claimed: exit 2, the job untouched
    clients = _Clients(cli, cortex=job.spec.cortex is not None)
    runner = _runner(clients, store, verify_timeout, poll_interval, terraform, outage_budget=budget)
    try:
        with _live(store, [job.id]):
            finished = runner.run(job.id, force=force)
    finally:
        clients.close()
    _finish(cli, [finished])


def _resume_many(
    cli: CliState,
    store: JobStore,
    batch: str | None,
    *,
    concurrency: int,
    verify_timeout: float,
    poll_interval: float,
    terraform: str | None,
    budget: float,
) -> None:
    """`resume --all` / `--batch`: every resumable job through one runner (one breaker, one client per
    profile) and the bulk's pool; a job another live runner holds is left to it."""
    from cortexkit.onboarding.bulk import resumable, run_all
    from cortexkit.onboarding.runner import JobBusyError

    if batch is not None:
        ids = store.batch_job_ids(batch)
        if not ids:
            raise UsageProblem(f"--batch: no job belongs to batch {batch!r}; the bulk printed its batch id")
        jobs = [store.require_job(i) for i in ids]
    else:
        jobs = store.list_jobs()
    todo = resumable(jobs)
    if not todo:
        output.message("nothing to resume: no job is failed, waiting, pending or orphaned")
        if batch is not None:
            _finish(cli, jobs)
        return
    store.require_keys(todo)  # before any job is claimed
    output.message(f"resuming {len(todo)} job(s)")
    kinds = {j.spec.cortex is not None for j in todo}
    clients = _Clients(cli, cortex=kinds.pop() if len(kinds) == 1 else None)
    runner = _runner(clients, store, verify_timeout, poll_interval, terraform, outage_budget=budget)
    busy: list[str] = []

    def run(job_id: str) -> JobRecord | None:
        try:
            return runner.run(job_id).brief()
        except JobBusyError as exc:
            output.message(f"job {job_id[:8]}: left alone: {exc}")
            busy.append(job_id)
            return None

    try:
        with _live(store, [j.id for j in todo]):
            ran = [j for j in run_all([j.id for j in todo], run, concurrency) if j is not None]
    finally:
        clients.close()
    _summary(ran, batch, len(busy))
    if batch is not None:  # the whole batch, done ones included, as the bulk showed it
        ran = [store.require_job(i) for i in store.batch_job_ids(batch) if i not in busy]
    _finish(cli, ran)


@app.command("cancel")
def cancel_job(
    ctx: typer.Context,
    job_ref: Annotated[str, typer.Argument(help="Job id or a unique prefix of it.")],
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
) -> None:
    """Cancel a job; a running one stops after its current step. A failed Cortex job's cancel deletes the
    PENDING instance it created."""
    store = _store(data_dir, store_url)
    job = _job(store, job_ref)
    if job.cancel_cleans_up:  # a failed Cortex job: its cleanup (the PENDING instance it made) runs now
        from cortexkit.cli.onboard_cortex import cancel_settled

        clients = _Clients(state(ctx), cortex=True)
        try:
            cancel_settled(state(ctx), job, store, clients(job.spec.profile))
        finally:
            clients.close()
        return
    if not store.request_cancel(job.id):
        raise CliError(f"job {job.id[:8]} already finished ({job.state})")
    after = store.require_job(job.id)
    if after.state.finished:
        output.message(f"job {job.id[:8]}: cancelled")
        if after.spec.cortex is not None:
            from cortexkit.cli.onboard_cortex import cancel_cleanup

            cancel_cleanup(state(ctx), job.id, store)
            return
    else:
        output.message(f"job {job.id[:8]}: cancel requested; its runner stops before its next step")
    if after.account_id:
        output.message(
            f"Prisma Cloud account {after.account_id} was already added; remove it with "
            f"'cortexkit api DELETE /cloud/azure/{after.account_id}' if it should not exist"
        )


@app.command("rekey")
def rekey_store(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count the secrets that would be re-encrypted.")
    ] = False,
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
) -> None:
    """Re-encrypt every stored secret with the newest key (CORTEXKIT_STORE_KEY=new,old; see docs).

    One transaction per job; secrets already under the newest key are skipped, so it can be run again
    after an interruption. Nothing is written when a secret cannot be decrypted with the keys given.
    """
    store = _store(data_dir, store_url)
    summary = store.rekey(dry_run=dry_run)
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    output.message(
        f"{verb} {summary.reencrypted} of {summary.secrets} stored secrets ({summary.jobs} jobs) with the "
        f"newest key from {summary.source}; {summary.current} already used it"
    )
    state(ctx).emit(summary.as_dict())


if __name__ == "__main__":
    app()
