"""One process per run directory: the lock every command that writes a run holds.

:func:`run_lock` takes an exclusive ``flock`` on ``RUN/.ganlib-lock`` before anything is
written and holds it for the run's life; a second process is refused in one line naming the
first, a lock left by a process that is gone is named and taken over, and the lock file is
never followed through a symbolic link. Only the holder removes it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from ganlib.errors import RunError


__all__ = ["LOCK", "in_use", "run_lock"]

LOCK = ".ganlib-lock"
"""The lock file of a run directory, held while a process trains into it."""

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def in_use(run_dir: Path) -> str | None:
    """Who holds ``run_dir``'s lock right now (``"process N"``), or ``None`` when no live process does.

    Only reads: the lock file is opened read-only and never through a symbolic link (a link
    there is refused by :func:`run_lock`, with its own message).

    Args:
        run_dir: A run directory.

    Returns:
        ``"process N"`` for a live holder, else ``None``.
    """
    path = run_dir / LOCK
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: run_lock decides
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
    except OSError:
        return None  # no lock file, or one run_lock will refuse
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    with os.fdopen(fd, "r") as handle:
        recorded = handle.read().strip()
        if recorded == str(os.getpid()):
            return None  # this process's own lock (taken before the plan)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return f"process {recorded}" if recorded.isdigit() else "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
    return None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _open_lock(path: Path) -> int:
    """Open (or create) the lock file, never through a symbolic link and never another kind of file."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | _NOFOLLOW, 0o644)
    except OSError as error:
        if path.is_symlink():
            raise RunError(f"{path} is a symbolic link, not a lock ganlib wrote; remove the link (the file it points to is left alone) and run again") from None
        if error.errno == errno.EISDIR:
            raise RunError(f"{path} is not a plain file, not a lock ganlib wrote; remove it and run again") from None
        raise  # a read-only or full disk: said as such by cli_errors
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        what = "not a plain file" if not stat.S_ISREG(info.st_mode) else f"a hard link shared with {info.st_nlink - 1} other name(s)"
        raise RunError(f"{path} is {what}, not a lock ganlib wrote; remove it and run again")
    return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run directory's lock for the duration of the block.

    The lock is an exclusive ``flock`` on ``run_dir/.ganlib-lock`` (released by the kernel if
    the process dies), which also records the holder's process id for the message. Only the
    holder writes the file, and it removes the file while it still holds the lock, so a
    process that is refused leaves the holder's lock in place, and one that opened the file
    just before its removal notices and takes the new one. The lock file is opened without
    following a symbolic link: a link there (or a file that is not a plain one) is refused,
    and what it points to is never written. A directory created for the lock is removed
    again if the run leaves nothing else in it.

    Args:
        run_dir: The run directory.

    Returns:
        A context manager; the lock is held inside it.

    Raises:
        ~ganlib.errors.RunError: If another live process holds the lock, or the lock file is a symbolic
            link or not a plain file.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: fall back to the recorded process id
        fcntl = None  # type: ignore[assignment]
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK
    fd = -1
    try:
        while True:
            fd = _open_lock(path)
            recorded = os.pread(fd, 64, 0).decode(errors="replace").strip()
            holder = int(recorded) if recorded.isdigit() else None
            if fcntl is None:  # pragma: no cover
                if holder is not None and holder != os.getpid() and _process_alive(holder):
                    raise RunError(f"{run_dir} is in use: process {holder} is training into it; wait for it to finish, or choose another --out")
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                who = f"process {holder}" if holder else "another process"
                raise RunError(f"{run_dir} is in use: {who} is training into it; wait for it to finish, or choose another --out") from None
            if _same_file(fd, path):
                break
            os.close(fd)  # the holder removed this file as we opened it: take the lock anew
            fd = -1
        if holder is not None and holder != os.getpid() and not _process_alive(holder):
            print(f"note: {run_dir} held a lock of process {holder}, which is gone (it crashed or was killed); taking it over", file=sys.stderr)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        if fd >= 0:
            os.close(fd)  # refused: the file is the holder's, left as it is
        if created:
            with contextlib.suppress(OSError):
                run_dir.rmdir()
        raise
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still holding the lock: no one else can have taken this file
        os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                run_dir.rmdir()  # only if empty: a run that failed before writing anything
