"""Exponential moving average of generator weights."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, update_bn

__all__ = ["EMA"]


def _lerp_(targets: list[Tensor], sources: list[Tensor], weight: Tensor) -> None:
    # The tensor-list overload keeps the weight on the device; a 0-d tensor passed where a
    # Python scalar is expected would be read on the host (a synchronization, and a value
    # frozen into a CUDA graph at capture).
    torch._foreach_lerp_(targets, sources, [weight] * len(targets))


class EMA(AveragedModel):
    """Exponential moving average of a model's parameters (an :class:`AveragedModel`).

    Update :math:`t` (0-based) does

    .. math::

        \\theta_{\\text{EMA}} \\leftarrow \\beta_t\\, \\theta_{\\text{EMA}} + (1 - \\beta_t)\\, \\theta,
        \\qquad \\beta_t = \\min\\Big(\\beta, \\frac{1 + t}{10 + t}\\Big)

    with the warm-up (the schedule of TensorFlow's ``ExponentialMovingAverage`` with
    ``num_updates``), or :math:`\\beta_t = \\beta` for :math:`t > 0` and :math:`\\beta_0 = 0`
    (a copy) without it. The warm-up matters: at :math:`\\beta = 0.999` without it, the
    average still holds about 10% of the first, near-random weights after 2,300 updates, and
    a measured MNIST run sampled worse from the EMA than from the raw generator; with it the
    early weights are forgotten within the first few hundred updates. Buffers such as
    BatchNorm's running statistics are **copied** from the model, not averaged.

    The update runs entirely on the device (the step counter is a device tensor), so it
    never synchronizes and can be captured in a CUDA graph.

    Copied BatchNorm statistics were measured for the raw weights, not the averaged ones;
    :meth:`recalibrate` recomputes them for the averaged weights on fixed noise.

    Args:
        model: The model to track (deep-copied).
        decay: :math:`\\beta`, in [0, 1).
        warmup: Use the warm-up schedule.

    Raises:
        ValueError: If ``decay`` is outside [0, 1).

    Example:
        >>> import torch
        >>> net = torch.nn.Linear(2, 1)
        >>> ema = EMA(net, decay=0.9, warmup=False)
        >>> ema.update(net)
        >>> torch.equal(ema.module.weight, net.weight)
        True
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: bool = True) -> None:
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay < 1.0:
            raise ValueError(f"decay={decay!r} is invalid; expected a value in [0, 1)")
        device = next(iter(model.parameters()), torch.empty(0)).device
        super().__init__(model, device=device, use_buffers=False)
        self.decay = float(decay)
        self.warmup = warmup

    def beta(self) -> Tensor:
        """The decay :math:`\\beta_t` the next update will use, as a device tensor."""
        t = self.n_averaged.float()
        if self.warmup:
            return torch.clamp((1.0 + t) / (10.0 + t), max=self.decay)
        return torch.where(t > 0, self.decay, 0.0)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the model's current parameters into the average and copy its buffers.

        Args:
            model: The tracked model (same architecture as the copy).
        """
        averaged: list[Tensor] = [p.detach() for p in self.module.parameters()]
        current: list[Tensor] = [p.detach() for p in model.parameters()]
        _lerp_(averaged, current, 1.0 - self.beta())
        mine, theirs = list(self.module.buffers()), list(model.buffers())
        if mine:
            torch._foreach_copy_(mine, theirs)
        self.n_averaged.add_(1)

    @torch.no_grad()
    def recalibrate(self, latent_dim: int, batches: int = 8, batch_size: int = 256, seed: int = 0) -> nn.Module:
        """Recompute the averaged generator's BatchNorm statistics for its own weights.

        Runs the EMA generator in training mode over ``batches`` batches of fixed noise with
        :func:`torch.optim.swa_utils.update_bn` (a cumulative average, not a momentum). The
        noise comes from its own seeded generator, so training's random streams are untouched.
        The next :meth:`update` copies the raw model's statistics again: recalibrate right
        before sampling.

        Args:
            latent_dim: The generator's noise size.
            batches: Batches of noise.
            batch_size: Samples per batch.
            seed: Seed of the noise.

        Returns:
            The EMA generator (``self.module``), with recalibrated statistics.
        """
        if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.module.modules()):
            return self.module
        device = next(self.module.parameters()).device
        rng = torch.Generator().manual_seed(seed)
        noise = [torch.randn(batch_size, latent_dim, generator=rng).to(device) for _ in range(batches)]
        update_bn(noise, self.module)
        return self.module
