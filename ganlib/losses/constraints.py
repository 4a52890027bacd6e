"""Constraints: what is done to a network's weights after its optimizer steps (not a loss term).

Weight clipping (Arjovsky et al., 2017) is the one built in; the gradient penalties that
replaced it are terms of the loss (:mod:`ganlib.losses.penalties`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

__all__ = ["WeightClip"]


class WeightClip:
    """Weight clipping (Arjovsky et al., 2017, Algorithm 1): a constraint, not a penalty.

    After **every** critic optimizer step, each critic parameter is clamped in place to
    :math:`[-c, c]`. The paper pairs it with RMSProp, lr = 5e-5, n_critic = 5, c = 0.01.

    Args:
        clip: The bound :math:`c`.

    Raises:
        ValueError: If ``clip`` is not positive and finite.

    Example:
        >>> import torch
        >>> layer = torch.nn.Linear(2, 1)
        >>> WeightClip(0.01).apply(layer)
        >>> bool(layer.weight.abs().max() <= 0.01)
        True
    """

    name: ClassVar[str] = "clip"
    lipschitz: ClassVar[bool] = True  # clipping bounds the critic's Lipschitz constant

    def __init__(self, clip: float = 0.01) -> None:
        if isinstance(clip, bool) or not isinstance(clip, (int, float)) or not 0 < clip < math.inf:
            raise ValueError(f"clip={clip!r} is invalid; expected a positive, finite bound")
        self.clip = float(clip)

    @torch.no_grad()
    def apply(self, critic: nn.Module) -> None:
        """Clamp every parameter of ``critic`` to ``[-clip, clip]`` in place.

        Args:
            critic: The critic whose parameters were just updated.
        """
        for param in critic.parameters():
            param.clamp_(-self.clip, self.clip)

    def __repr__(self) -> str:
        return f"WeightClip(clip={self.clip!r})"
