"""PGGAN's growing generator and critic (Karras et al., 2018), from 4×4 by doublings.

Both networks start at 4×4 and :meth:`~ProgressiveGenerator.grow` by one resolution at a time
up to their final ``image_size``. A new block is faded in: while ``alpha`` rises from 0 to 1,
the output (the critic's input) is the blend of the old resolution's path, upsampled
(downsampled), with the new block's (:func:`~ganlib.nn.progressive.fade`).

As in the authors' code, the networks keep one interface at every phase: the generator's
images are always ``image_size`` (the current resolution's, nearest-upsampled), and the critic
takes ``image_size`` images and averages them down to its current resolution. Samples, grids,
scores and the sampling commands therefore never see a phase change.

The layers are those of ``G_paper`` and ``D_paper`` in the authors' ``networks.py``
(tkarras/progressive_growing_of_gans):

* the generator: the latent pixel-normalized, a dense layer to 4×4 (gain √2/4, its bias per
  channel), then per resolution two 3×3 convolutions, each followed by LeakyReLU(0.2) and pixel
  norm, nearest upsampling between resolutions (the reference fuses it with the next
  convolution into one transposed convolution: the same function, with the kernel flipped), and a 1×1 ``to_rgb`` per
  resolution with a linear output;
* the critic: a 1×1 ``from_rgb`` per resolution, per resolution two 3×3 convolutions, the
  second averaged 2×2 before its LeakyReLU (the reference's fused ``conv2d_downscale2d``), and at 4×4 the minibatch standard deviation, a 3×3 convolution, a dense
  layer and the linear score (gain 1);
* every layer with equalized learning rate, the widths ``min(width, 16384 / resolution)`` (the
  paper's ``fmap_base`` 8192 and ``fmap_max`` 512 are ``width=512``; a CPU wants less).

Growth as a schedule the training loop steps is :class:`ganlib.train.Growth` (the ``growth``
callback, which ``--model pggan`` adds): it grows both networks, their optimizers and the EMA,
serves the data at each phase's resolution and sets ``alpha``. Loading a grown network's
weights into a freshly built one grows it first, so ``sample`` and ``evaluate`` read any phase's
checkpoint.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlib.models.registry import register_model
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


def _upscale(x: Tensor, size: int) -> Tensor:
    return x if x.shape[-1] == size else F.interpolate(x, scale_factor=size // x.shape[-1], mode="nearest")


class _Growing(nn.Module):
    """What both networks share: the current resolution, growth by one doubling, and loading
    the weights of a network grown further (it grows to fit first)."""

    alpha: Tensor
    image_size: int
    blocks: nn.ModuleList

    @property
    def resolution(self) -> int:
        """The current resolution (the side of the newest block's feature maps)."""
        return 4 * 2 ** len(self.blocks)

    def _add_stage(self, resolution: int) -> list[nn.Module]:
        raise NotImplementedError

    def grow(self) -> list[nn.Parameter]:
        """Add the next resolution's block and its RGB layer, fading in from ``alpha`` = 0.

        Returns:
            The new parameters (for :func:`~ganlib.train.growth.grow_optimizer`).

        Raises:
            ValueError: If the network is at its final resolution.
        """
        if self.resolution >= self.image_size:
            raise ValueError(f"the {type(self).__name__} is at its final resolution {self.image_size}; it cannot grow")
        added = [module.to(device=self.alpha.device, dtype=self.alpha.dtype) for module in self._add_stage(self.resolution * 2)]
        self.alpha.fill_(0.0)
        return [p for module in added for p in module.parameters()]

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any) -> None:
        # Weights of a network grown further: grow to fit first (the children load after this).
        saved = {key[len(prefix) + 7 :].split(".", 1)[0] for key in state_dict if key.startswith(prefix + "blocks.")}
        while len(self.blocks) < len(saved) and self.resolution < self.image_size:
            self.grow()
        super()._load_from_state_dict(state_dict, prefix, *args)


