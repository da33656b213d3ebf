"""Files only their owner may read: the one atomic 0600 writer and the one permission check.

Profiles (`credentials.yml`), pcpi tenant files, the onboarding key file and CLI exports all hold secrets
or sensitive data. They are written to a temporary file created 0600 in the destination directory, synced
and renamed into place, so a crash never leaves a half-written file and the data is never briefly
readable by others; and a file that group or others can read is reported with the `chmod` that fixes it,
as ssh does.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def shared_mode(path: Path) -> int | None:
    """The file's permission bits when group or others may access it (POSIX only), else None."""
    if os.name != "posix":
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode if mode & (stat.S_IRWXG | stat.S_IRWXO) else None


def shared_message(path: Path, mode: int) -> str:
    """The one-sentence complaint about a file others can read, with its fix."""
    return f"{path} is readable by other users (mode {mode:03o}); run `chmod 600 {path}` and try again"


def check_private(path: Path, error: type[Exception]) -> None:
    """Raise `error` (the caller's own class) when group or others can access `path`."""
    mode = shared_mode(path)
    if mode is not None:
        raise error(shared_message(path, mode))


class FileWriteError(OSError):
    """The writer's own failure (creating, syncing or renaming the file), kept apart from whatever the
    caller's block raised (a network error is an OSError too). `phase` is "create", "sync" or "replace"."""

    def __init__(self, phase: str, exc: OSError, path: str) -> None:
        super().__init__(exc.errno, exc.strerror, path)
        self.phase = phase


@contextlib.contextmanager
def atomic_file(
    path: str | os.PathLike[str],
    *,
    binary: bool = False,
    suffix: str = ".tmp",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """A stream that replaces `path` (mode 0600) only when the block completes; removed on any failure.

    The temporary file is created by `mkstemp` (0600 from the first byte) in the same directory, so the
    final `os.replace` is atomic. The writer's own failures raise `FileWriteError`.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path()
    shown = os.fspath(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=suffix)
    except OSError as exc:
        raise FileWriteError("create", exc, shown) from None
    try:
        opened = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline=newline)
        with opened as stream:
            yield stream
            try:
                stream.flush()
                os.fsync(stream.fileno())
            except OSError as exc:  # a full disk, a lost mount
                raise FileWriteError("sync", exc, shown) from None
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise FileWriteError("replace", exc, shown) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str], *, suffix: str = ".tmp", newline: str | None = None
) -> Iterator[IO[str]]:
    """`atomic_file` for text."""
    with atomic_file(path, suffix=suffix, newline=newline) as stream:
        yield stream


def write_private(path: str | os.PathLike[str], text: str) -> None:
    """Write a file atomically with mode 0600, creating its directory (0700) when missing."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_writer(target) as stream:
        stream.write(text)


def create_exclusive(path: Path, data: bytes) -> bool:
    """Create `path` (0600) holding `data` unless it exists; False when another process got there first.

    Written aside and fsynced, then hard-linked into place, which fails atomically when the name is taken:
    a reader never sees the file empty or half-written (one racing opener read a key file "holding no
    key" in 19 of 50 rounds when it was created empty and then written). An `OSError` other than the name
    being taken (a file system without hard links) is the caller's to handle."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(staged, path)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staged)
    return True


__all__ = [
    "FileWriteError",
    "atomic_file",
    "atomic_writer",
    "check_private",
    "create_exclusive",
    "shared_message",
    "shared_mode",
    "write_private",
]
