"""The runner's side of the outage breaker: which failures mean "the API is down", the probe, the pause.

`breaker.OutageBreaker` decides; this module does the I/O for one job: it runs the probe (the cheapest
read, sent once: `probe_for`) when the breaker hands it the probe, and while the breaker is
open it puts the job in `waiting` with the breaker's reason, keeps honouring cancel (and the lease), and
puts it back to `running` when a probe got through. A job paused longer than the budget raises
`OutageBudgetError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cortexkit import errors as api_errors
from cortexkit.onboarding.breaker import Action, OutageBreaker
from cortexkit.onboarding.context import ApiUnavailableError, JobCancelledError, OutageBudgetError
from cortexkit.onboarding.fencing import FencedIO, Heartbeat
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore

log = logging.getLogger(__name__)

MAX_NAP = 1.0
"""Longest sleep of a paused job between looks at the breaker and the cancel flag."""


def outage_cause(exc: BaseException) -> str | None:
    """How `exc` says the API is down ("answered 503", "could not be reached"), or None when it says
    something else (a 4xx, a 429 the rate limiter handles, a bug)."""
    if isinstance(exc, ApiUnavailableError):
        return exc.api_cause
    if isinstance(exc, api_errors.ServerError):
        return f"answered {exc.status}"
    if isinstance(exc, api_errors.APITimeoutError):
        return "did not answer in time"
    if isinstance(exc, api_errors.APIConnectionError):
        return "could not be reached"
    if isinstance(exc, api_errors.OutcomeUnknownError):
        return "dropped the connection"
    if isinstance(exc, api_errors.UnexpectedResponseError):
        return "answered with a page that is not the API's"
    return None


def probe_for(client: Any) -> Callable[[], object] | None:
    """The probe read of the client's API, sent once (the breaker paces probes): Prisma's
    `GET /cloud/group/name`; Cortex's one-row `cloud_onboarding/get_instances`, the API the Cortex job
    itself calls (a `healthcheck` that answers says less about it). None for a client with neither."""
    groups = getattr(client, "account_groups", None)
    if groups is not None:
        return lambda: groups.names(max_retries=0)
    onboarding = getattr(client, "cloud_onboarding", None)
    if onboarding is not None and callable(getattr(onboarding, "probe", None)):
        return lambda: onboarding.probe(max_retries=0)
    return None


@dataclass(frozen=True)
class Held:
    """What a hold saw: whether the API was down (the breaker open) and how long the job paused."""

    outage: bool
    paused: float


class OutageGuard:
    """One job's link to the bulk's breaker, used by the runner at each step boundary and by the steps
    (through `StepContext.api_trouble`) at each retry."""

    def __init__(
        self,
        breaker: OutageBreaker,
        store: JobStore,
        job_id: str,
        heartbeat: Heartbeat,
        client: Any,
        *,
        sleep: Callable[[float], None],
        monotonic: Callable[[], float],
    ) -> None:
        self.breaker = breaker
        self.store = store
        self.job_id = job_id
        self.heartbeat = heartbeat
        self.io = FencedIO(store, heartbeat)
        self.client = client
        self.sleep = sleep
        self.monotonic = monotonic

    def trouble(self, exc: BaseException) -> float:
        """A step met `exc` at a retry point: count it; pause while the API is down. Seconds paused."""
        cause = outage_cause(exc)
        if cause is None:
            return 0.0
        self.breaker.failure(cause)
        return self.hold().paused

    def gave_up(self, exc: BaseException, on_pause: Callable[[], None] | None = None) -> bool:
        """A step gave up on `exc`: True when it was an outage, now over (run the step again). `on_pause`
        runs once if the job pauses for it (not when the probe shows the API answers: then the step's
        failure is its own, recorded once by the runner)."""
        cause = outage_cause(exc)
        if cause is None:
            return False
        self.breaker.failure(cause, confirm=True)
        return self.hold(on_pause).outage

    def hold(self, on_pause: Callable[[], None] | None = None) -> Held:
        """Return when the breaker lets the job go; pause it (`waiting`) meanwhile, `on_pause` first."""
        started = self.monotonic()
        paused = False
        outage = False
        while True:
            self._check_cancel()
            action = self.breaker.next_action()
            if action is Action.GO:
                break
            if action is Action.PROBE:
                self._probe()
                continue
            outage = outage or self.breaker.is_open
            if action is Action.GIVE_UP:
                raise OutageBudgetError(self.breaker.give_up_reason())
            if not paused and self.breaker.is_open:
                paused = True
                if on_pause is not None:
                    on_pause()
                self.store.set_state(
                    self.job_id, JobState.WAITING, self.breaker.reason(), lease=self.heartbeat.check()
                )
                log.warning("job %s paused: %s", self.job_id, self.breaker.reason())
            self.sleep(max(0.01, min(MAX_NAP, self.breaker.wait_hint())))
        if paused:
            self._check_cancel()
            self.store.set_state(
                self.job_id, JobState.RUNNING, None, lease=self.heartbeat.check(), resumed="the API answers"
            )
        return Held(outage or paused, self.monotonic() - started if paused else 0.0)

    def _check_cancel(self) -> None:
        if self.io.cancel_requested(self.job_id):
            raise JobCancelledError("cancelled by the user")

    def _probe(self) -> None:
        """The one read that says whether the API is back; any answer but a 5xx or no answer is 'up'."""
        probe = probe_for(self.client)
        if probe is None:  # a client with no read to probe with: never call it an outage
            self.breaker.probe_result(True)
            return
        try:
            probe()
        except Exception as exc:
            cause = outage_cause(exc)
            self.breaker.probe_result(cause is None, cause or "")
            return
        self.breaker.probe_result(True)
