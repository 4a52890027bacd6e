"""PGGAN's growing generator and critic (Karras et al., 2018), from 4×4 by doublings.

Both networks start at 4×4 and :meth:`grow` by one resolution at a time up to their final
``image_size``. A new block is faded in: while ``alpha`` rises from 0 to 1, the output (the
critic's input) is the blend of the old resolution's path, upsampled (downsampled), with the
new block's (:func:`~ganlib.nn.progressive.fade`). The layers are the paper's:

* the generator: the latent pixel-normalized, a dense layer to 4×4 (gain √2/4), then per
  resolution two 3×3 convolutions, each followed by LeakyReLU(0.2) and pixel norm, nearest
  upsampling between resolutions, and a 1×1 ``to_rgb`` per resolution with a linear output;
* the critic: a 1×1 ``from_rgb`` per resolution, per resolution two 3×3 convolutions and 2×2
  average pooling, and at 4×4 the minibatch standard deviation, a 3×3 convolution, a dense
  layer and the linear score (gain 1);
* every layer with equalized learning rate, the widths ``min(width, 16384 / resolution)`` (the
  paper's ``fmap_base`` 8192 and ``fmap_max`` 512 are ``width=512``; a CPU wants less).

:func:`ganlib.train.growth.grow_optimizer` adds a grown network's new parameters to its
optimizer as a new group, with fresh state, the old parameters keeping theirs. Growth as a
schedule stepped by the training loop is not built yet.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlib.nn.progressive import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm, fade

__all__ = ["ProgressiveCritic", "ProgressiveGenerator", "stage_width"]


def stage_width(resolution: int, width: int) -> int:
    """The channels at ``resolution``, the paper's ``nf``.

    Args:
        resolution: The side of the feature maps.
        width: The widest layer allowed (``fmap_max``).

    Returns:
        ``min(width, 16384 // resolution)``.
    """
    return min(width, 16384 // resolution)


def _check_size(image_size: int) -> int:
    if image_size < 8 or image_size > 1024 or image_size & (image_size - 1):
        raise ValueError(f"image_size={image_size!r} is invalid; expected a power of two from 8 to 1024")
    return int(math.log2(image_size))


def _lrelu(x: Tensor) -> Tensor:
    return F.leaky_relu(x, 0.2)


class _GeneratorBlock(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1, self.conv2, self.norm = EqualizedConv2d(cin, cout, 3, 1), EqualizedConv2d(cout, cout, 3, 1), PixelNorm()

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.norm(_lrelu(self.conv2(self.norm(_lrelu(self.conv1(x))))))


class ProgressiveGenerator(nn.Module):
    """A generator that grows from 4×4 to ``image_size``.

    Args:
        latent_dim: Noise size (512 in the paper).
        image_size: The final resolution, a power of two from 8 to 1024.
        channels: Image channels.
        width: The widest layer (``fmap_max``; 512 in the paper).

    Attributes:
        alpha: The fade-in of the newest block, 1.0 when none is fading (a buffer: checkpointed).
    """

    alpha: Tensor

    def __init__(self, latent_dim: int = 512, image_size: int = 32, channels: int = 1, width: int = 512) -> None:
        super().__init__()
        self.latent_dim, self.image_size, self.channels, self.width = latent_dim, image_size, channels, width
        self.max_level = _check_size(image_size)
        c4 = stage_width(4, width)
        self.norm = PixelNorm()
        self.dense = EqualizedLinear(latent_dim, c4 * 16, gain=math.sqrt(2) / 4)
        self.conv4 = EqualizedConv2d(c4, c4, 3, 1)
        self.blocks = nn.ModuleList()
        self.to_rgb = nn.ModuleList([EqualizedConv2d(c4, channels, 1, gain=1.0)])
        self.register_buffer("alpha", torch.ones(()))
        self.config = {"latent_dim": latent_dim, "image_size": image_size, "channels": channels, "width": width}

    @property
    def resolution(self) -> int:
        """The current output side."""
        return 4 * 2 ** len(self.blocks)

    def grow(self) -> list[nn.Parameter]:
        """Add the next resolution's block and ``to_rgb``, fading in from ``alpha`` = 0.

        Returns:
            The new parameters (for :func:`~ganlib.train.growth.grow_optimizer`).

        Raises:
            ValueError: If the generator is at its final resolution.
        """
        if self.resolution >= self.image_size:
            raise ValueError(f"the generator is at its final resolution {self.image_size}; it cannot grow")
        new = self.resolution * 2
        device = self.alpha.device
        block = _GeneratorBlock(stage_width(new // 2, self.width), stage_width(new, self.width)).to(device)
        rgb = EqualizedConv2d(stage_width(new, self.width), self.channels, 1, gain=1.0).to(device)
        self.blocks.append(block)
        self.to_rgb.append(rgb)
        self.alpha.fill_(0.0)
        return [*block.parameters(), *rgb.parameters()]

    def forward(self, z: Tensor) -> Tensor:  # noqa: D102
        x = self.dense(self.norm(z)).reshape(len(z), -1, 4, 4)
        x = self.norm(_lrelu(self.conv4(self.norm(_lrelu(x)))))
        previous = x
        for block in self.blocks:
            previous, x = x, block(x)
        new = self.to_rgb[-1](x)
        if not self.blocks:
            return new
        old = F.interpolate(self.to_rgb[-2](previous), scale_factor=2, mode="nearest")
        return fade(old, new, self.alpha)


class _CriticBlock(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = EqualizedConv2d(cin, cin, 3, 1), EqualizedConv2d(cin, cout, 3, 1)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(_lrelu(self.conv2(_lrelu(self.conv1(x)))), 2)


class ProgressiveCritic(nn.Module):
    """A critic that grows from 4×4 to ``image_size``, mirroring :class:`ProgressiveGenerator`.

    Args:
        image_size: The final resolution, a power of two from 8 to 1024.
        channels: Image channels.
        width: The widest layer (``fmap_max``).
        group_size: The minibatch standard deviation's group (4 in the paper).

    Attributes:
        alpha: The fade-in of the newest block, 1.0 when none is fading (a buffer).
    """

    alpha: Tensor

    def __init__(self, image_size: int = 32, channels: int = 1, width: int = 512, group_size: int = 4) -> None:
        super().__init__()
        self.image_size, self.channels, self.width = image_size, channels, width
        _check_size(image_size)
        c4 = stage_width(4, width)
        self.from_rgb = nn.ModuleList([EqualizedConv2d(channels, c4, 1)])
        self.blocks = nn.ModuleList()  # the newest (highest resolution) first
        self.stddev = MinibatchStdDev(group_size)
        self.conv4 = EqualizedConv2d(c4 + 1, c4, 3, 1)
        self.dense = EqualizedLinear(c4 * 16, c4)
        self.score = EqualizedLinear(c4, 1, gain=1.0)
        self.register_buffer("alpha", torch.ones(()))
        self.config = {"image_size": image_size, "channels": channels, "width": width, "group_size": group_size}

    @property
    def resolution(self) -> int:
        """The current input side."""
        return 4 * 2 ** len(self.blocks)

    def grow(self) -> list[nn.Parameter]:
        """Add the next resolution's ``from_rgb`` and block, fading in from ``alpha`` = 0.

        Returns:
            The new parameters.

        Raises:
            ValueError: If the critic is at its final resolution.
        """
        if self.resolution >= self.image_size:
            raise ValueError(f"the critic is at its final resolution {self.image_size}; it cannot grow")
        new = self.resolution * 2
        device = self.alpha.device
        rgb = EqualizedConv2d(self.channels, stage_width(new, self.width), 1).to(device)
        block = _CriticBlock(stage_width(new, self.width), stage_width(new // 2, self.width)).to(device)
        self.from_rgb.append(rgb)
        self.blocks.insert(0, block)
        self.alpha.fill_(0.0)
        return [*rgb.parameters(), *block.parameters()]

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        h = _lrelu(self.from_rgb[-1](x))
        if self.blocks:
            new = self.blocks[0](h)
            old = _lrelu(self.from_rgb[-2](F.avg_pool2d(x, 2)))
            h = fade(old, new, self.alpha)
            for block in self.blocks[1:]:
                h = block(h)
        h = _lrelu(self.conv4(self.stddev(h)))
        return self.score(_lrelu(self.dense(h.flatten(1)))).squeeze(1)
