"""Atomic file writes: readers see the old file or the whole new one, never a part.

Every file inferrer writes (documents, reports, baselines, captures, observations)
goes through here: a temporary file in the target's folder, fsync, then a rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from inferrer.errors import OutputError


def _mode_for(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets what open() would give."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def _staged(target: Path) -> Iterator[int]:
    """A descriptor of a temporary file beside ``target`` that replaces it on success."""
    directory = target.parent if str(target.parent) else Path(".")
    try:
        mode = _mode_for(target)
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {target}: {e.strerror or e}") from e
    try:
        yield fd
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {target}: {e.strerror or e}") from e
        raise


@contextlib.contextmanager
def atomic_text_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A UTF-8 text file to stream into; it replaces ``path`` only if the block succeeds.

    Raises :class:`~inferrer.errors.OutputError` (exit 3) naming the file on OS errors.
    """
    with _staged(Path(path)) as fd, os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_binary_writer(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file to stream into; it replaces ``path`` only if the block succeeds."""
    with _staged(Path(path)) as fd, os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    with atomic_text_writer(path) as handle:
        handle.write(text)
