"""Atomic output files and the --data argument."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cortexkit.cli.errors import UsageProblem
from cortexkit.cli.files import atomic_text_file, read_data_argument


def test_atomic_file_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with atomic_text_file(target) as stream:
        stream.write("one\n")
        assert not target.exists()
        assert len(list(tmp_path.glob(".out.jsonl.*.part"))) == 1
    assert target.read_text() == "one\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    assert list(tmp_path.iterdir()) == [target]


def test_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt), atomic_text_file(target) as stream:
        stream.write("partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_text_file(target) as stream:
        stream.write("new")
        raise RuntimeError("network")
    assert target.read_text() == "old"


def test_missing_directory_is_a_usage_problem(tmp_path: Path) -> None:
    with pytest.raises(UsageProblem, match="does not exist"), atomic_text_file(tmp_path / "no" / "f"):
        pass


def test_data_inline_file_and_stdin(tmp_path: Path) -> None:
    assert read_data_argument('{"a": 1}') == {"a": 1}
    body = tmp_path / "b.json"
    body.write_text('{"limit": 5}')
    assert read_data_argument(f"@{body}") == {"limit": 5}
    assert read_data_argument("@-", stdin=io.StringIO("[1, 2]")) == [1, 2]


def test_data_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(UsageProblem, match=r"cannot read the --data file .*no such file"):
        read_data_argument(f"@{tmp_path / 'missing.json'}")
    locked = tmp_path / "locked.json"
    locked.write_text("{}")
    os.chmod(locked, 0)
    if os.geteuid() != 0:
        with pytest.raises(UsageProblem, match="permission denied"):
            read_data_argument(f"@{locked}")
    with pytest.raises(UsageProblem, match=r"--data is not valid JSON \(line 1"):
        read_data_argument("{nope")
