"""What a step sees while it runs: the job, the API client, earlier outputs and a way to record progress.

Steps call the real `Client`'s typed resources (`client.azure.*`, `client.account_groups.*` ...), never a
method and a path; they write through the small `JobIO` slice of the store. Tests run them against the
emulator over loopback HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cortexkit.azure import endpoints as _endpoints
from cortexkit.errors import CortexkitError
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import Secret
from cortexkit.onboarding.tenant_reads import TenantReads

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import Client


class JobIO(Protocol):
    """The slice of `JobStore` a running step writes through."""

    def emit(self, job_id: str, type_: str, payload: Mapping[str, Any]) -> None: ...

    def checkpoint(self, job_id: str, name: str, output: Mapping[str, Any]) -> None: ...

    def put_secret(self, job_id: str, name: str, secret: Secret | str) -> None: ...

    def get_secret(self, job_id: str, name: str) -> Secret | None: ...

    def set_account_id(self, job_id: str, account_id: str) -> None: ...

    def cancel_requested(self, job_id: str) -> bool: ...


class StepFailedError(CortexkitError):
    """The step cannot succeed as the job stands; the message says why in words a user can act on."""

    def __init__(self, message: str, output: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.output = dict(output or {})


class NeedsAttentionError(StepFailedError):
    """The step stopped on something a person must look at (e.g. an existing account that is not the
    job's); the job ends `needs_attention` instead of `failed`, resumable only with `--force`."""


class NeedsUserError(CortexkitError):
    """The step is waiting for the user (e.g. to apply a Terraform folder elsewhere); the job waits."""

    def __init__(self, message: str, output: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.output = dict(output or {})


class ApiUnavailableError(StepFailedError):
    """The step gave up on answers that say the API is unavailable (5xx, connection failures); the
    runner asks the bulk's outage breaker whether this is an outage to wait out or the step's failure."""

    def __init__(self, message: str, api_cause: str, output: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, output)
        self.api_cause = api_cause
        """What the API did, as the breaker words it: "answered 503", "could not be reached"."""


class OutageBudgetError(StepFailedError):
    """The API stayed down longer than the outage budget; the job ends `failed` and stays resumable."""


class JobCancelledError(CortexkitError):
    """The user asked the job to stop (not asyncio's `CancelledError`, which this name once shadowed)."""


AzureEndpoints = _endpoints.AzureEndpoints  # defined in `cortexkit.azure`; still importable from here


@dataclass(frozen=True)
class RunnerSettings:
    """Tunables of a run; defaults suit a real tenant, tests shorten the waits."""

    verify_timeout: float = 600.0
    poll_interval: float = 5.0
    azure_endpoints: AzureEndpoints | None = None
    terraform_command: tuple[str, ...] | None = None
    work_root: Path | None = None
    propagation_timeout: float = 300.0
    outage_budget: float = 900.0
    """Seconds a bulk's jobs wait out an API outage before they end `failed` (`--outage-budget`)."""
    outage_retry_interval: float = 30.0
    """Seconds between the probes that ask whether the API is back."""
    outage_threshold: int = 3
    """Consecutive 5xx / connection failures (any job's) that make the API suspect enough to probe."""


def _no_outage(_exc: BaseException) -> float:
    return 0.0


@dataclass
class StepContext:
    job_id: str
    step: str
    spec: JobSpec
    client: Client
    io: JobIO
    outputs: dict[str, dict[str, Any]]
    partial: dict[str, Any] = field(default_factory=dict)
    carried: dict[str, Any] = field(default_factory=dict)
    """What a step hands the next ones within this run only (never stored; a resume starts empty)."""
    tenant: TenantReads = field(default_factory=TenantReads)
    """Reads the runner's jobs on this tenant share (account-group names, supported features)."""
    settings: RunnerSettings = field(default_factory=RunnerSettings)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    hook: Callable[[str], None] = lambda _point: None
    api_trouble: Callable[[BaseException], float] = _no_outage
    """Report a 5xx / connection failure met at a retry point (a verify poll, an add round). Returns at
    once unless the bulk's breaker says the API is down: then it pauses the job (`waiting`, with the
    reason) until a probe gets through and returns the seconds paused; `OutageBudgetError` when the
    outage outlasts the budget."""

    def emit(self, type_: str, **payload: Any) -> None:
        self.io.emit(self.job_id, type_, {"step": self.step, **payload})

    def log(self, message: str, **extra: Any) -> None:
        self.emit("log", message=message, **extra)

    def checkpoint(self, **values: Any) -> None:
        self.partial.update(values)
        self.io.checkpoint(self.job_id, self.step, self.partial)

    def check_cancel(self) -> None:
        if self.io.cancel_requested(self.job_id):
            raise JobCancelledError("cancelled by the user")

    @property
    def work_dir(self) -> Path:
        root = self.settings.work_root or Path.cwd() / "cortexkit-onboarding"
        return root / self.job_id
