"""Atomic, safely loadable checkpoints and the capture of every random number generator."""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

__all__ = [
    "CHECKPOINT_DIR",
    "LATEST",
    "find_checkpoint",
    "get_rng_state",
    "load_checkpoint",
    "load_generator",
    "save_checkpoint",
    "set_rng_state",
]

CHECKPOINT_DIR = "checkpoints"
"""Sub-directory of a run directory that holds its checkpoints."""

LATEST = "latest.pt"
"""File name of the newest checkpoint in :data:`CHECKPOINT_DIR`."""


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
    except BaseException:
        tmp_name.unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike[str], map_location: torch.device | str | None = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``: no pickled code is ever executed.

    Args:
        path: A checkpoint file, or a run directory (its ``checkpoints/latest.pt`` is used).
        map_location: Where to put the tensors.

    Returns:
        The saved state.

    Raises:
        FileNotFoundError: If no checkpoint is found at ``path``.
    """
    return torch.load(find_checkpoint(path), map_location=map_location, weights_only=True)


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


def get_rng_state() -> dict[str, Any]:
    """Capture the global random states: torch (CPU and every CUDA device), NumPy, Python.

    Returns:
        A dict of tensors, ints and tuples that :func:`torch.load` accepts with
        ``weights_only=True``.
    """
    kind, keys, pos, has_gauss, cached = cast(tuple, np.random.get_state(legacy=True))
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
        "python": random.getstate(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the random states captured by :func:`get_rng_state`.

    Args:
        state: The captured state.
    """
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def load_generator(
    path: str | os.PathLike[str],
    *,
    use_ema: bool = True,
    map_location: torch.device | str | None = "cpu",
) -> tuple[torch.nn.Module, bool]:
    """Rebuild a generator from a checkpoint, with no architecture flags to repeat.

    The checkpoint written by :class:`~ganlib.train.Trainer` records the generator's class
    (one of :mod:`ganlib.models`) and its ``config``; the generator is rebuilt from them and
    loaded with the EMA weights when the run kept an EMA and ``use_ema`` is true.

    Args:
        path: A checkpoint file or a run directory.
        use_ema: Prefer the EMA weights when present.
        map_location: Device of the returned generator.

    Returns:
        ``(generator, used_ema)``, the generator in eval mode.

    Raises:
        FileNotFoundError: If there is no checkpoint at ``path``.
        ValueError: If the checkpoint does not describe a ganlib generator.
    """
    from ganlib import models

    state = load_checkpoint(path, map_location=map_location)
    name, config = state.get("generator_class"), state.get("generator_config")
    if name not in models.__all__ or not isinstance(config, dict):
        raise ValueError(
            f"checkpoint {path} does not describe a ganlib generator (class {name!r}, config "
            f"{config!r}); rebuild the generator yourself and load state['generator']"
        )
    generator = getattr(models, name)(**config)
    used_ema = use_ema and state.get("ema") is not None
    if used_ema:
        prefix = "module."
        weights = {k[len(prefix) :]: v for k, v in state["ema"].items() if k.startswith(prefix)}
    else:
        weights = state["generator"]
    generator.load_state_dict(weights)
    return generator.to(map_location).eval(), used_ema
