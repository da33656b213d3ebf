"""The Cortex branch of `cortexkit onboard azure`: specs from the options (or a CSV), the dry-run plan, and
the Cortex client for the runner. `onboard.py` keeps the shared commands; this module only builds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cortexkit.cli import output
from cortexkit.cli.errors import CliError, UsageProblem

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.cli.context import CliState
    from cortexkit.onboarding.model import JobSpec

CORTEX_OPTIONS = (
    "scope",
    "management_group_id",
    "include",
    "exclude",
    "capability",
    "deploy",
    "location",
    "tag",
    "no_audit_logs",
)
"""Options only a Cortex onboarding takes (any of them selects the Cortex flow)."""


def wants_cortex(cli: CliState, given: dict[str, Any]) -> bool:
    """The Cortex flow: Cortex credentials selected, or a Cortex-only option given."""
    if any(given.get(k) not in (None, False, [], ()) for k in CORTEX_OPTIONS):
        return True
    try:
        return cli.dialect() == "cortex"
    except UsageProblem:
        return False


def require_cortex_credentials(cli: CliState) -> None:
    """Refuse (exit 2, before any job exists) a Cortex onboarding without Cortex credentials."""
    if cli.dialect() != "cortex":
        raise UsageProblem(
            "a Cortex onboarding (--scope, --deploy ...) needs Cortex Cloud credentials: pick a Cortex "
            "profile with --profile, or set CORTEXCLOUD_API_URL, CORTEXCLOUD_API_KEY and "
            "CORTEXCLOUD_API_KEY_ID"
        )


def _tags(values: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise UsageProblem(f"--tag {value!r}: give KEY=VALUE, e.g. --tag owner=secops")
        pairs.append((key.strip(), val.strip()))
    return tuple(pairs)


def spec_data(cli: CliState, given: dict[str, Any]) -> dict[str, Any]:
    cortex: dict[str, Any] = {
        "scope": given.get("scope") or "subscription",
        "deploy": given.get("deploy") or "arm",
        "audit_logs": not given.get("no_audit_logs"),
    }
    for key, option in (("include", "include"), ("exclude", "exclude"), ("capabilities", "capability")):
        if given.get(option):
            cortex[key] = tuple(given[option])
    if given.get("management_group_id"):
        cortex["management_group_id"] = given["management_group_id"]
    if given.get("location"):
        cortex["location"] = given["location"]
    if given.get("tag"):
        cortex["tags"] = _tags(given["tag"])
    data = {
        "profile": cli.profile,
        "tenant_id": given.get("tenant_id"),
        "subscription_id": given.get("subscription_id"),
        "name": given.get("name"),
        "client_id": given.get("client_id"),
        "cortex": cortex,
    }
    return {k: v for k, v in data.items() if v is not None}


OPTION_NAMES = {
    "scope": "--scope",
    "deploy": "--deploy",
    "include": "--include",
    "exclude": "--exclude",
    "capabilities": "--capability",
    "tags": "--tag",
    "location": "--location",
}


def specs(cli: CliState, given: dict[str, Any], from_csv: Path | None) -> tuple[list[JobSpec], list[str]]:
    """The jobs to run and the CSV's row problems; bad options are a `UsageProblem` (exit 2)."""
    from cortexkit.onboarding.model import JobSpec, field_errors

    if from_csv is not None:
        from cortexkit.cli.files import read_text_argument
        from cortexkit.onboarding.cortexflow.csvrows import parse_csv

        found, row_errors = parse_csv(read_text_argument(from_csv, "--from-csv"), cli.profile)
        if not found:
            detail = f" ({row_errors[0]})" if row_errors else ""
            raise UsageProblem(f"{from_csv}: no valid row{detail}")
        return found, [f"{from_csv}: {e}" for e in row_errors]
    data = spec_data(cli, given)
    problems = field_errors(data)
    if problems:
        raise UsageProblem(
            "; ".join(
                f"{OPTION_NAMES.get(k, '--' + k.replace('_', '-'))}: {v}" for k, v in sorted(problems.items())
            )
        )
    return [JobSpec.model_validate(data)], []


def plan_rows(jobs: list[JobSpec]) -> list[dict[str, Any]]:
    from cortexkit.onboarding.cortexflow.plan import plan

    rows = []
    for spec in jobs:
        assert spec.cortex is not None
        for call in plan(spec.tenant_id, spec.name, spec.cortex, spec.subscription_id, spec.client_id):
            rows.append({"job": spec.name, **call.as_dict()})
    return rows


def needs_secret(jobs: list[JobSpec]) -> bool:
    return any(s.cortex is not None and (s.cortex.deploy != "manual" or s.client_id) for s in jobs)


def cancel_cleanup(cli: CliState, job_id: str, store: Any) -> None:
    """A Cortex job cancelled at once (no runner held it): delete its orphan PENDING instance here."""
    from cortexkit.onboarding.cortexflow.cleanup import after_cancel, created_instance

    job = store.require_job(job_id)
    if job.spec.cortex is None or not job.state.finished:
        return
    if created_instance(job) is None:  # nothing of its own to delete: no Cortex call needed to say so
        output.message(f"job {job.id[:8]}: {after_cancel(job, None, store).message}")
        return
    try:
        client = cli.cortex_client()
    except Exception as exc:  # no Cortex credentials here: say what is left and how to remove it
        output.message(
            f"Cortex instance {created_instance(job)} may be left PENDING ({type(exc).__name__}); run "
            "this cancel again with the Cortex profile, or delete it under Settings > Data Sources"
        )
        return
    result = after_cancel(job, client, store)
    output.message(f"job {job.id[:8]}: {result.message}")
    if result.left_behind:
        raise CliError(f"job {job.id[:8]} is cancelled but its PENDING Cortex instance is left behind")


def cancel_settled(cli: CliState, job: Any, store: Any, client: Any) -> None:
    """Cancel a Cortex job that failed or needs attention: delete the PENDING instance it made, end it
    `cancelled`. Exit 1 when Cortex refused the deletion (the instance is listed with the reason)."""
    from cortexkit.onboarding.cortexflow.cleanup import cancel_settled as run_cleanup
    from cortexkit.onboarding.store import JobBusyError, JobStateChangedError

    try:
        after, result = run_cleanup(store, job.id, client)
    except (JobBusyError, JobStateChangedError) as exc:
        raise CliError(f"job {job.id[:8]} was not cancelled: {exc}") from None
    output.message(f"job {job.id[:8]}: cancelled; {result.message}")
    cli.emit(after.summary() | {"cleanup": result.as_dict()})
    if result.left_behind:
        raise CliError(
            f"job {job.id[:8]} is cancelled but its PENDING Cortex instance {result.instance_id} is left "
            "behind (see above)"
        )
