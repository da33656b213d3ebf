"""Trial counts of the repeated proofs: a few trials in `make test`, the documented full count in `make soak`.

A race proof repeated 300 times costs minutes on a loaded 2-core machine; a few trials in every run still
catch a regression that makes the race lose often, and `make soak` (`pytest tests -m soak --soak`) runs the
full count docs/RELIABILITY.md quotes. The full-count case is marked `soak`, so without `--soak` it is
reported as skipped with the command that runs it (tests/conftest.py).
"""

from __future__ import annotations

import pytest


def trial_counts(quick: int, full: int) -> pytest.MarkDecorator:
    """Parametrize a test's `trials` argument: `quick` in every run, `full` only under `--soak`."""
    return pytest.mark.parametrize(
        "trials",
        [
            pytest.param(quick, id=f"{quick}-trials"),
            pytest.param(full, id=f"{full}-trials", marks=pytest.mark.soak),
        ],
    )
