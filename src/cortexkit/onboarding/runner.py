"""Runs jobs step by step, recording each step and resuming after the last one that finished.

The runner owns the transitions (pending -> running -> done | failed | waiting | cancelled); the steps own
the work. A step is recorded as started before it runs and as done, with its output, only after it
returned, so a crash in between makes `resume` run that step again, which every step allows.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cortexkit import errors as api_errors
from cortexkit.onboarding import provisioners, steps
from cortexkit.onboarding.breaker import OutageBreaker
from cortexkit.onboarding.context import (
    JobCancelledError,
    NeedsAttentionError,
    NeedsUserError,
    OutageBudgetError,
    RunnerSettings,
    StepContext,
    StepFailedError,
)
from cortexkit.onboarding.fencing import FencedIO, Heartbeat
from cortexkit.onboarding.model import steps_for
from cortexkit.onboarding.outage import OutageGuard, outage_cause
from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import LEASE_SECONDS, JobBusyError, JobStore, Lease, LeaseLostError
from cortexkit.onboarding.store.owners import current_owner
from cortexkit.onboarding.tenant_reads import TenantReads

__all__ = ["JobBusyError", "JobNotResumableError", "LeaseLostError", "Runner", "shared_client_factory"]

log = logging.getLogger(__name__)

STEP_FUNCTIONS: dict[str, steps.StepFunction] = {
    "validate": steps.validate,
    "features": steps.features,
    "identity": provisioners.provision,
    "preflight": steps.preflight,
    "add_account": steps.add_account,
    "verify": steps.verify,
}


def _step_functions(job: JobRecord) -> dict[str, steps.StepFunction]:
    """The step functions of the job's kind (a Cortex job's live in `cortexflow`)."""
    if job.spec.cortex is None:
        return STEP_FUNCTIONS
    from cortexkit.onboarding.cortexflow import steps as cortex_steps

    return cortex_steps.STEP_FUNCTIONS


ClientFactory = Callable[[Any], Any]

DEFAULT_WORKERS = 4
"""Jobs a runner's pool runs at once (the CLI's bulk `--concurrency` default is the same)."""


Hook = Callable[[str], None]


class JobNotResumableError(api_errors.CortexkitError):
    """The job was cancelled (or needs attention): resuming it takes `--force`."""

    def __init__(self, job: JobRecord) -> None:
        todo = [s.name for s in job.steps if s.state is not StepState.DONE]
        super().__init__(
            f"job {job.id[:8]} is {job.state}; 'cortexkit onboard resume --force {job.id[:8]}' runs its "
            f"remaining steps ({', '.join(todo) or 'none'})"
        )
        self.job = job


def _cancelled_after_add(job: JobRecord) -> str | None:
    """What a cancel left behind: the account, when the add step had already created it."""
    if not job.account_id:
        return None
    return (
        f"cancelled after the account was added: Prisma Cloud account {job.account_id} exists; remove it "
        f"with 'cortexkit api DELETE /cloud/azure/{job.account_id}' if it should not"
    )


def _describe(exc: BaseException) -> str:
    """A failure in words for the job record; API errors carry status and keys, never a body or secret."""
    if isinstance(exc, api_errors.APIError):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, api_errors.CortexkitError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


class Runner:
    """Drives jobs of one `JobStore`; `client_factory(profile)` returns a context-managed API client."""

    def __init__(
        self,
        store: JobStore,
        client_factory: ClientFactory,
        *,
        settings: RunnerSettings | None = None,
        hook: Hook | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        lease_seconds: float = LEASE_SECONDS,
        max_workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.store = store
        self.owner = current_owner()
        self.lease_seconds = lease_seconds
        self.client_factory = client_factory
        settings = settings or RunnerSettings()
        if settings.work_root is None:
            settings = replace(settings, work_root=store.data_dir / "work")
        self.settings = settings
        self.hook: Hook = hook or (lambda _point: None)
        self.sleep = sleep
        self.monotonic = monotonic
        self._pool = JobPool(self._run_quietly, max_workers)
        self._breakers: dict[str | None, OutageBreaker] = {}
        self._breakers_lock = threading.Lock()
        self._tenant_reads: dict[str | None, TenantReads] = {}

    def breaker(self, profile: str | None = None) -> OutageBreaker:
        """The outage breaker every job of this runner on `profile`'s tenant shares (a bulk's jobs, the
        UI's jobs): one outage pauses them all, one probe resumes them all."""
        with self._breakers_lock:
            if profile not in self._breakers:
                self._breakers[profile] = OutageBreaker(
                    threshold=self.settings.outage_threshold,
                    retry_interval=self.settings.outage_retry_interval,
                    budget=self.settings.outage_budget,
                    clock=self.monotonic,
                )
            return self._breakers[profile]

    def tenant_reads(self, profile: str | None = None) -> TenantReads:
        """The reads every job of this runner on `profile`'s tenant shares (one per bulk, not per job)."""
        with self._breakers_lock:
            return self._tenant_reads.setdefault(profile, TenantReads())

    def start(self, job_id: str) -> None:
        """Queue the job for the runner's worker pool (the web UI's path): at most `max_workers` jobs run
        at once, however many a bulk submits; a job already queued or running is left alone."""
        self._pool.submit(job_id)

    def join(self, job_id: str, timeout: float | None = None) -> None:
        self._pool.join(job_id, timeout)

    def holds(self, job_id: str) -> bool:
        """Whether `start` queued the job and its run has not ended: until a worker claims it, the store
        still shows it as it was (failed, or orphaned), and a page must not take that as its end."""
        return self._pool.holds(job_id)

    def _run_quietly(self, job_id: str) -> None:
        try:
            self.run(job_id)
        except Exception:  # the thread has no caller; the job record carries the failure
            log.exception("job %s crashed", job_id)

    def run(self, job_id: str, *, force: bool = False) -> JobRecord:
        """Run (or resume) a job to a resting state and return it. Never raises for a step failure.

        A failed or waiting job carries on; a cancelled or needs-attention one only with `force`
        (`JobNotResumableError` otherwise: cancel is final unless the user insists). `JobBusyError` when
        another live runner holds the job. A runner that loses its lease mid-job (it stalled past the
        lease and another runner took the job over) stops and writes nothing more.
        """
        job = self.store.require_job(job_id)
        if job.state is JobState.DONE:
            return job
        if job.state.resumable_with_force and not job.state.resumable and not force:
            raise JobNotResumableError(job)
        lease = self.store.claim(job_id, self.owner, lease_seconds=self.lease_seconds, force=force)
        try:
            with Heartbeat(self.store, lease, self.lease_seconds) as heartbeat:
                state, error = self._outcome(job, heartbeat)
                last = heartbeat.check()
            # The heartbeat has stopped (no renewal can come after the release): the resting state and
            # the end of the lease in one transaction.
            self.store.set_state(job_id, state, error, lease=last, release=True)
        except LeaseLostError:
            log.warning("job %s: another runner took the job over; this one stopped", job_id)
        return self.store.require_job(job_id)

    def _outcome(self, job: JobRecord, heartbeat: Heartbeat) -> tuple[JobState, str | None]:
        try:
            with self.client_factory(job.spec.profile) as client:
                self._run_steps(job, client, heartbeat)
        except LeaseLostError:
            raise
        except JobCancelledError:
            if job.spec.cortex is not None:
                return JobState.CANCELLED, self._cortex_cleanup(job.id, heartbeat)
            return JobState.CANCELLED, _cancelled_after_add(self.store.require_job(job.id))
        except NeedsUserError as exc:
            return JobState.WAITING, str(exc)
        except NeedsAttentionError as exc:
            return JobState.NEEDS_ATTENTION, str(exc)
        except StepFailedError as exc:
            return JobState.FAILED, str(exc)
        except Exception as exc:
            return JobState.FAILED, _describe(exc)
        return JobState.DONE, None

    def _cortex_cleanup(self, job_id: str, heartbeat: Heartbeat) -> str | None:
        """A cancelled Cortex job deletes the PENDING instance it created (or says why it could not)."""
        from cortexkit.onboarding.cortexflow.cleanup import after_cancel

        job = self.store.require_job(job_id)
        with self.client_factory(job.spec.profile) as client:
            cleanup = after_cancel(job, client, FencedIO(self.store, heartbeat))
        return f"cancelled by the user; {cleanup.message}"

    def _run_steps(self, job: JobRecord, client: Any, heartbeat: Heartbeat) -> None:
        outputs = {s.name: s.output for s in job.steps if s.state is StepState.DONE}
        carried: dict[str, Any] = {}  # handed from step to step within this run only
        io = FencedIO(self.store, heartbeat)
        guard = OutageGuard(
            self.breaker(job.spec.profile),
            self.store,
            job.id,
            heartbeat,
            client,
            sleep=self.sleep,
            monotonic=self.monotonic,
        )
        try:
            functions = _step_functions(job)
            for name in steps_for(job.spec):
                if name in outputs:
                    continue
                # A step boundary: no new step starts while the API is down, nor after a cancel (the hold
                # asks for the cancel flag first, before anything else, so that check is this boundary's).
                guard.hold()
                partial = dict(job.step(name).output)
                ctx = StepContext(
                    job_id=job.id,
                    step=name,
                    spec=job.spec,
                    client=client,
                    io=io,
                    outputs=outputs,
                    partial=partial,
                    carried=carried,
                    tenant=self.tenant_reads(job.spec.profile),
                    settings=self.settings,
                    sleep=self.sleep,
                    monotonic=self.monotonic,
                    hook=self.hook,
                    api_trouble=guard.trouble,
                )
                lease = heartbeat.check()
                try:
                    output = self._attempt(ctx, functions[name], guard, heartbeat)
                except LeaseLostError:
                    raise
                except OutageBudgetError as exc:
                    self._finish(lease, name, StepState.PENDING, partial, str(exc))
                    raise
                except JobCancelledError:
                    self._finish(lease, name, StepState.CANCELLED, outcome="cancelled by the user")
                    raise
                except NeedsUserError as exc:
                    self._finish(lease, name, StepState.PENDING, {**partial, **exc.output}, str(exc))
                    raise
                except StepFailedError as exc:
                    self._finish(lease, name, StepState.FAILED, {**partial, **exc.output}, str(exc))
                    raise
                except Exception as exc:
                    self._finish(lease, name, StepState.FAILED, partial, _describe(exc))
                    raise
                self.hook(f"{name}:done")
                self._finish(heartbeat.check(), name, StepState.DONE, output)
                outputs[name] = output
        finally:
            io.forget_secrets()  # read once per run, kept no longer than the run

    def _attempt(
        self, ctx: StepContext, function: steps.StepFunction, guard: OutageGuard, heartbeat: Heartbeat
    ) -> dict[str, Any]:
        """Run the step; when it gave up because the API was down, wait the outage out and run it again
        (every step is safe to run again). Any other failure, or one the probe shows is not an outage,
        is the step's own."""
        while True:
            self.store.start_step(ctx.job_id, ctx.step, lease=heartbeat.check())
            self.hook(f"{ctx.step}:start")
            try:
                output = function(ctx)
            except (LeaseLostError, JobCancelledError, NeedsUserError, OutageBudgetError):
                raise
            except Exception as exc:
                if outage_cause(exc) is None:
                    raise
                stopped = f"stopped: {_describe(exc)}"

                def paused(stopped: str = stopped) -> None:
                    # Only a real pause shows the step pending: when the probe gets through, the step's
                    # failure is recorded once, by `_run_steps` (it was written twice before).
                    self._finish(heartbeat.check(), ctx.step, StepState.PENDING, ctx.partial, stopped)

                if not guard.gave_up(exc, on_pause=paused):
                    raise
                ctx.log(f"the API was down ({_describe(exc)}); running the step again now that it answers")
                continue
            guard.breaker.success()
            return output

    def _finish(
        self,
        lease: Lease,
        name: str,
        state: StepState,
        output: dict[str, Any] | None = None,
        outcome: str | None = None,
    ) -> None:
        self.store.finish_step(lease.job_id, name, state, output, outcome, lease=lease)


