"""Checkpoint files: atomic writes, and loading that never executes pickled code.

This module knows files, not training: :mod:`ganlib.train` decides what goes into a
checkpoint, and :func:`ganlib.models.load_generator` rebuilds a generator from one.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlib._files import write_text_atomically

__all__ = [
    "BEST", "CHECKPOINT_DIR", "LATEST", "PYRAMID_FORMAT", "check_format", "find_checkpoint", "load_checkpoint", "load_generator",
    "read_pyramid", "save_checkpoint", "save_pyramid",
]

CHECKPOINT_FORMAT = 3
"""The format of the training state this version writes (``state["format"]``); it reads every
format up to this one."""

CHECKPOINT_DIR = "checkpoints"
"""Sub-directory of a run directory that holds its checkpoints."""

LATEST = "latest.pt"
"""File name of the newest checkpoint in :data:`CHECKPOINT_DIR`."""

BEST = "best.pt"
"""File name, in :data:`CHECKPOINT_DIR`, of the checkpoint with the best score so far (``Checkpointer(best=...)``)."""


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``state`` with :func:`torch.save`, atomically.

    The state goes to a temporary file in the same directory, is flushed and fsynced, and
    then replaces ``path`` with :func:`os.replace`, which is atomic on POSIX and Windows.
    A crash at any point leaves either the old file or the new one, never a torn one.

    Args:
        state: Tensors, numbers, strings and containers of them (what ``weights_only``
            loading accepts).
        path: Destination file; its directory is created if needed.

    Returns:
        The destination path.

    Raises:
        OSError: ``errno.ENOSPC`` when the disk filled up during the write (the previous
            file is left intact).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL with a unique name, like mkstemp, but with the permissions a plain open() gets
    # (mkstemp makes the file private, 0600).
    tmp_name = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as error:
        tmp_name.unlink(missing_ok=True)
        # torch's zip writer reports a full disk as "unexpected pos" or "file write failed".
        if isinstance(error, RuntimeError) and shutil.disk_usage(path.parent).free < 1 << 20:
            raise OSError(errno.ENOSPC, f"no space left on the device while writing {path}", str(path)) from error
        raise
    return path


def check_format(state: Any, where: str | os.PathLike[str]) -> int:
    """The format of a loaded training state, checked the same way by every command that reads one.

    Args:
        state: What :func:`load_checkpoint` returned.
        where: The file, for the message.

    Returns:
        The format (1 for ganlib 0.1's files, which recorded none).

    Raises:
        ValueError: Naming the file: not a dict, a format that is not a positive integer, or one
            newer than :data:`CHECKPOINT_FORMAT` (written by a newer ganlib).
    """
    if not isinstance(state, dict):
        raise ValueError(f"{where} holds a {type(state).__name__}, not a ganlib training state (a dict)")
    version = state.get("format", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{where}: the checkpoint's format {version!r} is invalid (a positive integer); the file is damaged or not ganlib's")
    if version > CHECKPOINT_FORMAT:
        raise ValueError(
            f"{where}: the checkpoint has format {version}, written by a newer ganlib (this one, {_version()}, reads up to "
            f"{CHECKPOINT_FORMAT}); upgrade ganlib to read it"
        )
    return version


def _version() -> str:
    from ganlib import __version__

    return __version__


def load_checkpoint(path: str | os.PathLike[str], map_location: torch.device | str | None = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``: no pickled code is ever executed.

    Args:
        path: A checkpoint file, or a run directory (its ``checkpoints/latest.pt`` is used).
        map_location: Where to put the tensors.

    Returns:
        The saved state.

    Raises:
        FileNotFoundError: If no checkpoint is found at ``path``.
        ValueError: If the file is truncated or corrupt, or holds anything but tensors and
            plain data (refused: no pickled code is ever executed).
    """
    file = find_checkpoint(path)
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if "global" in str(error).lower():
            raise ValueError(
                f"{file} was refused: it holds Python objects other than tensors and plain data, which could run "
                "code when loaded; ganlib loads checkpoints with weights_only=True and never executes them"
            ) from None
        raise ValueError(f"{file} is not a readable checkpoint (not a PyTorch file); it is corrupt or not a checkpoint") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{file} is not a readable checkpoint ({reason}); it is truncated or corrupt: resume from another checkpoint") from None


def find_checkpoint(path: str | os.PathLike[str]) -> Path:
    """Resolve a checkpoint file or a run directory to a checkpoint file.

    Args:
        path: A ``.pt`` file, a run directory, or a run's ``checkpoints`` directory.

    Returns:
        The checkpoint file.

    Raises:
        FileNotFoundError: If nothing loadable is there.
    """
    path = Path(path)
    candidates = [path] if path.is_file() else [path / CHECKPOINT_DIR / LATEST, path / LATEST]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no checkpoint at {path}: expected a checkpoint file or a run directory containing "
        f"{CHECKPOINT_DIR}/{LATEST}"
    )


