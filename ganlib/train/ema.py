"""Exponential moving average of generator weights."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

__all__ = ["EMA"]


class EMA(AveragedModel):
    """Exponential moving average of a model's parameters (an :class:`AveragedModel`).

    After each update,

    .. math::

        \\theta_{\\text{EMA}} \\leftarrow \\beta\\, \\theta_{\\text{EMA}} + (1 - \\beta)\\, \\theta,

    with the first update copying :math:`\\theta`. Averaged generator weights give smoother,
    often better samples (Karras et al., 2018; Yazici et al., 2019). Buffers such as
    BatchNorm's running statistics are **copied** from the model, not averaged: an average
    of running statistics describes no network that ever ran.

    Args:
        model: The model to track (deep-copied).
        decay: :math:`\\beta`, in [0, 1).

    Raises:
        ValueError: If ``decay`` is outside [0, 1).

    Example:
        >>> import torch
        >>> net = torch.nn.Linear(2, 1)
        >>> ema = EMA(net, decay=0.9)
        >>> ema.update(net)
        >>> torch.equal(ema.module.weight, net.weight)
        True
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay={decay!r} is invalid; expected a value in [0, 1)")
        super().__init__(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the model's current parameters into the average and copy its buffers.

        Args:
            model: The tracked model (same architecture as the copy).
        """
        self.update_parameters(model)
        for mine, theirs in zip(self.module.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)
