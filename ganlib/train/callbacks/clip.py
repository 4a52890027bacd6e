"""Gradient clipping, on the hook before each optimizer step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch.optim import Optimizer

from ganlib.contract import PositiveFloat
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.callback import Loop

__all__ = ["GradientClip"]


@register_callback("gradient-clip")
class GradientClip(Callback):
    """Clip the total gradient norm of the critic's and/or the generator's parameters before each step.

    Runs on :meth:`~ganlib.train.Callback.on_before_optimizer_step`, after the gradients are
    complete and unscaled (under fp16), with :func:`torch.nn.utils.clip_grad_norm_` (no host
    synchronization, so it is recorded inside a CUDA graph).

    Args:
        max_norm: The largest total L2 norm allowed.
        roles: ``"critic"``, ``"generator"`` or ``"both"``.

    Raises:
        ValueError: If ``max_norm`` is not positive and finite or ``roles`` is invalid.
    """

    def __init__(self, max_norm: PositiveFloat = 1.0, roles: str = "both") -> None:
        if not (isinstance(max_norm, (int, float)) and 0 < max_norm < math.inf):
            raise ValueError(f"max_norm={max_norm!r} is invalid; expected a positive, finite norm")
        if roles not in ("critic", "generator", "both"):
            raise ValueError(f"roles={roles!r} is invalid; expected 'critic', 'generator' or 'both'")
        self.max_norm = float(max_norm)
        self.roles = ("critic", "generator") if roles == "both" else (roles,)

    def on_before_optimizer_step(self, trainer: Loop, role: str, optimizer: Optimizer) -> None:  # noqa: D102
        if role in self.roles:
            params = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            torch.nn.utils.clip_grad_norm_(params, self.max_norm)
