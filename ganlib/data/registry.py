"""Every data source by name, as the ``train`` command and scripts ask for them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ganlib.data.batches import TensorBatches
from ganlib.data.images import load_cifar10, load_folder
from ganlib.data.mnist import load_fashion_mnist, load_mnist
from ganlib.data.toys import TOYS, ToyStream

__all__ = ["DATASETS", "Dataset", "load_dataset"]

DATASETS: tuple[str, ...] = ("mnist", "fashion-mnist", "cifar10", "folder:PATH", *TOYS)
"""The data set names :func:`load_dataset` accepts."""


@dataclass(frozen=True)
class Dataset:
    """A loaded data set.

    Attributes:
        name: Its name, e.g. ``"mnist"`` or ``"8gaussians"``.
        images: All samples ``(M, C, H, W)`` in [-1, 1] (images), or ``None`` for a toy.
        labels: Class labels ``(M,)``, or ``None``.
        num_classes: Number of classes when there are labels.
        toy: The toy's name for 2-D toy data, else ``None``.
    """

    name: str
    images: Tensor | None
    labels: Tensor | None
    num_classes: int | None
    toy: str | None = None

    @property
    def channels(self) -> int:
        """Image channels (2-D toys have none: 0)."""
        return 0 if self.images is None else int(self.images.shape[1])

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one sample: ``(C, H, W)``, or ``(2,)`` for a toy."""
        return (2,) if self.images is None else tuple(self.images.shape[1:])

    def stream(self, batch_size: int, *, seed: int = 0, rank: int = 0, world_size: int = 1, labels: bool = False) -> Iterator[Any]:
        """Endless, resumable batches of this data set.

        Args:
            batch_size: Samples per batch (per process).
            seed: Seed of the shuffling (images) or of the sampler (toys).
            rank: This process's rank: images are sharded, toys seeded per rank.
            world_size: The number of processes.
            labels: Yield ``(images, labels)`` pairs (images only).

        Returns:
            A :class:`TensorBatches` for images, a :class:`ToyStream` for toys.
        """
        if self.toy is not None:
            return ToyStream(self.toy, batch_size, seed=seed + rank, device=None)
        assert self.images is not None
        return TensorBatches(self.images, batch_size, labels=self.labels if labels else None, seed=seed, rank=rank, world_size=world_size)


def load_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    image_size: int = 64,
    classes: list[int] | None = None,
    channels: int = 3,
    download: bool = False,
    device: torch.device | str | None = None,
) -> Dataset:
    """Load a data set by name.

    Args:
        name: ``mnist``, ``fashion-mnist``, ``cifar10``, ``folder:PATH`` (any directory of images),
            or a toy (``harmonic``, ``8gaussians``, ``25gaussians``, ``swissroll``, ``ring``).
        root: The data root for the torchvision data sets (see :func:`~ganlib.data.resolve_data_root`).
        image_size: Side of the images.
        classes: Keep only these classes (labelled data sets).
        channels: Channels of ``folder:`` images (3 or 1).
        download: Download missing files through torchvision (not for folders and toys).
        device: Where to put the tensors.

    Returns:
        The :class:`Dataset`.

    Raises:
        ValueError: If ``name`` is unknown (the valid names are listed).
    """
    if name in TOYS:
        return Dataset(name, None, None, None, toy=name)
    if name == "mnist":
        images, labels = load_mnist(root, image_size=image_size, digits=classes, download=download, device=device, return_labels=True)
        return Dataset(name, images, labels, 10)
    if name == "fashion-mnist":
        images, labels = load_fashion_mnist(root, image_size=image_size, classes=classes, download=download, device=device, return_labels=True)
        return Dataset(name, images, labels, 10)
    if name == "cifar10":
        images, labels = load_cifar10(root, image_size=image_size, classes=classes, download=download, device=device)
        return Dataset(name, images, labels, 10)
    if name.startswith("folder:") and len(name) > len("folder:"):
        images, folder_labels = load_folder(name[len("folder:") :], image_size=image_size, channels=channels, device=device)
        count = None if folder_labels is None else int(folder_labels.max()) + 1
        return Dataset(name, images, folder_labels, count)
    raise ValueError(f"data {name!r} is unknown; valid names are {', '.join(map(repr, DATASETS))}")
