"""The usual set of callbacks for a run directory."""

from __future__ import annotations

import os

from ganlib.train.callback import Callback
from ganlib.train.callbacks.checkpointer import Checkpointer
from ganlib.train.callbacks.curves import LearningCurves
from ganlib.train.callbacks.logger import MetricsLogger
from ganlib.train.callbacks.progress import ProgressBar
from ganlib.train.callbacks.samples import SampleGrid

__all__ = ["standard_callbacks"]


def standard_callbacks(
    run_dir: str | os.PathLike[str],
    *,
    log_every: int = 10,
    sample_every: int = 25,
    checkpoint_every: int = 50,
    keep_checkpoints: int = 0,
    evaluation: Callback | None = None,
    seed: int = 0,
    samples: bool = True,
) -> list[Callback]:
    """The usual set of callbacks for a run directory, in order.

    :class:`MetricsLogger`, :class:`ProgressBar` (metrics shown and printed every
    ``log_every`` iterations, so watching costs one device sync per ``log_every``),
    :class:`SampleGrid`, :class:`LearningCurves` and :class:`Checkpointer`, after the
    ``evaluation`` callback if one is given (e.g. :class:`~ganlib.train.EvaluateMNIST`;
    its scores reach the others through :meth:`Callback.measure` in any order).

    Args:
        run_dir: The run directory.
        log_every: Metrics written and printed every this many iterations.
        sample_every: Sample grid and curves every this many iterations.
        checkpoint_every: Checkpoint every this many iterations.
        keep_checkpoints: Also keep the last this many periodic checkpoints.
        evaluation: An evaluation callback, or ``None``.
        seed: Seed of the grid's fixed noise (``seed + 1`` is used).
        samples: Include the sample grid (off for 2-D points, which have no image).

    Returns:
        The callbacks.
    """
    return [
        *([evaluation] if evaluation is not None else []),
        MetricsLogger(run_dir, every=log_every),
        ProgressBar(every=log_every, print_every=log_every),
        *([SampleGrid(run_dir, every=sample_every, seed=seed + 1)] if samples else []),
        LearningCurves(run_dir, every=sample_every),
        Checkpointer(run_dir, every=checkpoint_every, keep=keep_checkpoints, best=getattr(evaluation, "best_by", None)),
    ]
