"""The Cortex wizard's live preflight: the job's own read-only checks, run on the form's values before any
job exists.

It calls the engine's `cortexflow.preflight.preflight` (the same checks, wording and fixes as the job's
first Azure step) with a `StepContext` that belongs to no job: the operator secret is held in memory for
this one call and nothing is written to the store. Nothing is created and no job starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cortexkit.azure.client import AzureError
from cortexkit.errors import CortexkitError
from cortexkit.onboarding.context import RunnerSettings, StepContext, StepFailedError
from cortexkit.onboarding.cortexflow.preflight import preflight
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import Secret
from cortexkit.web.errors import explain

SECRET_NAME = "client_secret"
NO_JOB = "live-check"
MASK = "••••"
SKIPPED_AZURE = "Azure checks"
"""The row the engine's preflight reports when it has no Azure sign-in (its wording is for the CLI)."""


class _NoJobIO:
    """The store slice a step writes through, for a check that is no job: holds the operator secret for
    this call only, keeps nothing (the checks come back as the answer, not as events)."""

    def __init__(self, secret: str | None) -> None:
        self._secret = Secret(secret) if secret else None

    def emit(self, job_id: str, type_: str, payload: Mapping[str, Any]) -> None:
        return None

    def checkpoint(self, job_id: str, name: str, output: Mapping[str, Any]) -> None:
        return None

    def put_secret(self, job_id: str, name: str, secret: Secret | str) -> None:
        return None

    def get_secret(self, job_id: str, name: str) -> Secret | None:
        return self._secret if name == SECRET_NAME else None

    def set_account_id(self, job_id: str, account_id: str) -> None:
        return None

    def cancel_requested(self, job_id: str) -> bool:
        return False


@dataclass(frozen=True)
class LiveCheck:
    """What the page shows: each check (`name`, `ok` True/False/None, `detail`, `fix`), or, when the
    checks could not run (Cortex or Azure unreachable), `checked` false and `message` saying why."""

    checked: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if c.get("ok") is False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "checks": self.checks,
            "failed": self.failed,
            "message": self.message,
        }


def _masked(value: Any, secret: str | None) -> Any:
    """Any text with the operator secret in it shows it masked (an error message quoting a request)."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, MASK)
    if isinstance(value, list):
        return [_masked(v, secret) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, secret) for k, v in value.items()}
    return value


def _rows(output: Mapping[str, Any], spec: JobSpec, has_azure: bool) -> list[dict[str, Any]]:
    rows = [dict(c) for c in output.get("checks") or [] if isinstance(c, Mapping)]
    if not has_azure and spec.cortex is not None and spec.cortex.deploy != "manual":
        for row in rows:
            if row.get("name") == SKIPPED_AZURE:
                row["detail"] = (
                    "not run yet: give the Azure app (client) ID and its client secret to check the sign-in, "
                    "ARM permissions, deny assignments, resource providers and Conditional Access"
                )
    return rows


def not_checked(exc: CortexkitError, secret: str | None) -> LiveCheck:
    """Cortex or Azure could not be asked (down, unreachable, refused the connection's key): said as such,
    since it says nothing about the checks themselves."""
    if isinstance(exc, AzureError):
        return LiveCheck(False, message=_masked(f"Could not check: Azure: {exc}.", secret))
    info = explain(exc, cortex=True)
    return LiveCheck(False, message=_masked(f"Could not check: {info.message} {info.action}", secret))


def run_preflight(
    spec: JobSpec, secret: str | None, client: Any, settings: RunnerSettings | None = None
) -> LiveCheck:
    """The preflight of a job built from `spec`, run now against Cortex (`client`) and Azure; a failed
    check is an answer, not an error; only not being able to ask makes `checked` false."""
    ctx = StepContext(
        job_id=NO_JOB,
        step="preflight",
        spec=spec,
        client=client,
        io=_NoJobIO(secret),
        outputs={},
        settings=settings or RunnerSettings(),
    )
    has_azure = bool(spec.client_id) and bool(secret)
    try:
        output: Mapping[str, Any] = preflight(ctx)
        message = ""
    except StepFailedError as exc:
        output = exc.output
        if not output.get("checks"):  # stopped before any check (the scope's subscriptions unreadable)
            return LiveCheck(False, message=_masked(f"Could not check: {exc}", secret))
        failed = any(isinstance(c, Mapping) and c.get("ok") is False for c in output["checks"])
        message = "" if failed else f"{str(exc)[:1].upper()}{str(exc)[1:]}."  # the failed rows say why
    except CortexkitError as exc:
        return not_checked(exc, secret)
    return LiveCheck(True, _masked(_rows(output, spec, has_azure), secret), _masked(message, secret))
