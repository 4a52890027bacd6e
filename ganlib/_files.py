"""Writing files so that a crash or a full disk never leaves a torn one: every output goes
through a temporary file in the same directory and replaces its target with :func:`os.replace`.

Temporary files are named ``.{target}.{pid}.{random}.tmp{suffix}``, so that one left by a
process that was killed can be told apart from one another live process is writing:
:func:`remove_orphans` deletes only those whose process is gone, and never follows a
symbolic link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "is_temporary", "remove_orphans", "write_atomically", "write_text_atomically"]

_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[0-9a-f]{32}\.tmp(\.[A-Za-z0-9]+)?$")


def _temporary_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp{target.suffix}")


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is named like a temporary file of :func:`atomic_path`."""
    return _TEMPORARY.match(path.name) is not None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path to write instead of ``target``; on success it replaces ``target``.

    The directory is created if needed. If the block raises, the temporary file is removed
    and ``target`` is untouched; a full disk is reported as :class:`OSError` with
    ``errno.ENOSPC`` naming ``target``.

    Args:
        target: The file to write.

    Yields:
        The temporary path (same directory, same suffix, so format detection by extension works).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with atomic_path(Path(d) / "x.txt") as tmp:
        ...         _ = tmp.write_text("hello")
        ...     (Path(d) / "x.txt").read_text()
        'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(target)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:  # the data reach the disk before the rename
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            raise OSError(errno.ENOSPC, f"no space left on the device while writing {target}", str(target)) from error
        if isinstance(error, RuntimeError) and _disk_full(target):
            raise OSError(errno.ENOSPC, f"no space left on the device while writing {target}", str(target)) from error
        raise


def _disk_full(target: Path) -> bool:
    try:
        return shutil.disk_usage(target.parent).free < 1 << 20
    except OSError:
        return False


def write_atomically(target: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` to write a temporary file, then replace ``target`` with it.

    Args:
        target: The file to write.
        write: Writes the file at the path it is given (``torch.save``, ``fig.savefig`` ...).

    Returns:
        ``target``.
    """
    with atomic_path(target) as tmp:
        write(tmp)
    return Path(target)


def write_text_atomically(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``target`` atomically.

    Returns:
        ``target``.
    """
    return write_atomically(target, lambda tmp: tmp.write_text(text))


def remove_orphans(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files in ``directory`` left by processes that are gone.

    Only regular files named like :func:`atomic_path`'s temporaries are considered; a
    directory that is a symbolic link is left alone (it may be shared), and so is every
    temporary file of a live process.

    Args:
        directory: The directory to clean.

    Returns:
        The files deleted.
    """
    directory = Path(directory)
    if directory.is_symlink() or not directory.is_dir():
        return []
    removed = []
    for path in directory.iterdir():
        match = _TEMPORARY.match(path.name)
        if match is None or path.is_symlink() or not path.is_file() or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed
