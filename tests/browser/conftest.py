"""Playwright fixtures driving Debian's Chromium (browsers cannot be downloaded on this network)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
UPDATE_SCREENSHOTS = "CORTEXKIT_UPDATE_SCREENSHOTS"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module.

    Module scope, not session: Playwright's sync API keeps an asyncio loop marked as running in this
    thread while it is open, which would break `asyncio.run` in unrelated tests scheduled on the same
    worker after the browser tests.
    """
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: `make chromium` installs Debian's Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: object) -> Iterator[Callable[..., object]]:
    """Pages in fresh contexts (no shared cookies); 1280 px wide unless asked otherwise."""
    contexts = []

    def factory(width: int = 1280, height: int = 900) -> object:
        context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        context.set_default_timeout(float(os.environ.get("CORTEXKIT_BROWSER_TIMEOUT_MS", "20000")))
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/img when CORTEXKIT_UPDATE_SCREENSHOTS=1, else a temporary folder.

    The pictures always come from a real run, but an ordinary `make test` does not rewrite tracked
    files (ids and times differ on every run).
    """
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path


@pytest.fixture
def cortex_stack_ui(emulator: Any, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """The Cortex web stack on the module's `emulator`, served on loopback: (WebStack, RunningUI)."""
    from cortexkit.web.security import new_session_token
    from tests.integration.cortex_web_support import cortex_web_ui

    with cortex_web_ui(emulator, tmp_path, new_session_token()) as both:
        yield both


@pytest.fixture
def cortex_stack(cortex_stack_ui: tuple[Any, Any]) -> Any:
    return cortex_stack_ui[0]


@pytest.fixture
def cortex_ui(cortex_stack_ui: tuple[Any, Any]) -> Any:
    return cortex_stack_ui[1]
