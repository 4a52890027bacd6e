"""More image data sets: CIFAR-10 and any folder of images, preprocessed once into a tensor."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor
from PIL import Image, UnidentifiedImageError
from torchvision import datasets
from torchvision.transforms.v2.functional import pil_to_tensor

from ganlib._validation import check_int
from ganlib.data.mnist import MNISTNotFoundError, preprocess, resolve_data_root

__all__ = ["IMAGE_SUFFIXES", "load_cifar10", "load_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
"""File endings :func:`load_folder` reads."""


def load_cifar10(
    root: str | os.PathLike[str] | None = None,
    *,
    image_size: int = 32,
    classes: list[int] | None = None,
    train: bool = True,
    download: bool = False,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor]:
    """Load CIFAR-10 (Krizhevsky, 2009) with torchvision, as RGB images in [-1, 1].

    Args:
        root: Directory containing ``cifar-10-batches-py``; defaults as in
            :func:`~ganlib.data.load_mnist`.
        image_size: Output side (32 is native).
        classes: Keep only these classes (0 airplane ... 9 truck); all when ``None``.
        train: The 50,000-image training split or the 10,000-image test split.
        download: Download the archive if missing (needs the network).
        device: Where to put the result.

    Returns:
        Images ``(M, 3, image_size, image_size)`` and labels ``(M,)``.

    Raises:
        MNISTNotFoundError: If the files are missing and ``download`` is false.
    """
    check_int("image_size", image_size)
    root_path = resolve_data_root(root)
    if not download and not (root_path / "cifar-10-batches-py").is_dir():
        raise MNISTNotFoundError(
            f"CIFAR-10 was not found: no cifar-10-batches-py in {root_path}; unpack the Python version of the "
            "data set there, or pass download=True (--download) to fetch it"
        )
    dataset = datasets.CIFAR10(str(root_path), train=train, download=download)
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2)  # (N, 32, 32, 3) uint8 -> NCHW
    labels = torch.tensor(dataset.targets)
    if classes is not None:
        keep = torch.isin(labels, torch.tensor(classes))
        images, labels = images[keep], labels[keep]
    return preprocess(images, image_size).to(device), labels.to(device)


def load_folder(
    path: str | os.PathLike[str],
    *,
    image_size: int = 64,
    channels: int = 3,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Load every image in a folder (a face data set, say), resized and center-cropped.

    With sub-folders the layout is :class:`torchvision.datasets.ImageFolder`'s: one sub-folder
    per class, and labels are returned. A flat folder gives images without labels. Each image
    is read with PIL (as torchvision's ``ImageFolder`` reads it), its shorter side resized to
    ``image_size`` and its center cropped square.

    Args:
        path: The folder.
        image_size: Output side.
        channels: 3 (RGB) or 1 (grey).
        device: Where to put the result.

    Returns:
        Images ``(M, channels, image_size, image_size)`` in [-1, 1], and labels ``(M,)`` or ``None``.

    Raises:
        FileNotFoundError: If the folder does not exist or holds no images (the message names it).
        ValueError: If ``channels`` is not 1 or 3, or a file cannot be decoded (named).
    """
    folder = Path(path).expanduser()
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is invalid; expected 1 (grey) or 3 (RGB)")
    if not folder.is_dir():
        raise FileNotFoundError(f"folder:{folder}: no such directory")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    files: list[tuple[Path, int | None]] = []
    if classes:
        for index, name in enumerate(classes):
            files += [(f, index) for f in sorted((folder / name).rglob("*")) if f.suffix.lower() in IMAGE_SUFFIXES]
    else:
        files = [(f, None) for f in sorted(folder.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise FileNotFoundError(f"folder:{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}), directly or in class sub-folders")
    mode = "RGB" if channels == 3 else "L"
    images = []
    for file, _ in files:
        try:
            with Image.open(file) as opened:
                image = pil_to_tensor(opened.convert(mode))
        except (OSError, UnidentifiedImageError) as error:
            raise ValueError(f"{file} cannot be decoded as an image ({error})") from None
        images.append(preprocess(image.unsqueeze(0), image_size))
    labels = torch.tensor([label for _, label in files]).to(device) if classes else None
    return torch.cat(images).to(device), labels
