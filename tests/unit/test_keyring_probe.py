"""The shared keyring probe: where no usable keyring exists, the answer is remembered for a day so a
command that needs a key (the token cache's, the job store's) does not import keyring every time."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from cortexkit.keyring_probe import MARKER_NAME, PROBE_TTL, usable_keyring
from cortexkit.onboarding.store_keys import resolve_store_keys


class DesktopKeyring:
    """A fake of a real OS keyring backend (no Secret Service or Keychain runs here): usable, empty."""

    priority = 5

    def get_password(self, service: str, user: str) -> str | None:
        return None


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every `keyring.get_keyring()` call (the costly probe), answering with the backend in `probes[0]`
    when one is set there, else keyring's own "no keyring" backend."""
    calls: list[Any] = []
    answer: list[Any] = []

    def get_keyring() -> Any:
        calls.append(1)
        return answer[0] if answer else keyring.backends.fail.Keyring()

    monkeypatch.setattr(keyring, "get_keyring", get_keyring)
    return [calls, answer]


def test_no_keyring_is_probed_once_then_remembered(tmp_path: Path, probes: list[Any]) -> None:
    calls, _ = probes
    marker = tmp_path / "cache" / MARKER_NAME
    assert usable_keyring(marker) is None and len(calls) == 1
    assert json.loads(marker.read_text())["usable"] is False
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    assert usable_keyring(marker) is None and usable_keyring(marker) is None
    assert len(calls) == 1  # the remembered answer: keyring not asked again


def test_a_day_old_answer_is_probed_again(tmp_path: Path, probes: list[Any]) -> None:
    calls, _ = probes
    marker = tmp_path / MARKER_NAME
    marker.write_text(json.dumps({"at": time.time() - PROBE_TTL - 1, "usable": False}))
    usable_keyring(marker)
    assert len(calls) == 1


def test_a_usable_keyring_is_returned_and_not_remembered_as_absent(tmp_path: Path, probes: list[Any]) -> None:
    calls, answer = probes
    answer.append(DesktopKeyring())
    marker = tmp_path / MARKER_NAME
    assert isinstance(usable_keyring(marker), DesktopKeyring)
    assert isinstance(usable_keyring(marker), DesktopKeyring)
    assert len(calls) == 2


def test_the_job_store_key_sources_use_the_remembered_answer(
    tmp_path: Path, probes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite store's key (its jobs.key) resolved in two commands: keyring probed by the first only."""
    calls, _ = probes
    monkeypatch.setenv("CORTEXKIT_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):
        keys = resolve_store_keys("sqlite:///x/jobs.db", tmp_path / "jobs.key", environ={})
        assert keys.source == str(tmp_path / "jobs.key")
    assert len(calls) == 1
    assert (tmp_path / "cache" / MARKER_NAME).exists()
