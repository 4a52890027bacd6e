"""Capture and restore of every global random number generator: torch (CPU and CUDA), NumPy, Python."""

from __future__ import annotations

import random
from typing import Any, cast

import numpy as np
import torch

__all__ = ["get_rng_state", "set_rng_state"]


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
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
