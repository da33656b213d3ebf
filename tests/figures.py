"""Where a run's figures go: the numbers docs/RELIABILITY.md quotes, written as `<suite>.json` into the
directory CORTEXKIT_RELIABILITY_FIGURES names (nothing is written when it is unset)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FIGURES_ENV = "CORTEXKIT_RELIABILITY_FIGURES"


def record_figures(suite: str, figures: dict[str, Any]) -> None:
    """Write a suite's figures where CORTEXKIT_RELIABILITY_FIGURES points (no-op when unset)."""
    target = os.environ.get(FIGURES_ENV)
    if not target:
        return
    directory = Path(target)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{suite}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
