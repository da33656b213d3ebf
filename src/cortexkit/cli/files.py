"""Files the CLI writes and reads: atomic output files, and `--data JSON|@file|@-` input.

An export or report is written to a hidden temporary file in the destination directory and renamed into
place only when complete, so an interrupted run (Ctrl-C, a network failure) never leaves a file that looks
finished. The temporary file is created 0600, which the renamed file keeps: alert data is sensitive.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cortexkit.cli.errors import UsageProblem
from cortexkit.private_files import atomic_writer


@contextlib.contextmanager
def atomic_text_file(destination: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Yield a text stream; on success it replaces `destination`, on any failure it is removed."""
    target = Path(destination)
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise UsageProblem(f"cannot write {str(target)!r}: the directory {str(directory)!r} does not exist.")
    with atomic_writer(target, suffix=".part", newline="") as stream:
        yield stream


def read_text_argument(path: Path, option: str) -> str:
    """The UTF-8 text of a file named on the command line; one that cannot be read is bad input (exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise UsageProblem(f"cannot read the {option} file {str(path)!r}: {reason}.") from None
    except UnicodeDecodeError as exc:
        raise UsageProblem(
            f"the {option} file {str(path)!r} is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8."
        ) from None


def read_data_argument(value: str, *, stdin: IO[str] | None = None) -> Any:
    """`--data`: inline JSON, `@path` to read a file, or `@-` to read stdin; bad input is exit 2."""
    if value.startswith("@"):
        source = value[1:]
        if source == "-":
            text = (stdin or sys.stdin).read()
            where = "standard input"
        else:
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise UsageProblem(f"cannot read the --data file {source!r}: {reason.lower()}.") from None
            where = f"the file {source!r}"
    else:
        text, where = value, "--data"
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageProblem(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg.lower()})."
        ) from None
