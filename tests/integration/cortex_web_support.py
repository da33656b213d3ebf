"""The web UI's real stack for Cortex jobs: the engine's store on a temporary SQLite file, its runner with
a `CortexClient` for the emulator's Cortex API key, and the Azure side under the emulator's /_azure."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.context import RunnerSettings
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.store import JobStore
from cortexkit.web.backend import engine_for
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
