"""The layers of progressive growing (Karras et al., 2018, "Progressive Growing of GANs"):
equalized learning rate, pixelwise feature normalization, the minibatch standard deviation and
the fade-in blend.

* **Equalized learning rate** (:class:`EqualizedConv2d`, :class:`EqualizedLinear`): the weights
  are drawn from N(0, 1) and scaled at run time by He's constant ``gain / sqrt(fan_in)``, so
  that an adaptive optimizer's step is the same relative change for every layer. The stored
  parameter is N(0, 1); the effective weight is the scaled one, and so is its gradient's effect.
* **Pixel norm** (:class:`PixelNorm`): every pixel's feature vector divided by its root mean
  square over the channels, ``x / sqrt(mean_c(x^2) + 1e-8)``, in the generator after each
  convolution.
* **Minibatch standard deviation** (:class:`MinibatchStdDev`): in the critic's last block, one
  more feature map, the standard deviation of each feature over a group of samples averaged
  into one number per group, so that the critic sees the batch's variety.
* **Fade-in** (:func:`fade`): while a new block is being added, the output is
  ``(1 - alpha) * old + alpha * new``, ``alpha`` rising from 0 to 1 over the phase.

The constants are those of the authors' ``networks.py`` (tkarras/progressive_growing_of_gans):
epsilon 1e-8, groups of 4, the population variance over the group.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["EqualizedConv2d", "EqualizedLinear", "MinibatchStdDev", "PixelNorm", "fade", "he_scale"]


def he_scale(fan_in: int, gain: float = math.sqrt(2.0)) -> float:
    """He's constant ``gain / sqrt(fan_in)``, the run-time scale of an equalized layer's weights.

    Args:
        fan_in: Inputs per output (``in_channels * kernel_height * kernel_width`` for a convolution).
        gain: ``sqrt(2)`` before a (leaky) ReLU, 1 before a linear output.

    Returns:
        The scale.

    Example:
        >>> round(he_scale(512 * 3 * 3), 6)
        0.020833
    """
    return gain / math.sqrt(fan_in)


class EqualizedConv2d(nn.Module):
    """A 2-D convolution with equalized learning rate: weights N(0, 1), scaled by :func:`he_scale` at run time.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: The square kernel's side.
        padding: Zero padding on every side.
        gain: The gain of He's constant.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0, gain: float = math.sqrt(2.0)) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = he_scale(in_channels * kernel_size * kernel_size, gain)
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class EqualizedLinear(nn.Module):
    """A linear layer with equalized learning rate: weights N(0, 1), scaled by :func:`he_scale` at run time.

    Args:
        in_features: Inputs.
        out_features: Outputs.
        gain: The gain of He's constant.
        bias: Add a learned bias per output (PGGAN's generator adds its first layer's per
            channel instead, after reshaping to 4×4).
    """

    def __init__(self, in_features: int, out_features: int, gain: float = math.sqrt(2.0), bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.scale = he_scale(in_features, gain)

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        return F.linear(x, self.weight * self.scale, self.bias)


class PixelNorm(nn.Module):
    """Pixelwise feature normalization: each pixel's features over their root mean square.

    Args:
        eps: Added under the square root.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + self.eps)


class MinibatchStdDev(nn.Module):
    """Append one feature map: the standard deviation of the features over a group of samples.

    The batch of ``N`` is split into groups of ``G = min(group_size, N)`` samples, sample ``n``
    in group ``n mod (N / G)`` (the reference's reshape to ``[G, -1, ...]``). For each group,
    the population standard deviation of every feature over its ``G`` samples is averaged over
    channels and pixels into one number, which becomes a constant map appended to each of the
    group's samples.

    Args:
        group_size: Samples per group (4 in the paper); the batch size must be a multiple of it,
            or smaller than it.
        eps: Added to the variance under the square root.

    Raises:
        ValueError: At run time, if the batch is not a multiple of the group size.
    """

    def __init__(self, group_size: int = 4, eps: float = 1e-8) -> None:
        super().__init__()
        self.group_size = group_size
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        if n % g:
            raise ValueError(f"MinibatchStdDev: a batch of {n} is not a multiple of the group size {g}; use a batch size divisible by {g}")
        y = x.reshape(g, n // g, c, h, w)
        y = (y - y.mean(dim=0, keepdim=True)).square().mean(dim=0)  # population variance over each group
        y = (y + self.eps).sqrt().mean(dim=(1, 2, 3))  # one number per group, (N / G,)
        y = y.repeat(g).reshape(n, 1, 1, 1).expand(n, 1, h, w)  # sample n gets its group's (n mod N/G)
        return torch.cat([x, y.to(x.dtype)], dim=1)


def fade(old: Tensor, new: Tensor, alpha: float | Tensor) -> Tensor:
    """The fade-in blend of a growing network: ``(1 - alpha) * old + alpha * new``.

    Args:
        old: The output through the previous resolution's path (upsampled or downsampled to ``new``'s shape).
        new: The output through the block being added.
        alpha: From 0 (only the old path) to 1 (only the new block).

    Returns:
        The blend.

    Example:
        >>> fade(torch.zeros(1), torch.ones(1), 0.25)
        tensor([0.2500])
    """
    return torch.lerp(old, new, alpha if isinstance(alpha, Tensor) else float(alpha))
