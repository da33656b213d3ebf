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
    clients: _Clients, store: JobStore, verify_timeout: float, poll: float, terraform: str | None
) -> Runner:
    from cortexkit.onboarding.runenv import runner_settings
    from cortexkit.onboarding.runner import Runner, shared_client_factory

    settings = runner_settings(terraform=terraform, verify_timeout=verify_timeout, poll_interval=poll)
    return Runner(
        store, shared_client_factory(clients, per_profile=True), settings=settings, hook=_kill_hook()
    )


class _Clients:
    """The command's client for jobs of its own profile; a client per other profile a CSV row names.

    The command's own client is closed with the root context; the others when the command ends. `cortex`:
    the jobs are Cortex jobs (their profile's Cortex client), whatever else the environment selects.
    """

    def __init__(self, cli: CliState, *, cortex: bool = False) -> None:
        self.cli = cli
        self.cortex = cortex
        self.extra: list[Any] = []

    def __call__(self, profile: str | None) -> Any:
        if self.cortex:
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
    if cortex_flow:
        needs_secret = onboard_cortex.needs_secret(specs)
    else:
        needs_secret = any(s.provisioner in ("existing", "azure-api") for s in specs)
    secret = _read_secret(secret_stdin) if needs_secret else None
    store = _store(data_dir, store_url)
    clients = _Clients(cli, cortex=cortex_flow)
    runner = _runner(clients, store, verify_timeout, poll_interval, terraform)
    job_ids = [store.create_job(s, secret=secret) for s in specs]
    for job_id, spec in zip(job_ids, specs, strict=True):
        output.message(f"job {job_id} created for {spec.name!r}")
    from cortexkit.onboarding.bulk import run_all

    try:
        with _live(store, job_ids):
            jobs = run_all(job_ids, runner.run, concurrency)
    finally:
        clients.close()
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
    job_ref: Annotated[str, typer.Argument(help="Job id or a unique prefix of it.")],
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
) -> None:
    """Carry a job on from its last finished step (a cancelled one only with --force)."""
    cli = state(ctx)
    store = _store(data_dir, store_url)
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
    runner = _runner(clients, store, verify_timeout, poll_interval, terraform)
    try:
        with _live(store, [job.id]):
            finished = runner.run(job.id, force=force)
    finally:
        clients.close()
    _finish(cli, [finished])


@app.command("cancel")
def cancel_job(
    ctx: typer.Context,
    job_ref: Annotated[str, typer.Argument(help="Job id or a unique prefix of it.")],
    data_dir: DataDir = None,
    store_url: StoreUrl = None,
) -> None:
    """Cancel a job; a running one stops after its current step."""
    store = _store(data_dir, store_url)
    job = _job(store, job_ref)
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
