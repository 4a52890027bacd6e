"""Stacked MNIST: three independently drawn MNIST digits as the three channels of one image.

The benchmark of mode collapse used by VEEGAN (Srivastava et al., 2017), PacGAN (Lin et al.,
2018) and R3GAN (Huang et al., 2024): 1,000 modes, the triples of digits 000-999. As in the
PacGAN code, the digits are drawn uniformly, with replacement, from all 70,000 MNIST images
(the training and test splits together), and the training set holds 128,000 stacked images.
The label of an image is its mode, ``100 * d0 + 10 * d1 + d2``.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.data.registry import Dataset, register_dataset
from ganlib.data.mnist import load_mnist

__all__ = ["STACKED_MODES", "load_stacked_mnist"]

STACKED_MODES = 1000
"""The number of modes of Stacked MNIST."""


def load_stacked_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    image_size: int = 32,
    size: int = 128_000,
    seed: int = 0,
    download: bool = False,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor]:
    """Build Stacked MNIST from the MNIST files.

    Args:
        root: Directory containing ``MNIST/raw`` (see :func:`~ganlib.data.load_mnist`).
        image_size: Side of the images (28 and 32 are the protocol papers' sizes).
        size: Stacked images to build (128,000 in PacGAN).
        seed: Seed of the draw: the same seed gives the same data set.
        download: Download MNIST if it is missing.
        device: Where to put the result.

    Returns:
        Images ``(size, 3, image_size, image_size)`` in [-1, 1] and their modes ``(size,)``.

    Raises:
        ValueError: If ``size`` is not positive.
    """
    check_int("size", size, maximum=10_000_000, expected="a number of stacked images from 1 to 10,000,000")
    train, train_labels = load_mnist(root, image_size=image_size, download=download, return_labels=True)
    test, test_labels = load_mnist(root, image_size=image_size, train=False, download=download, return_labels=True)
    digits = torch.cat([train, test])[:, 0]
    labels = torch.cat([train_labels, test_labels])
    index = torch.randint(0, len(digits), (size, 3), generator=torch.Generator().manual_seed(seed))
    images = digits[index]  # (size, 3, H, W): each channel an independent digit
    modes = labels[index[:, 0]] * 100 + labels[index[:, 1]] * 10 + labels[index[:, 2]]
    if device is not None:
        images, modes = images.to(device), modes.to(device)
    return images, modes

# --- the data source, registered beside its loader ----------------------------------------------


def _stacked_mnist(
    root: str | os.PathLike[str] | None = None, image_size: PositiveInt = 32, download: bool = False, device: torch.device | str | None = None,
    size: PositiveInt = 128_000, seed: int = 0,
) -> Dataset:
    """Stacked MNIST: three MNIST digits as the channels of one image, 1,000 modes (PacGAN's 128,000 images)."""
    images, modes = load_stacked_mnist(root, image_size=image_size, size=size, seed=seed, download=download, device=device)
    return Dataset("stacked-mnist", images, modes, STACKED_MODES)


register_dataset(
    "stacked-mnist", _stacked_mnist,
    judge={"title": "Stacked-MNIST", "classes": STACKED_MODES, "against": "real Stacked MNIST (three test digits' features side by side)"},
)