class _GeneratorBlock(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1, self.conv2, self.norm = EqualizedConv2d(cin, cout, 3, 1), EqualizedConv2d(cout, cout, 3, 1), PixelNorm()

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.norm(_lrelu(self.conv2(self.norm(_lrelu(self.conv1(x))))))


class ProgressiveGenerator(_Growing):
    """A generator that grows from 4×4 to ``image_size``; its images are ``image_size`` at every phase.

    Its output layer is linear, as in the paper: in training the critic sees it as it is; in
    eval mode (sampling, scoring) the images are clipped to [-1, 1], as the reference clips
    when it turns its output into images.

    Args:
        latent_dim: Noise size (512 in the paper).
        image_size: The final resolution, a power of two from 8 to 1024.
        channels: Image channels.
        width: The widest layer (``fmap_max``; 512 in the paper).

    Attributes:
        alpha: The fade-in of the newest block, 1.0 when none is fading (a buffer: checkpointed).
    """

    def __init__(self, latent_dim: int = 512, image_size: int = 32, channels: int = 1, width: int = 512) -> None:
        super().__init__()
        self.latent_dim, self.image_size, self.channels, self.width = latent_dim, image_size, channels, width
        _check_size(image_size)
        c4 = stage_width(4, width)
        self.norm = PixelNorm()
        self.dense = EqualizedLinear(latent_dim, c4 * 16, gain=math.sqrt(2) / 4, bias=False)
        self.dense_bias = nn.Parameter(torch.zeros(c4))  # per channel, after the reshape to 4×4
        self.conv4 = EqualizedConv2d(c4, c4, 3, 1)
        self.blocks = nn.ModuleList()
        self.to_rgb = nn.ModuleList([EqualizedConv2d(c4, channels, 1, gain=1.0)])
        self.register_buffer("alpha", torch.ones(()))
        self.config = {"latent_dim": latent_dim, "image_size": image_size, "channels": channels, "width": width}

    def _add_stage(self, resolution: int) -> list[nn.Module]:
        block = _GeneratorBlock(stage_width(resolution // 2, self.width), stage_width(resolution, self.width))
        rgb = EqualizedConv2d(stage_width(resolution, self.width), self.channels, 1, gain=1.0)
        self.blocks.append(block)
        self.to_rgb.append(rgb)
        return [block, rgb]

    def forward(self, z: Tensor) -> Tensor:  # noqa: D102
        x = self.dense(self.norm(z)).reshape(len(z), -1, 4, 4) + self.dense_bias.view(1, -1, 1, 1)
        x = self.norm(_lrelu(self.conv4(self.norm(_lrelu(x)))))
        previous = x
        for block in self.blocks:
            previous, x = x, block(x)
        image = self.to_rgb[-1](x)
        if self.blocks:
            old = F.interpolate(self.to_rgb[-2](previous), scale_factor=2, mode="nearest")
            image = fade(old, image, self.alpha)
        if not self.training:  # the output is linear; a sample is clipped to the images' range, as the reference exports it
            image = image.clamp(-1.0, 1.0)
        return _upscale(image, self.image_size)


class _CriticBlock(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = EqualizedConv2d(cin, cin, 3, 1), EqualizedConv2d(cin, cout, 3, 1)

    def forward(self, x: Tensor) -> Tensor:
        # pooled before the activation, as the reference's fused conv2d_downscale2d (its default) does
        return _lrelu(F.avg_pool2d(self.conv2(_lrelu(self.conv1(x))), 2))


class ProgressiveCritic(_Growing):
    """A critic that grows from 4×4 to ``image_size``, mirroring :class:`ProgressiveGenerator`.

    It takes ``image_size`` images at every phase and averages them down to its current
    resolution (the reference's repeated 2×2 ``downscale2d``).

    Args:
        image_size: The final resolution, a power of two from 8 to 1024.
        channels: Image channels.
        width: The widest layer (``fmap_max``).
        group_size: The minibatch standard deviation's group (4 in the paper).

    Attributes:
        alpha: The fade-in of the newest block, 1.0 when none is fading (a buffer).
    """

    def __init__(self, image_size: int = 32, channels: int = 1, width: int = 512, group_size: int = 4) -> None:
        super().__init__()
        self.image_size, self.channels, self.width = image_size, channels, width
        _check_size(image_size)
        c4 = stage_width(4, width)
        self.from_rgb = nn.ModuleList([EqualizedConv2d(channels, c4, 1)])
        self.blocks = nn.ModuleList()  # the newest (highest resolution) first
        self.stddev = MinibatchStdDev(group_size)
        self.conv4 = EqualizedConv2d(c4 + 1, c4, 3, 1)
        self.dense = EqualizedLinear(c4 * 16, stage_width(2, width))
        self.score = EqualizedLinear(stage_width(2, width), 1, gain=1.0)
        self.register_buffer("alpha", torch.ones(()))
        self.config = {"image_size": image_size, "channels": channels, "width": width, "group_size": group_size}

    def _add_stage(self, resolution: int) -> list[nn.Module]:
        rgb = EqualizedConv2d(self.channels, stage_width(resolution, self.width), 1)
        block = _CriticBlock(stage_width(resolution, self.width), stage_width(resolution // 2, self.width))
        self.from_rgb.append(rgb)
        self.blocks.insert(0, block)
        return [rgb, block]

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        if x.shape[-1] != self.image_size:
            raise ValueError(f"the critic takes {self.image_size}×{self.image_size} images at every phase; got {tuple(x.shape[-2:])}")
        x = F.avg_pool2d(x, self.image_size // self.resolution) if self.resolution < self.image_size else x
        h = _lrelu(self.from_rgb[-1](x))
        if self.blocks:
            new = self.blocks[0](h)
            old = _lrelu(self.from_rgb[-2](F.avg_pool2d(x, 2)))
            h = fade(old, new, self.alpha)
            for block in self.blocks[1:]:
                h = block(h)
        h = _lrelu(self.conv4(self.stddev(h)))
        return self.score(_lrelu(self.dense(h.flatten(1)))).squeeze(1)


register_model("pggan-generator", ProgressiveGenerator, policy={"images": {"objective": "pggan", "callback": ["growth"]}})
register_model("pggan-critic", ProgressiveCritic)
