"""Atomic file writes: readers see the old file or the whole new one, never a part.

Every file inferrer writes (documents, reports, baselines, captures, observations)
goes through here. The new content goes to an unnamed file in the target's folder
(Linux ``O_TMPFILE``): a run killed part-way, even by SIGKILL, leaves nothing behind,
since the kernel frees a file that never got a name. Once complete it is fsynced,
given a short-lived temporary name and renamed over the target. Where the folder's
file system has no unnamed files, the temporary file is named
``.NAME.inferrer-PID.tmp`` from the start; the next write into that folder deletes
such files whose process is gone, and SIGTERM or an error deletes a run's own.

The target is where a symlink points (the link stays a link). A target that exists
and is not a regular file (``/dev/null``, a FIFO, a character device) is written
through, as stdout would be: it is never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from inferrer.errors import OutputError

TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"\..+\.inferrer-(\d+)(?:-\d+)?\.tmp")


def _mode_for(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets what open() would give."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _temp_name(directory: Path, target: Path, attempt: int = 0) -> Path:
    return directory / f".{target.name}.inferrer-{os.getpid()}-{attempt}{TEMP_SUFFIX}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_stale_temp_files(directory: Path) -> list[Path]:
    """Delete the named temporary files of earlier runs in ``directory`` whose process is
    gone (a run killed between naming and renaming, or without unnamed files)."""
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        m = _TEMP_NAME.fullmatch(name)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(directory / name)
            removed.append(directory / name)
    return removed


def resolve_target(path: Path) -> Path:
    """The file a write to ``path`` replaces: the end of its symlinks, if any."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """Whether writing to ``path`` writes through to something that is not a regular
    file (``/dev/null``, a FIFO, a device), following symlinks."""
    return _is_special(resolve_target(Path(path)))


def _is_special(target: Path) -> bool:
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _open_unnamed(directory: Path, mode: int) -> int | None:
    """A descriptor of an unnamed file in ``directory``, or None when unsupported."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, mode)
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None
        raise


def _open_named(directory: Path, target: Path, mode: int) -> tuple[int, Path]:
    for attempt in range(100):
        tmp = _temp_name(directory, target, attempt)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), tmp
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "no free temporary file name")


def _name_unnamed(fd: int, directory: Path, target: Path) -> Path:
    # linkat(AT_SYMLINK_FOLLOW) through /proc gives an O_TMPFILE file a name; os.link
    # calls linkat (rather than link, which does not follow) when given a src_dir_fd.
    fds = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for attempt in range(100):
            tmp = _temp_name(directory, target, attempt)
            try:
                os.link(str(fd), tmp, src_dir_fd=fds, follow_symlinks=True)
            except FileExistsError:
                continue
            return tmp
    finally:
        os.close(fds)
    raise OSError(errno.EEXIST, "no free temporary file name")


def _open_file(fd: int, binary: bool) -> IO[str] | IO[bytes]:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


@contextlib.contextmanager
def _staged(path: Path, binary: bool) -> Iterator[IO[str] | IO[bytes]]:
    """A file to write that replaces ``path`` when the block succeeds, or the special
    file ``path`` itself, opened for writing."""
    target = resolve_target(path)
    if _is_special(target):
        try:
            with _open_file(os.open(target, os.O_WRONLY | os.O_CLOEXEC), binary) as fh:
                yield fh
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
        return
    directory = target.parent if str(target.parent) else Path(".")
    tmp: Path | None = None
    try:
        mode = _mode_for(target)
        directory.mkdir(parents=True, exist_ok=True)
        sweep_stale_temp_files(directory)
        fd = _open_unnamed(directory, mode)
        if fd is None:
            fd, tmp = _open_named(directory, target, mode)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
    try:
        with _open_file(fd, binary) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            if tmp is None:
                tmp = _name_unnamed(fh.fileno(), directory, target)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
        raise


@contextlib.contextmanager
def atomic_text_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A UTF-8 text file to stream into; it replaces ``path`` only if the block succeeds.

    Raises :class:`~inferrer.errors.OutputError` (exit 3) naming the file on OS errors.
    """
    with _staged(Path(path), binary=False) as fh:
        yield fh  # type: ignore[misc]


@contextlib.contextmanager
def atomic_binary_writer(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file to stream into; it replaces ``path`` only if the block succeeds."""
    with _staged(Path(path), binary=True) as fh:
        yield fh  # type: ignore[misc]


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    with atomic_text_writer(path) as handle:
        handle.write(text)
