"""Helpers for the Cortex onboarding tests: the real `cortexkit onboard` CLI in a subprocess against the
emulator over HTTP (Cortex API, signed template links, and the Azure side under /_azure)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator, run_emulator
from cortexkit.onboarding.store import JobStore
from tests.integration.cli_support import cli_env, run_cli
from tests.integration.cortex_support import cortex_client


@contextmanager
def cortex_emulator(seed: int, status_delay: float = 0.0, **azure: float) -> Iterator[RunningEmulator]:
    """A test module's own emulator (its jobs add instances), with ARM runs sped up as `azure` says
    (`deployment_delay`, `whatif_delay`, through `/_emulator/azure`)."""
    with run_emulator(seed=seed, rate_limits="off", fault_rate=0.0, status_delay=status_delay) as running:
        if azure:
            control(running, "azure", dict(azure))
        yield running


def emulator_fixture(
    seed: int, status_delay: float = 0.0, *, scope: Literal["module", "function"] = "module", **azure: float
) -> Any:
    """The `emulator` fixture of a Cortex test module (`emulator = emulator_fixture(13, 0.5, ...)`): a
    `cortex_emulator` per module, or per test with `scope="function"` where a test counts its calls."""

    @pytest.fixture(scope=scope, name="emulator")
    def emulator() -> Iterator[RunningEmulator]:
        with cortex_emulator(seed, status_delay, **azure) as running:
            yield running

    return emulator


def guid() -> str:
    return str(uuid.uuid4())


def env_for(running: RunningEmulator, data_dir: Path, kill_at: str | None = None) -> dict[str, str]:
    """The emulator's Cortex key and Azure side, the job store in `data_dir` (its config dir under it)."""
    env = cli_env(
        data_dir / "config",
        **running.cortex_env(),
        CORTEXKIT_DATA_DIR=str(data_dir),
        AZURE_CLIENT_SECRET=running.secret_key,  # the emulator's operator app secret
        CORTEXKIT_AZURE_LOGIN_URL=f"{running.url}/_azure/login",
        CORTEXKIT_AZURE_GRAPH_URL=f"{running.url}/_azure/graph",
        CORTEXKIT_AZURE_ARM_URL=f"{running.url}/_azure/arm",
        CORTEXKIT_GOVERNOR="off",
    )
    if kill_at:
        env["CORTEXKIT_ONBOARD_KILL_AT"] = kill_at
    return env


def cli(
    running: RunningEmulator,
    data_dir: Path,
    *args: str,
    kill_at: str | None = None,
    timeout: float = 120,
    without_cortex: bool = False,
) -> subprocess.CompletedProcess[str]:
    env = env_for(running, data_dir, kill_at)
    if without_cortex:  # Prisma credentials only, as a shell set up for the Prisma flow has
        env = {k: v for k, v in env.items() if not k.startswith("CORTEXCLOUD_")} | running.client_env()
    return run_cli([*args, "-o", "json"], env, timeout=timeout)


def onboard_args(
    tenant: str, subscription: str, name: str, *, deploy: str = "arm", client_id: str | None = None
) -> list[str]:
    args = [
        "onboard",
        "azure",
        "--scope",
        "subscription",
        "--subscription-id",
        subscription,
        "--tenant-id",
        tenant,
        "--name",
        name,
        "--deploy",
        deploy,
        "--poll-interval",
        "0.05",
        "--verify-timeout",
        "60",
    ]
    if client_id:
        args += ["--client-id", client_id]
    return args


def only_job(data_dir: Path) -> Any:
    store = JobStore(f"sqlite:///{data_dir / 'jobs.db'}")
    try:
        (job,) = store.list_jobs()
        return job
    finally:
        store.close()


def instances_named(running: RunningEmulator, name: str, status: str | None = None) -> list[Any]:
    with cortex_client(running) as client:
        rows = list(client.cloud_onboarding.instances(status="PENDING", name=name))
        if status != "PENDING":
            rows += list(client.cloud_onboarding.instances(name=name))
    return [r for r in rows if r.instance_name == name and (status is None or r.status == status)]


def control(running: RunningEmulator, path: str, body: dict[str, Any]) -> Any:
    answer = httpx.post(f"{running.url}/_emulator/{path}", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(result.stdout)
    return data[0] if isinstance(data, list) else data
