"""The UI on a PostgreSQL store that has no key: a sentence saying how to give one, and no job."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.secrets import SecretBox
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.onboarding.store_keys import StoreKeys
from tests.integration.test_web_pages import CSRF, SECRET, TOKEN, _client, _form
from tests.integration.web_support import spec_data, web_emulator, web_stack


def test_a_job_on_a_shared_store_without_a_key_is_refused_with_the_fix(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CORTEXKIT_STORE_KEY", "CORTEXKIT_STORE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with web_emulator() as emulator:
        stack = web_stack(emulator, tmp_path, TOKEN, store_url=postgres_url)
        try:
            response = _client(stack, raise_server_exceptions=False).post("/onboard", data=_form())
            assert "The job store has no usable key" in response.text, response.text
            assert "CORTEXKIT_STORE_KEY" in response.text and "Traceback" not in response.text
            assert SECRET not in response.text
            assert stack.store.list_jobs() == []
        finally:
            stack.close()


def test_resume_on_a_shared_store_without_a_key_says_so_and_leaves_the_job(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job made by a host with the team's key, resumed from a UI replica that has none: the page says
    how to give a key, and the job is not claimed (it stays as it was, resumable once the key is there)."""
    for name in ("CORTEXKIT_STORE_KEY", "CORTEXKIT_STORE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    key = Fernet.generate_key()
    keyed = JobStore(
        postgres_url, data_dir=tmp_path, secret_box=SecretBox(keys=lambda: StoreKeys((key,), "K"))
    )
    job_id = keyed.create_job(JobSpec.model_validate(spec_data("Made elsewhere")), secret=SECRET)
    keyed.set_state(job_id, JobState.FAILED, "stopped on another host")
    events = len(keyed.events_after(job_id, 0))
    with web_emulator() as emulator:
        stack = web_stack(emulator, tmp_path, TOKEN, store_url=postgres_url)
        try:
            client = _client(stack, raise_server_exceptions=False, follow_redirects=False)
            response = client.post(f"/jobs/{job_id}/resume", data={"csrf_token": CSRF})
            assert "The job store has no usable key" in response.text, response.text
            assert "CORTEXKIT_STORE_KEY" in response.text and "Traceback" not in response.text
        finally:
            stack.close()
    job = keyed.require_job(job_id)
    assert job.state is JobState.FAILED and job.lease_owner is None
    assert len(keyed.events_after(job_id, 0)) == events
    keyed.close()
