"""The UI on a PostgreSQL store that has no key: a sentence saying how to give one, and no job."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_web_pages import SECRET, TOKEN, _client, _form
from tests.integration.web_support import web_emulator, web_stack


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
