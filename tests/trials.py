"""Trial counts and sizes of the long proofs: a few trials (a small size) in `make test`, the documented
full count (the full size) in `make soak`.

A race proof repeated 300 times costs minutes on a loaded 2-core machine; a few trials in every run still
catch a regression that makes the race lose often, and `make soak` (`pytest tests -m soak --soak`) runs the
full count docs/RELIABILITY.md quotes. Likewise a size-driven proof (a 50,000-alert export, a kill at every
point of a job) runs a smaller size with the same assertions in every run. The full case is marked `soak`,
so without `--soak` it is reported as skipped with the command that runs it (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest


def quick_and_full(argname: str, quick: Any, full: Any, ids: tuple[str, str]) -> pytest.MarkDecorator:
    """Parametrize `argname`: `quick` in every run, `full` only under `--soak` (ids name the two cases)."""
    return pytest.mark.parametrize(
        argname,
        [pytest.param(quick, id=ids[0]), pytest.param(full, id=ids[1], marks=pytest.mark.soak)],
    )


def trial_counts(quick: int, full: int) -> pytest.MarkDecorator:
    """Parametrize a test's `trials` argument: `quick` in every run, `full` only under `--soak`."""
    return quick_and_full("trials", quick, full, (f"{quick}-trials", f"{full}-trials"))
