"""Reliability suites: what `--soak` does, the `soak` marker, and where the figures of a run go.

The short versions run in `make test`; `make soak` (`pytest tests -m soak --soak`) runs the long ones.
The option and the skip of a `soak` test without it live in tests/conftest.py (pytest only reads
`pytest_addoption` from the root conftest and plugins, so `pytest --soak` works from the project root).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.figures import record_figures


def pytest_configure(config: pytest.Config) -> None:
    # Registered here as well as in pyproject.toml so the package works with --strict-markers on its own.
    config.addinivalue_line("markers", "soak: long-running soak, only with --soak (make soak)")


@pytest.fixture(name="record_figures")
def record_figures_fixture() -> Callable[[str, dict[str, Any]], None]:
    """Write a suite's figures where CORTEXKIT_RELIABILITY_FIGURES points (no-op when unset)."""
    return record_figures
