"""Fixtures shared by the integration tests that talk to a served UI over HTTP (`served_ui`,
`served_http`): the UI `cortexkit demo` serves, on the requesting module's `emulator` and a SQLite
store file of the test's own (`store_path`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.server import RunningUI
from tests.integration.web_support import demo_ui, session_http


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.db"


@pytest.fixture
def served_ui(emulator: RunningEmulator, store_path: Path) -> Iterator[RunningUI]:
    with demo_ui(emulator, store_path) as running:
        yield running


@pytest.fixture
def served_http(served_ui: RunningUI) -> Iterator[httpx.Client]:
    with session_http(served_ui) as client:
        yield client
