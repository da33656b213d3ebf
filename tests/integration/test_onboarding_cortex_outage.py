"""A Cortex bulk through a Cortex outage, on the emulator over HTTP with its fault plans and real time.

Every `/public_api` route answers 503 and then drops connections for about 8 s while Azure (the ARM
deployments under `/_azure`) stays up. The bulk's breaker probes Cortex with a one-row `get_instances`,
pauses the jobs in `waiting` with the reason, and carries them on by itself when Cortex answers: every
job done, no resume, one instance each. As in `test_onboarding_outage.py` (the Prisma proof), the client
gives up after 2 attempts per call and the probe interval is shortened, so the breaker (not the client's
own retries) is what rides the outage out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.cortex.client import CortexClient
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.runner import Runner, shared_client_factory
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.retry import RetryConfig
from tests.figures import record_figures
from tests.integration.cortex_onboarding_support import emulator_fixture, guid, instances_named
from tests.integration.cortex_support import cortex_client
from tests.integration.outage_support import (
    bulk_through_outage,
    outage,
    outage_figures,
    recover,
    waiting_reasons,
)

pytestmark = pytest.mark.xdist_group("outage")  # timing-sensitive, as the Prisma outage tests
ROWS = 10
CORTEX_ROUTES = "* /public_api/*"
"""Every Cortex API route (Azure's routes, under /_azure, keep answering)."""


emulator = emulator_fixture(29, status_delay=0.5, scope="function", deployment_delay=0.6, whatif_delay=0.1)


def spec(running: RunningEmulator, tenant: str, name: str) -> JobSpec:
    return JobSpec.model_validate(
        {
            "tenant_id": tenant,
            "subscription_id": guid(),
            "name": name,
            "client_id": running.access_key_id,
            "cortex": {"scope": "subscription", "deploy": "arm"},
        }
    )


def runner_for(running: RunningEmulator, store: JobStore, client: CortexClient, tmp_path: Path) -> Runner:
    settings = RunnerSettings(
        verify_timeout=60.0,
        poll_interval=0.2,
        outage_retry_interval=0.5,
        outage_budget=60.0,
        work_root=tmp_path / "work",
        azure_endpoints=AzureEndpoints(
            f"{running.url}/_azure/login", f"{running.url}/_azure/graph", f"{running.url}/_azure/arm"
        ),
    )
    return Runner(store, shared_client_factory(lambda: client), settings=settings)


def _steps_paused_at(paused: list[JobRecord]) -> set[str]:
    return {s.name for j in paused for s in j.steps if s.state in ("running", "pending") and s.attempts}


def paused_outside_the_poll(paused: list[JobRecord]) -> bool:
    return bool(_steps_paused_at(paused) - {"wait_cortex"})


def test_a_cortex_bulk_rides_out_a_cortex_outage_with_no_resume(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    tenant = guid()
    names = [f"outage{i:02d}-{tenant[:6]}" for i in range(ROWS)]
    job_ids = [store.create_job(spec(emulator, tenant, n), secret=emulator.secret_key) for n in names]
    with cortex_client(
        emulator, retry=RetryConfig(max_attempts=2, base=0.2, cap=0.5, deadline=5.0)
    ) as client:
        runner = runner_for(emulator, store, client, tmp_path)
        # The outage starts once a job is done: the others are at every step (preflight and template
        # calls, deployments, Cortex polls). 503 for 4 s (longer until a job pauses outside the Cortex
        # poll: at load every job in flight may be polling, and the next one needs time to reach its
        # template call), then drops for 4 s.
        run, jobs, done_before = bulk_through_outage(
            emulator,
            store,
            runner,
            job_ids,
            done_first=1,
            route=CORTEX_ROUTES,
            until=paused_outside_the_poll,
            wait_seconds=120,
            join_seconds=240,
        )
    paused_during = [j for phase in run.paused for j in phase]

    assert [j.state for j in jobs] == [JobState.DONE] * ROWS, [(j.name, j.state, j.error) for j in jobs]
    for name in names:
        (instance,) = instances_named(emulator, name)
        assert instance.status == "CONNECTED"
    breaker = runner.breaker(None)
    assert not breaker.is_open and len(breaker.outages) >= 1 and breaker.probes >= 1
    reasons = waiting_reasons(store, job_ids)
    assert reasons, "the jobs paused in 'waiting' during the outage"
    assert paused_during and all(j.state is JobState.WAITING and not j.can_resume for j in paused_during)
    at = _steps_paused_at(paused_during)
    assert at - {"wait_cortex"}, f"a job paused outside the Cortex poll too (steps: {sorted(at)})"
    causes = {r.split(" since ", 1)[0] for r in reasons}
    assert "the API answered 503" in causes, reasons
    assert causes <= {
        "the API answered 503",
        "the API could not be reached",
        "the API dropped the connection",
    }
    assert all("retrying every 0.5 s" in r for r in reasons)
    assert store.integrity_check() == "ok"
    figures = outage_figures(run, store, job_ids, jobs, done_before, causes, breaker)
    record_figures("cortex_outage_bulk", {**figures, "paused_at_steps": sorted(at), "instances": ROWS})


def test_the_probe_is_one_attempt_at_one_row(emulator: RunningEmulator) -> None:
    """The breaker's Cortex probe: a single `get_instances` call for one row, never the client's retries."""
    outage(emulator, 503, CORTEX_ROUTES)
    try:
        with cortex_client(emulator, retry=RetryConfig(max_attempts=5, base=0.2, cap=0.5)) as client:
            before = client.stats.requests
            with pytest.raises(Exception, match="503"):
                client.cloud_onboarding.probe()
            assert client.stats.requests - before == 1
    finally:
        recover(emulator)
    with cortex_client(emulator) as client:
        client.cloud_onboarding.probe()
