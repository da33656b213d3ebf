"""Reliability suites: what `--soak` does, the `soak` marker, and where the figures of a run go.

The short versions run in `make test`; `make soak` (`pytest tests -m soak --soak`) runs the long ones.
The option and the skip of a `soak` test without it live in tests/conftest.py (pytest only reads
`pytest_addoption` from the root conftest and plugins, so `pytest --soak` works from the project root).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIGURES_ENV = "CORTEXKIT_RELIABILITY_FIGURES"
"""A directory: when set, every suite writes its figures there as `<suite>.json` (docs/RELIABILITY.md)."""


def pytest_configure(config: pytest.Config) -> None:
    # Registered here as well as in pyproject.toml so the package works with --strict-markers on its own.
    config.addinivalue_line("markers", "soak: long-running soak, only with --soak (make soak)")


@pytest.fixture
def record_figures() -> Callable[[str, dict[str, Any]], None]:
    """Write a suite's figures where CORTEXKIT_RELIABILITY_FIGURES points (no-op when unset)."""

    def record(suite: str, figures: dict[str, Any]) -> None:
        target = os.environ.get(FIGURES_ENV)
        if not target:
            return
        directory = Path(target)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{suite}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")

    return record
