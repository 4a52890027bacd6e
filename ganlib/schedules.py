"""The shape of a hyperparameter schedule: a half cosine from a start value to an end value.

R3GAN (Huang et al., 2024) moves its learning rate, its R1/R2 weight, Adam's β2 and its EMA
half-life this way (brownvc/R3GAN, ``training/training_loop.py``, ``cosine_decay_with_warmup``
without warm-up or hold): at step :math:`t` of a horizon :math:`T`,

.. math::

    v(t) = v_0 + \\Big(1 - \\tfrac{1}{2}\\big(1 + \\cos(\\pi\\, t / T)\\big)\\Big)\\,(v_1 - v_0),
    \\qquad v(t) = v_1 \\text{ for } t \\ge T.

The components that follow it (the ``cosine`` learning-rate schedule, :class:`~ganlib.losses.R1Penalty`'s
``weight_end``, the ``beta2-schedule`` callback) take the horizon in generator iterations and
default to the run's length; the reference's own horizon is 20 million images (its
``total_nimg``), that is ``20_000_000 / batch_size`` iterations.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["half_cosine"]


def half_cosine(step: Tensor | float, start: float, end: float, horizon: float) -> Tensor | float:
    """The value after ``step`` of ``horizon`` steps on a half cosine from ``start`` to ``end``.

    Args:
        step: Steps done (a number, or a device tensor so that a captured graph reads it).
        start: The value at step 0.
        end: The value from ``horizon`` on.
        horizon: The number of steps the schedule takes (positive).

    Returns:
        The value, a tensor when ``step`` is one.

    Example:
        >>> [round(half_cosine(t, 1.0, 0.0, 100), 6) for t in (0, 50, 100, 500)]
        [1.0, 0.5, 0.0, 0.0]
    """
    if isinstance(step, Tensor):
        done = torch.clamp(step.to(torch.float64 if step.dtype == torch.float64 else torch.float32) / horizon, max=1.0)
        return start + (1 - 0.5 * (1 + torch.cos(math.pi * done))) * (end - start)
    progress = min(float(step) / horizon, 1.0)
    return start + (1 - 0.5 * (1 + math.cos(math.pi * progress))) * (end - start)
