"""`cortexkit demo`: the embedded emulator plus the web UI against it, for a first look without a tenant.

Nothing is written to the user's profiles or job store: the emulator's keys live in memory as a profile
named "emulator", and jobs go to a store in a temporary directory removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cortexkit.cli import output

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.emulator.server import RunningEmulator
    from cortexkit.onboarding.records import JobRecord
    from cortexkit.web.settings import WebSettings

app = typer.Typer(add_completion=False)

DEMO_PROFILE = "emulator"
STATUS_DELAY = 4.0
"""Seconds the emulated account status takes to settle: long enough to watch, short enough to wait for."""


@contextlib.contextmanager
def demo_environment(seed: int = 42) -> Iterator[tuple[RunningEmulator, str]]:
    """A running emulator and a throwaway job store URL, both gone when the block exits."""
    from cortexkit.emulator.server import run_emulator

    with (
        tempfile.TemporaryDirectory(prefix="cortexkit-demo-") as tmp,
        run_emulator(seed=seed, status_delay=STATUS_DELAY) as emulator,
    ):
        # CORTEXKIT_STORE_URL (a team's store) is honoured; otherwise a throwaway SQLite file.
        yield emulator, os.environ.get("CORTEXKIT_STORE_URL") or f"sqlite:///{Path(tmp) / 'jobs.db'}"


def demo_settings(emulator: RunningEmulator, store_url: str, token: str | None = None) -> WebSettings:
    """Web settings whose every client, job and page talks to `emulator`."""
    from cortexkit.onboarding.context import AzureEndpoints, RunnerSettings
    from cortexkit.web.backend import build_engine, fixed_client_factory
    from cortexkit.web.security import new_session_token
    from cortexkit.web.settings import ProfileInfo, WebSettings

    factory = fixed_client_factory(emulator.url, emulator.access_key_id, emulator.secret_key)
    profile = ProfileInfo(DEMO_PROFILE, emulator.url, emulator.access_key_id, is_default=True)
    # Azure calls (Graph, ARM) go to the emulator too: the demo never touches a real cloud.
    runner_settings = RunnerSettings(
        verify_timeout=120.0, poll_interval=0.5, azure_endpoints=AzureEndpoints.for_emulator(emulator.url)
    )
    engine = build_engine(
        factory,
        store_url,
        profiles=lambda: [profile],
        runner_settings=runner_settings,
        default_profile=DEMO_PROFILE,
    )
    return WebSettings(
        backend=engine.backend(),
        session_token=token or new_session_token(),
        emulator_url=emulator.url,
        default_profile=DEMO_PROFILE,
    )


def describe_event(event: dict[str, Any]) -> str:
    """One readable progress line for a job event (headless mode has no page to show it)."""
    payload = event.get("payload") or {}
    kind = str(event.get("type", ""))
    step = str(payload.get("step") or "")
    if "components" in payload:
        parts = [f"{c.get('name')} {c.get('status')}" for c in payload["components"] or []]
        return f"{step}: account status: " + (", ".join(parts) or "all components healthy")
    if kind == "step":
        return f"{step}: {payload.get('state', '')}" + (
            f" ({payload['message']})" if payload.get("message") else ""
        )
    if kind == "job":
        return f"job: {payload.get('state', '')}" + (f" ({payload['error']})" if payload.get("error") else "")
    text = payload.get("message") or payload.get("line") or ""
    if kind == "log":
        kind = ""
    said = " ".join(part for part in (kind, str(text)) if part)
    return f"{step}: {said}" if step else said


def _headless(emulator: RunningEmulator, store_url: str) -> JobRecord:
    from cortexkit.onboarding.demo import run_headless

    def progress(event: dict[str, Any]) -> None:
        output.message("  " + describe_event(event))

    return run_headless(
        api_url=emulator.url,
        access_key_id=emulator.access_key_id,
        secret_key=emulator.secret_key,
        store_url=store_url,
        poll_interval=0.5,
        on_event=progress,
    )


@app.command()
def demo(
    port: Annotated[
        int, typer.Option(help="Port of the web UI; 0 picks a free one.", min=0, max=65535)
    ] = 8765,
    headless: Annotated[
        bool, typer.Option("--headless", help="Run a scripted onboarding end to end and exit (no browser).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the emulator's generated data.")] = 42,
) -> None:
    """Start the emulator and the web UI against it; prints the tokened URL and runs until Ctrl-C."""
    with demo_environment(seed) as (emulator, store_url):
        output.message(f"Emulator running at {emulator.url} (in this process).")
        if headless:
            result = _headless(emulator, store_url)
            output.message("Final state of every step:")
            for step in getattr(result, "steps", ()):
                output.message(f"  {step.name}: {step.state}" + (f" ({step.error})" if step.error else ""))
            ok = bool(result.ok)
            output.message("Headless demo finished: " + ("every step done." if ok else "a step failed."))
            raise typer.Exit(0 if ok else 1)

        from cortexkit.web.app import create_app
        from cortexkit.web.server import RunningUI, base_url, bind, serve_forever

        settings = demo_settings(emulator, store_url)
        try:
            sock = bind("127.0.0.1", port)
        except OSError as exc:
            output.message(f"Error: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}. Try --port 0.")
            raise typer.Exit(1) from None
        running = RunningUI(base_url(sock), settings.session_token)
        output.message("cortexkit demo UI is running (Ctrl-C to stop). Open this URL:")
        typer.echo(running.url)
        try:
            serve_forever(create_app(settings), sock)
        finally:
            sock.close()
