"""The one definition of job and step states, and the engine's errors inside the `CortexkitError` tree."""

from __future__ import annotations

import asyncio

import pytest

from cortexkit.errors import CortexkitError
from cortexkit.onboarding import context, runner, secrets
from cortexkit.onboarding.provisioners import azure_api
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobNotFoundError, LeaseLostError


def test_state_words_are_the_stored_and_shown_strings() -> None:
    assert [str(s) for s in JobState] == [
        "pending",
        "running",
        "waiting",
        "done",
        "failed",
        "cancelled",
        "needs_attention",
    ]
    assert [str(s) for s in StepState] == ["pending", "running", "done", "failed", "skipped", "cancelled"]
    assert JobState("waiting") is JobState.WAITING


@pytest.mark.parametrize(
    ("state", "finished", "resumable", "cancellable"),
    [
        (JobState.PENDING, False, False, True),
        (JobState.RUNNING, False, False, True),
        (JobState.WAITING, False, True, True),
        (JobState.DONE, True, False, False),
        (JobState.FAILED, True, True, False),
        (JobState.CANCELLED, True, False, False),
        (JobState.NEEDS_ATTENTION, True, False, False),
    ],
)
def test_what_each_state_allows(state: JobState, finished: bool, resumable: bool, cancellable: bool) -> None:
    """`waiting` is resumable and not finished: the page must offer Resume for a Terraform job."""
    assert (state.finished, state.resumable, state.cancellable) == (finished, resumable, cancellable)
    assert state.resumable_with_force == (
        resumable or state in {JobState.CANCELLED, JobState.NEEDS_ATTENTION}
    )


@pytest.mark.parametrize(
    "error",
    [
        context.StepFailedError,
        context.NeedsUserError,
        context.JobCancelledError,
        runner.JobBusyError,
        secrets.SecretStoreError,
        azure_api.AzureCallError,
        JobNotFoundError,
        LeaseLostError,
    ],
)
def test_engine_errors_are_cortexkit_errors(error: type[Exception]) -> None:
    assert issubclass(error, CortexkitError)


def test_the_cancel_error_no_longer_shadows_asyncios() -> None:
    assert not issubclass(context.JobCancelledError, asyncio.CancelledError)
    assert not hasattr(context, "CancelledError")
