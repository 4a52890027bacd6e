"""DCGAN building blocks: 4x4 stride-2 (transposed) convolutions with a pluggable norm.

Radford et al. (2015) build both networks from 4x4 kernels with stride 2 and padding 1,
which exactly double (generator) or halve (critic) the spatial size.
"""

from __future__ import annotations

from torch import nn

from ganlib.nn.norm import NormLike, resolve_norm

__all__ = ["DownBlock", "UpBlock"]


class UpBlock(nn.Sequential):
    """Transposed convolution that doubles H and W, then norm and ReLU.

    Args:
        in_channels: Input channels ``C_in``.
        out_channels: Output channels ``C_out``.
        norm: Normalization choice, see :func:`ganlib.nn.resolve_norm`.

    Shape:
        ``(N, C_in, H, W) -> (N, C_out, 2H, 2W)``.

    Example:
        >>> import torch
        >>> UpBlock(8, 4, norm="batch")(torch.zeros(2, 8, 4, 4)).shape
        torch.Size([2, 4, 8, 8])
    """

    def __init__(self, in_channels: int, out_channels: int, norm: NormLike = "batch") -> None:
        spec = resolve_norm(norm)
        conv = nn.ConvTranspose2d(
            in_channels, out_channels, 4, stride=2, padding=1, bias=not spec.has_layer
        )
        super().__init__(spec.weight(conv), spec.layer(out_channels), nn.ReLU(inplace=True))


class DownBlock(nn.Sequential):
    """Convolution that halves H and W, then norm and LeakyReLU(0.2).

    Args:
        in_channels: Input channels ``C_in``.
        out_channels: Output channels ``C_out``.
        norm: Normalization choice, see :func:`ganlib.nn.resolve_norm`.
        negative_slope: Slope of the LeakyReLU for negative inputs (0.2 in DCGAN).

    Shape:
        ``(N, C_in, H, W) -> (N, C_out, H/2, W/2)``.

    Example:
        >>> import torch
        >>> DownBlock(1, 4, norm="layer")(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 4, 4, 4])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormLike = "layer",
        negative_slope: float = 0.2,
    ) -> None:
        spec = resolve_norm(norm)
        conv = nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=not spec.has_layer)
        super().__init__(
            spec.weight(conv),
            spec.layer(out_channels),
            nn.LeakyReLU(negative_slope, inplace=True),
        )
