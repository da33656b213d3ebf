"""The web UI's real stack for Cortex jobs: the engine's store on a temporary SQLite file, its runner with
a `CortexClient` for the emulator's Cortex API key, and the Azure side under the emulator's /_azure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.store import JobStore
from cortexkit.web.app import create_app
from cortexkit.web.backend import engine_for
from cortexkit.web.security import cookie_name
from cortexkit.web.server import RunningUI, serve_in_thread
from cortexkit.web.settings import ProfileInfo, WebSettings
from tests.integration.cortex_support import cortex_client
from tests.integration.web_support import WebStack

PROFILE = "cortex-emulator"


def cortex_web_stack(emulator: RunningEmulator, tmp_path: Path, token: str) -> WebStack:
    env = emulator.cortex_env()
    profile = ProfileInfo(
        PROFILE,
        env["CORTEXCLOUD_API_URL"],
        env["CORTEXCLOUD_API_KEY_ID"],
        is_default=True,
        key_type=env["CORTEXCLOUD_API_KEY_TYPE"],
    )
    settings = RunnerSettings(
        verify_timeout=60.0, poll_interval=0.05, azure_endpoints=AzureEndpoints.for_emulator(emulator.url)
    )
    engine = engine_for(
        JobStore(f"sqlite:///{tmp_path / 'jobs.db'}"),
        lambda _profile=None: cortex_client(emulator),
        profiles=lambda: [profile],
        runner_settings=settings,
        default_profile=PROFILE,
    )
    web = WebSettings(
        backend=engine.backend(),
        session_token=token,
        emulator_url=emulator.url,
        default_profile=PROFILE,
        poll_interval=0.05,
        cortex=True,
    )
    return WebStack(web, engine)


def cortex_spec(emulator: RunningEmulator, name: str, **options: Any) -> JobSpec:
    """An ARM-deployed subscription-scope Cortex job, as `cortexkit onboard azure` builds it."""
    cortex: dict[str, Any] = {"scope": "subscription", "deploy": "arm", **options}
    return JobSpec.model_validate(
        {
            "profile": PROFILE,
            "tenant_id": str(uuid.uuid4()),
            "subscription_id": str(uuid.uuid4()),
            "name": name,
            "client_id": emulator.access_key_id,
            "cortex": cortex,
        }
    )


def stack_fixture(token: str) -> Any:
    """The `stack` fixture of a Cortex web test module (`stack = stack_fixture(TOKEN)`): a
    `cortex_web_stack` on the module's `emulator` and a fresh store per test, its jobs stopped after."""

    @pytest.fixture(name="stack")
    def stack(emulator: RunningEmulator, tmp_path: Path) -> Iterator[WebStack]:
        built = cortex_web_stack(emulator, tmp_path, token)
        yield built
        built.close()

    return stack


@contextmanager
def cortex_web_ui(
    emulator: RunningEmulator, tmp_path: Path, token: str
) -> Iterator[tuple[WebStack, RunningUI]]:
    """The Cortex web stack served by uvicorn on a free loopback port; its jobs stopped at the end."""
    stack = cortex_web_stack(emulator, tmp_path, token)
    try:
        with serve_in_thread(create_app(stack.settings), token) as running:
            yield stack, running
    finally:
        stack.close()


def web_client(stack: WebStack) -> TestClient:
    """An in-process client of the stack's app holding its session cookie (no redirects followed)."""
    client = TestClient(create_app(stack.settings), base_url="http://127.0.0.1:8765", follow_redirects=False)
    client.cookies.set(cookie_name(8765), stack.settings.session_token)
    return client
