"""LAPGAN (Denton et al., 2015): one image-conditioned GAN per level of a Laplacian pyramid.

A level at side :math:`r` is given the coarse image :math:`l = u(I_{k+1})` (the level below,
bilinearly doubled; :mod:`ganlib.data.pyramid`) and learns the band :math:`h` that the coarse
image lacks:

* :class:`LaplacianGenerator`: the noise enters as one more image plane beside :math:`l` (the
  paper's "fourth colour plane", so the noise size is :math:`r^2`); three 3×3 convolutions
  produce the band, and the module returns :math:`l + h`, the level's image (the paper's
  :math:`\\tilde I_k = l_k + G_k(z_k, l_k)`), so that grids, scores and the critic see images;
* :class:`LaplacianCritic`: the paper's :math:`D_k` takes the band with :math:`l` "added to it
  before the first layer", that is the image :math:`l + h`: two strided 5×5 convolutions and a
  linear score. It takes the condition (the Trainer passes it) and reads only the image.

The coarsest level is an ordinary unconditional GAN (the paper's is an MLP on 8×8 images).
:class:`LaplacianPyramid` samples through all levels from the coarsest up; a pyramid file
(:func:`ganlib.checkpoint.save_pyramid`, ``python -m ganlib pyramid``) names the trained levels'
runs, and :func:`ganlib.checkpoint.load_generator` reads it, so ``sample`` and ``evaluate`` take it as
a checkpoint. The layer widths are ours (the paper used 128 feature maps on CIFAR-10).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlib.data.pyramid import upsample
from ganlib.models.registry import ModelContext, register_model

__all__ = ["LaplacianCritic", "LaplacianGenerator", "LaplacianPyramid"]

def _level_context(context: ModelContext) -> dict[str, Any]:
    # The noise is an image plane: its size follows the image's, whatever --latent-dim says.
    size, channels = context.sample_shape[-1], context.sample_shape[0]
    return {"image_size": size, "channels": channels, **({"width": context.width} if context.width is not None else {})}


@register_model("lapgan-generator", context=_level_context)
class LaplacianGenerator(nn.Module):
    """A LAPGAN level's generator: the coarse image and a noise plane in, the coarse image plus a band out.

    Args:
        image_size: The level's side :math:`r` (the noise is ``r * r`` numbers).
        channels: Image channels.
        width: Feature maps of the hidden convolutions.

    Attributes:
        conditional: Always ``True``: every call takes the coarse image.
        latent_dim: ``image_size ** 2``.
    """

    conditional = True

    def __init__(self, image_size: int = 16, channels: int = 1, width: int = 64) -> None:
        super().__init__()
        self.image_size, self.channels, self.width = image_size, channels, width
        self.latent_dim = image_size * image_size
        self.net = nn.Sequential(
            nn.Conv2d(channels + 1, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, channels, 3, padding=1),
        )
        self.config = {"image_size": image_size, "channels": channels, "width": width}

    def band(self, z: Tensor, condition: Tensor) -> Tensor:
        """The band :math:`h = G(z, l)` alone.

        Args:
            z: Noise ``(N, image_size ** 2)``.
            condition: The coarse images :math:`l` ``(N, C, r, r)``.

        Returns:
            ``(N, C, r, r)``.
        """
        plane = z.reshape(len(z), 1, self.image_size, self.image_size).to(condition.dtype)
        return self.net(torch.cat([condition, plane], dim=1))

    def forward(self, z: Tensor, condition: Tensor) -> Tensor:  # noqa: D102
        image = condition + self.band(z, condition)
        return image if self.training else image.clamp(-1.0, 1.0)


@register_model("lapgan-critic", context=_level_context)
class LaplacianCritic(nn.Module):
    """A LAPGAN level's critic: it scores the image :math:`l + h` (the band with its coarse image added).

    Args:
        image_size: The level's side (a multiple of 4).
        channels: Image channels.
        width: Feature maps of the first convolution (twice as many in the second).

    Attributes:
        conditional: Always ``True``: it is called with the coarse image, which the image already holds.
    """

    conditional = True

    def __init__(self, image_size: int = 16, channels: int = 1, width: int = 64) -> None:
        super().__init__()
        if image_size < 4 or image_size % 4:
            raise ValueError(f"image_size={image_size!r} is invalid; expected a multiple of 4")
        self.image_size, self.channels, self.width = image_size, channels, width
        self.conv1 = nn.Conv2d(channels, width, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(width, 2 * width, 5, stride=2, padding=2)
        self.score = nn.Linear(2 * width * (image_size // 4) ** 2, 1)
        self.config = {"image_size": image_size, "channels": channels, "width": width}

    def forward(self, x: Tensor, condition: Tensor | None = None) -> Tensor:  # noqa: D102
        h = F.leaky_relu(self.conv2(F.leaky_relu(self.conv1(x), 0.2)), 0.2)
        return self.score(h.flatten(1)).squeeze(1)


def _side(generator: nn.Module) -> int:
    """The side of a generator's images: its ``image_size``, or that of one sample drawn in eval mode."""
    size = getattr(generator, "image_size", None)
    if size:
        return int(size)
    parameter = next(iter(generator.parameters()), None)
    was_training = generator.training
    generator.eval()
    with torch.no_grad():
        sample = generator(torch.zeros(1, int(getattr(generator, "latent_dim")), device=None if parameter is None else parameter.device))  # noqa: B009
    generator.train(was_training)
    return int(sample.shape[-1])


class LaplacianPyramid(nn.Module):
    """Sample through a Laplacian pyramid: the coarsest level's images, then each level's given the last, doubled.

    Args:
        levels: The coarsest level's generator (unconditional), then each finer level's
            :class:`LaplacianGenerator`, each twice the side of the one before.

    Attributes:
        latent_dim: The noise of all levels together (each level takes its share, in order).

    Raises:
        ValueError: If a level is not twice the side of the one before.
    """

    def __init__(self, levels: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(levels) < 2:
            raise ValueError(f"a pyramid needs a coarsest level and at least one finer level; got {len(levels)}")
        self.levels = nn.ModuleList(levels)
        self.sizes = [_side(levels[0])]
        for level in levels[1:]:
            if not getattr(level, "conditional", False) or getattr(level, "image_size", None) != 2 * self.sizes[-1]:
                raise ValueError(
                    f"level {len(self.sizes)} must be an image-conditioned generator of side {2 * self.sizes[-1]}; "
                    f"got {type(level).__name__} of side {getattr(level, 'image_size', None)}"
                )
            self.sizes.append(int(getattr(level, "image_size")))  # noqa: B009 - checked just above
        self.shares = [int(getattr(level, "latent_dim")) for level in levels]  # noqa: B009 - every generator has one
        self.latent_dim = sum(self.shares)
        self.image_size = self.sizes[-1]

    def forward(self, z: Tensor) -> Tensor:  # noqa: D102
        chunks = z.split(self.shares, dim=1)
        image = self.levels[0](chunks[0])
        for level, noise in zip(self.levels[1:], chunks[1:], strict=True):
            image = level(noise, upsample(image))
        return image

    def stages(self, z: Tensor) -> list[Tensor]:
        """Every level's images for the same noise, coarsest first (for a figure of the pyramid).

        Args:
            z: Noise ``(N, latent_dim)``.

        Returns:
            One ``(N, C, r, r)`` tensor per level.
        """
        chunks = z.split(self.shares, dim=1)
        images = [self.levels[0](chunks[0])]
        for level, noise in zip(self.levels[1:], chunks[1:], strict=True):
            images.append(level(noise, upsample(images[-1])))
        return images
