"""Laplacian pyramids (Denton et al., 2015, LAPGAN): the images of each level and what they are conditioned on.

An image :math:`I_k` of side :math:`r` is split into a coarse image and a band:

.. math::

    I_{k+1} = d(I_k), \\qquad l_k = u(I_{k+1}), \\qquad h_k = I_k - l_k,

with :math:`d` the 2×2 average (a blur and a decimation) and :math:`u` the bilinear doubling (a
smooth expansion). The image is rebuilt exactly from the coarsest image and the bands,
:math:`I_k = u(I_{k+1}) + h_k` (:func:`reconstruct`). A LAPGAN level at side :math:`r` learns
:math:`h_k` given :math:`l_k`; its data (:func:`level_data`, the ``pyramid`` data source) are
the images at side :math:`r`, averaged down from the full images, and their conditions
:math:`l_k`. Sampling runs the levels from the coarsest up (:class:`~ganlib.models.LaplacianPyramid`).
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlib.data.registry import Dataset, load_dataset, register_dataset

__all__ = ["downsample", "laplacian_pyramid", "level_data", "reconstruct", "upsample"]


def downsample(x: Tensor) -> Tensor:
    """:math:`d`: the 2×2 average, halving the side.

    Args:
        x: Images ``(N, C, H, W)``.

    Returns:
        ``(N, C, H / 2, W / 2)``.
    """
    return F.avg_pool2d(x, 2)


def upsample(x: Tensor) -> Tensor:
    """:math:`u`: bilinear interpolation to twice the side.

    Args:
        x: Images ``(N, C, H, W)``.

    Returns:
        ``(N, C, 2H, 2W)``.
    """
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def laplacian_pyramid(images: Tensor, levels: int) -> list[Tensor]:
    """The bands of ``levels - 1`` levels and the coarsest image, finest first.

    Args:
        images: ``(N, C, S, S)``, ``S`` divisible by ``2 ** (levels - 1)``.
        levels: How many levels (the coarsest image counts as one).

    Returns:
        ``[h_0, h_1, ..., I_coarsest]``.

    Example:
        >>> x = torch.randn(2, 1, 8, 8)
        >>> torch.allclose(reconstruct(laplacian_pyramid(x, 3)), x, atol=1e-6)
        True
    """
    bands, current = [], images
    for _ in range(levels - 1):
        coarser = downsample(current)
        bands.append(current - upsample(coarser))
        current = coarser
    return [*bands, current]


def reconstruct(pyramid: list[Tensor]) -> Tensor:
    """The image from its bands and coarsest image (:func:`laplacian_pyramid`'s inverse).

    Args:
        pyramid: ``[h_0, ..., I_coarsest]``, finest first.

    Returns:
        :math:`I_0`.
    """
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = upsample(image) + band
    return image


def level_data(images: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """A level's images at side ``size``, averaged down from ``images``, and their conditions.

    Args:
        images: The full images ``(N, C, S, S)``; ``S`` a multiple of ``size``.
        size: The level's side.

    Returns:
        ``(I, l)``: the images at ``size`` and :math:`l = u(d(I))`; the band is ``I - l``.

    Raises:
        ValueError: If ``size`` does not divide the images' side or is below 2.
    """
    side = images.shape[-1]
    if size < 2 or side % size or (side // size) & (side // size - 1):
        raise ValueError(f"size={size!r} is invalid for {side}×{side} images; expected the side divided by a power of two, at least 2")
    level = F.avg_pool2d(images, side // size) if size < side else images
    return level, upsample(downsample(level))


@register_dataset("pyramid", argument="source")
def pyramid_level(
    source: str,
    size: int,
    coarsest: bool = False,
    root: str | os.PathLike[str] | None = None,
    image_size: int | None = None,
    classes: list[int] | None = None,
    channels: int | None = None,
    download: bool = False,
    device: torch.device | str | None = None,
) -> Dataset:
    """One level of a Laplacian pyramid of another image source: ``--data pyramid:mnist --data-arg size=16``.

    The source is loaded at ``--image-size`` (the pyramid's full size) and averaged down to
    ``size``. Each sample is conditioned on its coarse image :math:`u(d(I))` (served with every
    batch); the coarsest level (``coarsest=true``) is the images at ``size`` alone, for an
    ordinary unconditional GAN.

    Args:
        source: The image source (``mnist``, ``fashion-mnist``, ``folder:PATH`` ...).
        size: The level's side.
        coarsest: The pyramid's first level: no condition.
        root: The data root.
        image_size: The full size the source is loaded at.
        classes: Keep only these classes.
        channels: Channels of ``folder:`` images.
        download: Download missing files.
        device: Where to put the tensors.

    Returns:
        The level's :class:`~ganlib.data.Dataset` (no class labels: a level is conditioned on images).
    """
    if source.partition(":")[0] == "pyramid":
        raise ValueError("data 'pyramid' needs an image source after its colon, not another pyramid: --data pyramid:mnist")
    base = load_dataset(source, root, image_size=image_size, classes=classes, channels=channels, download=download, device=device)
    if base.images is None or base.images.ndim != 4:
        raise ValueError(f"data pyramid:{source}: {source!r} is not an image source")
    images, conditions = level_data(base.images, int(size))
    return Dataset(f"pyramid:{source}", images, None, None, classes=base.classes, conditions=None if coarsest else conditions)