def load_generator(
    path: str | os.PathLike[str],
    *,
    use_ema: bool = True,
    map_location: torch.device | str | None = "cpu",
) -> tuple[nn.Module, bool]:
    """Rebuild a generator from a checkpoint, with no architecture flags to repeat.

    A checkpoint written by :class:`~ganlib.train.Trainer` records the generator's registry
    name and its ``config``; the generator is rebuilt from them through :func:`~ganlib.models.get_model`
    and loaded with the EMA weights when the run kept an EMA and ``use_ema`` is true. A
    conditional generator trained on some classes only gets their list as ``classes`` (label
    ``k`` draws data class ``classes[k]``).

    A LAPGAN pyramid file (:func:`save_pyramid`) gives a
    :class:`~ganlib.models.LaplacianPyramid` of its levels' generators.

    Args:
        path: A checkpoint file, a run directory, or a pyramid file.
        use_ema: Prefer the EMA weights when present.
        map_location: Device of the returned generator.

    Returns:
        ``(generator, used_ema)``, the generator in eval mode.

    Raises:
        FileNotFoundError: If there is no checkpoint at ``path``.
        ValueError: If the checkpoint does not describe a registered generator, or its
            weights do not fit the architecture it records.
    """
    from ganlib.models.lapgan import LaplacianPyramid  # the models, only when a generator is rebuilt
    from ganlib.models.registry import _legacy_name, get_model

    levels = read_pyramid(path)
    if levels is not None:  # a LAPGAN pyramid file: its levels' generators, sampled from the coarsest up
        loaded = [load_generator(level, use_ema=use_ema, map_location=map_location) for level in levels]
        return LaplacianPyramid([generator for generator, _ in loaded]).eval(), all(ema for _, ema in loaded)
    state = load_checkpoint(path, map_location=map_location)
    check_format(state, path)
    name = state.get("generator_model") or _legacy_name(state.get("generator_class"))
    config = state.get("generator_config")
    if name is None or not isinstance(config, Mapping):
        recorded = state.get("generator_model", state.get("generator_class"))
        raise ValueError(
            f"checkpoint {path} does not describe a registered generator (model {recorded!r}, "
            f"config {config!r}); register the class with ganlib.models.register_model (from a plugin, "
            "for the command line), or rebuild the generator yourself and load state['generator']"
        )
    generator = get_model(str(name), **dict(config))
    used_ema = use_ema and state.get("ema") is not None
    weights: Any
    if used_ema:
        prefix = "module."
        weights = {k[len(prefix) :]: v for k, v in state["ema"].items() if k.startswith(prefix)}
    else:
        weights = state.get("generator")
    if not isinstance(weights, Mapping):
        raise ValueError(f"checkpoint {path} holds no generator weights (key 'generator' is {type(weights).__name__}); it is incomplete")
    try:
        generator.load_state_dict(weights)
    except RuntimeError as error:
        first = next((line.strip() for line in str(error).splitlines()[1:] if line.strip()), str(error).splitlines()[0])
        raise ValueError(f"checkpoint {path}: the generator's weights do not fit the {name!r} it records ({first}); the file is inconsistent") from None
    classes = state.get("generator_classes")
    if classes is not None:
        generator.classes = [int(c) for c in classes]  # type: ignore[assignment]  # the data classes its labels stand for
    return generator.to(map_location).eval(), used_ema


PYRAMID_FORMAT = "ganlib-laplacian-pyramid"
"""The ``format`` field of a LAPGAN pyramid file."""


def save_pyramid(levels: Sequence[str | os.PathLike[str]], path: str | os.PathLike[str]) -> Path:
    """Write a pyramid file naming the trained levels' runs, coarsest first.

    The levels are checked first: each is loaded, and each finer one must be an
    image-conditioned generator of twice the side of the one before.

    Args:
        levels: Run directories (or checkpoint files), coarsest first.
        path: The file to write (JSON).

    Returns:
        The path written.

    Raises:
        ValueError: If the levels do not chain.
    """
    from ganlib.models.lapgan import LaplacianPyramid

    LaplacianPyramid([load_generator(level)[0] for level in levels])  # refuses levels that do not chain
    target = Path(path)
    here = target.resolve().parent
    names = [os.path.relpath(Path(level).resolve(), here) for level in levels]
    write_text_atomically(target, json.dumps({"format": PYRAMID_FORMAT, "levels": names}, indent=2) + "\n")
    return target


def read_pyramid(path: str | os.PathLike[str]) -> list[Path] | None:
    """The levels a pyramid file names (relative to the file), or ``None`` if ``path`` is not one.

    Args:
        path: Any path.

    Returns:
        The levels' paths, coarsest first, or ``None``.

    Raises:
        ValueError: If the file says it is a pyramid but names no levels.
    """
    file = Path(path)
    if file.suffix != ".json" or not file.is_file():
        return None
    try:
        content = json.loads(file.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("format") != PYRAMID_FORMAT:
        return None
    levels = content.get("levels")
    if not isinstance(levels, list) or not levels or not all(isinstance(level, str) for level in levels):
        raise ValueError(f"pyramid file {file} names no levels; write it with python -m ganlib pyramid")
    return [file.parent / level for level in levels]
