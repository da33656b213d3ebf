"""Files the CLI writes and reads: atomic output files, and `--data JSON|@file|@-` input.

An export or report is written to a hidden temporary file in the destination directory and renamed into
place only when complete, so an interrupted run (Ctrl-C, SIGTERM, a network failure) never leaves a file
that looks finished and keeps any older file of that name. The temporary file is created 0600, which the
renamed file keeps: alert data is sensitive. `-` names standard output, which cannot be atomic.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

from cortexkit.cli.errors import Terminated, UsageProblem
from cortexkit.private_files import FileWriteError, atomic_file

STDOUT = "-"


def is_stdout(destination: str | os.PathLike[str]) -> bool:
    """`--output -`: write to standard output."""
    return os.fspath(destination) == STDOUT


def describe_destination(destination: str | os.PathLike[str]) -> str:
    """The destination as a message names it."""
    return "standard output" if is_stdout(destination) else os.fspath(destination)


@contextlib.contextmanager
def atomic_text_file(destination: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Yield a text stream; on success it replaces `destination`, on any failure it is removed.

    `-` yields standard output instead. A bad destination is bad input (exit 2) named as the user typed it,
    never as the temporary file.
    """
    with _atomic_file(destination, binary=False) as stream:
        yield stream


@contextlib.contextmanager
def atomic_binary_file(destination: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """`atomic_text_file` for bytes (a PDF)."""
    with _atomic_file(destination, binary=True) as stream:
        yield stream


@contextlib.contextmanager
def _atomic_file(destination: str | os.PathLike[str], *, binary: bool) -> Iterator[IO[Any]]:
    if is_stdout(destination):
        out: IO[Any] = sys.stdout.buffer if binary else sys.stdout
        try:
            yield out
            out.flush()
        except BrokenPipeError:
            # The reader stopped (`| head`): end quietly like other tools do on SIGPIPE (exit 141), and
            # point stdout at /dev/null so the interpreter's final flush does not complain either.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(128 + signal.SIGPIPE) from None
        return
    target = Path(destination)
    shown = os.fspath(destination)
    directory = target.parent if str(target.parent) else Path()
    if target.is_dir():
        raise UsageProblem(f"cannot write {shown!r}: it is a directory; name a file (or - for stdout).")
    if not directory.is_dir():
        raise UsageProblem(f"cannot write {shown!r}: the directory {str(directory)!r} does not exist.")
    try:
        with (
            _sigterm_interrupts(),
            atomic_file(target, binary=binary, suffix=".part", newline="") as stream,
        ):
            yield stream  # what the caller raises (a network error is an OSError too) passes unchanged
    except FileWriteError as exc:
        if exc.phase == "sync":  # a full disk, a lost mount: a runtime failure, named as the user's file
            raise OSError(exc.errno, exc.strerror, shown) from None
        raise UsageProblem(f"cannot write {shown!r}: {_reason(exc)}.") from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises `Terminated` (a KeyboardInterrupt) while a file is being written, so the partial file
    is removed exactly as on Ctrl-C. Only the main thread can own signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


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
