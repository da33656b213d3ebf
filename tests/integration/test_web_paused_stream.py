"""The live stream of a job paused by an outage stays open: the job is `waiting` under its live runner's
lease (`JobRecord.paused`) and carries on by itself, so the page must keep following it. The stream ends
on `JobRecord.at_rest`, which leaves paused jobs out, so the state it reports is the job's own."""

from __future__ import annotations

from pathlib import Path

import anyio

from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.web import sse
from tests.integration.web_support import SP_SECRET, spec_data


def test_the_stream_of_a_paused_job_stays_open_until_its_runner_lets_go(
    tmp_path: Path, store_url: str
) -> None:
    store = JobStore(store_url, data_dir=tmp_path)
    try:
        job_id = store.create_job(JobSpec.model_validate(spec_data("Paused")), secret=SP_SECRET)
        lease = store.claim(job_id, owner="runner-a")
        assert lease is not None
        store.set_state(job_id, JobState.WAITING, "the API answered 503 since 12:04; retrying every 30 s")
        paused = store.get_job(job_id)
        assert paused is not None and paused.paused and not paused.at_rest
        frames: list[sse.Frame] = []

        async def follow() -> None:
            async for frame in sse.tail(
                store, job_id, 0, job=lambda: store.get_job(job_id), poll_interval=0.01
            ):
                frames.append(frame)

        async def scenario() -> None:
            with anyio.fail_after(20):
                async with anyio.create_task_group() as group:
                    group.start_soon(follow)
                    await anyio.sleep(0.3)  # ~30 polls of a paused job
                    assert not [f for f in frames if f.end_state is not None], "the stream stayed open"
                    store.emit(job_id, "log", {"message": "the API answers again"})
                    while not [f for f in frames if f.event is not None]:
                        await anyio.sleep(0.01)
                    store.release(lease)  # the runner gave up and left the job waiting for a person

        anyio.run(scenario)
        assert [f.event.type for f in frames if f.event is not None][-1] == "log"
        end = frames[-1]
        assert end.end_state is JobState.WAITING and not end.orphaned
    finally:
        store.close()


def test_the_stream_of_a_job_this_ui_holds_stays_open_though_the_store_shows_it_failed(
    tmp_path: Path, store_url: str
) -> None:
    """Resume queues a failed job for the UI's workers; until one claims it the store still says failed.
    The stream of the page the Resume redirects to must not end on that, or the page never moves."""
    store = JobStore(store_url, data_dir=tmp_path)
    try:
        job_id = store.create_job(JobSpec.model_validate(spec_data("Queued resume")), secret=SP_SECRET)
        lease = store.claim(job_id, owner="runner-a")
        assert lease is not None
        store.set_state(job_id, JobState.FAILED, "Prisma Cloud answered 403", lease=lease)
        store.release(lease)
        failed = store.get_job(job_id)
        assert failed is not None and failed.at_rest
        held = [True]
        frames: list[sse.Frame] = []

        async def follow() -> None:
            async for frame in sse.tail(
                store, job_id, 0, job=lambda: store.get_job(job_id), held=lambda: held[0], poll_interval=0.01
            ):
                frames.append(frame)

        async def scenario() -> None:
            with anyio.fail_after(20):
                async with anyio.create_task_group() as group:
                    group.start_soon(follow)
                    await anyio.sleep(0.3)  # ~30 polls while the job waits for a worker
                    assert not [f for f in frames if f.end_state is not None], "the stream stayed open"
                    again = store.claim(job_id, owner="runner-b")
                    assert again is not None
                    store.emit(job_id, "log", {"message": "resumed"})
                    store.set_state(job_id, JobState.DONE, lease=again)
                    store.release(again)
                    held[0] = False

        anyio.run(scenario)
        seen = [(f.event.type, f.event.payload.get("state")) for f in frames if f.event is not None]
        assert seen[-2:] == [("log", None), ("job", JobState.DONE)], "the resumed run's events all came"
        assert frames[-1].end_state is JobState.DONE
    finally:
        store.close()