class JobPool:
    """At most `size` jobs at once, in daemon threads started as needed (a UI that exits does not wait
    for them: the store has every step, and `resume` carries a job on). Each job id runs once at a time."""

    def __init__(self, run: Callable[[str], None], size: int) -> None:
        self._run = run
        self._size = max(1, size)
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._lock:
            current = self._done.get(job_id)
            if current is not None and not current.is_set():
                return
            self._done[job_id] = threading.Event()
            self._queue.put(job_id)
            if len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._work, name=f"job-worker-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def join(self, job_id: str, timeout: float | None = None) -> None:
        """Wait until the job is neither queued nor running (at once when it is not in the pool)."""
        with self._lock:
            done = self._done.get(job_id)
        if done is not None:
            done.wait(timeout)

    def holds(self, job_id: str) -> bool:
        """Whether the job is queued or running in this pool (a resumed job is held before its claim)."""
        with self._lock:
            return job_id in self._done

    def tracked(self) -> int:
        """Jobs queued or running (what the pool holds per job)."""
        with self._lock:
            return len(self._done)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                self._run(job_id)
            finally:
                with self._lock:  # nothing per job outlives it: a long-lived UI's pool stays flat
                    done = self._done.pop(job_id)
                done.set()


class _Borrowed:
    """A shared client lent to one job: entering it does nothing, leaving it does not close it."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __enter__(self) -> Any:
        return self._client

    def __exit__(self, *exc: object) -> None:
        return None


def shared_client_factory(get_client: Callable[..., Any], *, per_profile: bool = False) -> ClientFactory:
    """One client for every job (bulk runs share its token and rate limiter instead of each logging in).

    With `per_profile`, `get_client(profile)` is called once per distinct profile the jobs name, and
    jobs of the same profile share that client.
    """
    lock = threading.Lock()
    clients: dict[str | None, Any] = {}

    def factory(profile: Any = None) -> _Borrowed:
        key = profile if per_profile and isinstance(profile, str) else None
        with lock:
            if key not in clients:
                clients[key] = get_client(key) if per_profile else get_client()
            return _Borrowed(clients[key])

    return factory
