"""More image data sets: CIFAR-10 and any folder of images, preprocessed once into a tensor."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import numpy as np

import torch
from torch import Tensor
from PIL import Image, UnidentifiedImageError

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.data.registry import Dataset, register_dataset
from ganlib.data.mnist import DATA_ENV_VAR, DataNotFoundError, download_or_explain, preprocess, resolve_data_root

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
        DataNotFoundError: If the files are missing and ``download`` is false.
    """
    check_int("image_size", image_size)
    root_path = resolve_data_root(root)
    if not download and not (root_path / "cifar-10-batches-py").is_dir():
        raise DataNotFoundError(
            f"CIFAR-10 was not found: no cifar-10-batches-py in {root_path}; unpack the Python version of the "
            f"data set in a folder ROOT and give --data-root ROOT (or set {DATA_ENV_VAR}=ROOT; in Python, root=ROOT), "
            "or add --download to fetch it (in Python, download=True)"
        )
    from torchvision import datasets  # seconds to import: only where a data set is read

    if download:
        dataset = download_or_explain(
            lambda: datasets.CIFAR10(str(root_path), train=train, download=True), "CIFAR-10", (root_path,),
            f"Without a network, unpack cifar-10-python.tar.gz (the Python version) into {root_path} yourself, "
            "or point --data-root (or GANLIB_DATA) at a directory that holds cifar-10-batches-py",
        )
    else:
        dataset = datasets.CIFAR10(str(root_path), train=train, download=False)
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2)  # (N, 32, 32, 3) uint8 -> NCHW
    labels = torch.tensor(dataset.targets)
    if classes is not None:
        keep = torch.isin(labels, torch.tensor(classes))
        images, labels = images[keep], labels[keep]
    return preprocess(images, image_size).to(device), labels.to(device)


def _regular_image(path: Path) -> bool:
    """An image file by its ending that is a regular file (a named pipe or a device would block
    or never end), not hidden (``.DS_Store``, ``._name.png`` of macOS)."""
    if path.name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES:
        return False
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:  # a dangling link
        return False


def _skipped_files(paths: list[Path]) -> list[Path]:
    """Image-named entries that are not regular files, to be named in a warning."""
    out = []
    for path in paths:
        if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and not _regular_image(path):
            out.append(path)
    return out


def _images_in(folder: Path) -> tuple[list[Path], list[Path]]:
    """The regular image files under ``folder`` (recursively, outside hidden folders), and the skipped ones."""
    found, skipped = [], []
    for entry in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in entry.relative_to(folder).parts[:-1]):
            continue  # inside a hidden folder such as .ipynb_checkpoints
        if _regular_image(entry):
            found.append(entry)
        else:
            skipped += _skipped_files([entry])
    return found, skipped


def _read(file: Path, mode: str) -> Tensor:
    """One image as a uint8 tensor ``(C, H, W)``, 16-bit and 32-bit integer greys scaled to 8 bits."""
    from torchvision.transforms.v2.functional import pil_to_tensor  # seconds at first import: only here

    try:
        with Image.open(file) as opened:
            if opened.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
                # 16-bit greys (PNG, TIFF): PIL's convert() to 8 bits would clip them to white.
                values = np.asarray(opened, dtype=np.float64)
                top = 65535.0 if opened.mode != "I" or values.max() > 255 else 255.0
                opened = Image.fromarray(np.clip(np.rint(values / top * 255.0), 0, 255).astype(np.uint8))
            return pil_to_tensor(opened.convert(mode))
    except Image.DecompressionBombError as error:
        raise ValueError(f"{file} is refused as a decompression bomb ({error}); if the image is genuine, raise PIL.Image.MAX_IMAGE_PIXELS") from None
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ValueError(f"{file} cannot be decoded as an image ({error})") from None


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

    The rules, stated so that nothing is trained on silently by mistake:

    * a **class** is a sub-folder whose name does not start with a dot and that holds at least
      one image (searched recursively, outside hidden folders); hidden sub-folders
      (``.ipynb_checkpoints``) and sub-folders without images are ignored, with a warning
      naming them; with classes, images lying directly in the folder are ignored, with a
      warning;
    * an **image** is a regular file with one of :data:`IMAGE_SUFFIXES` whose name does not start
      with a dot; anything else with such a name (a named pipe, a socket, a broken link) is
      skipped with a warning instead of being opened;
    * 8-bit images are read as they are; 16-bit greys are scaled by 255/65535 (not clipped);
    * an image larger than PIL's decompression-bomb limit is refused, named.

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
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir())
    hidden = [p.name for p in subfolders if p.name.startswith(".")]
    candidates = {p.name: _images_in(p) for p in subfolders if not p.name.startswith(".")}
    classes = sorted(name for name, (found, _) in candidates.items() if found)
    empty = sorted(name for name, (found, _) in candidates.items() if not found)
    skipped = [s for _, (_, skip) in candidates.items() for s in skip]
    top = sorted(p for p in folder.iterdir() if not p.is_dir())
    files: list[tuple[Path, int | None]] = []
    if classes:
        for index, name in enumerate(classes):
            files += [(f, index) for f in candidates[name][0]]
        loose = [p.name for p in top if _regular_image(p)]
        if loose:
            warnings.warn(f"folder:{folder}: {len(loose)} image(s) beside the class sub-folders are ignored ({', '.join(loose[:3])}{', ...' if len(loose) > 3 else ''})", stacklevel=2)
    else:
        files = [(f, None) for f in top if _regular_image(f)]
    skipped += _skipped_files(top)
    if hidden:
        warnings.warn(f"folder:{folder}: hidden sub-folders ignored: {', '.join(hidden)}", stacklevel=2)
    if empty and (classes or files):
        warnings.warn(f"folder:{folder}: sub-folders without images ignored: {', '.join(empty)}", stacklevel=2)
    if skipped:
        warnings.warn(f"folder:{folder}: skipped {len(skipped)} entry(ies) that are not regular files: {', '.join(map(str, skipped[:3]))}", stacklevel=2)
    if not files:
        where = f"; its sub-folders {', '.join(empty)} hold none either" if empty else ""
        raise FileNotFoundError(f"folder:{folder} holds no images ({', '.join(IMAGE_SUFFIXES)}), directly or in class sub-folders{where}")
    mode = "RGB" if channels == 3 else "L"
    images = [preprocess(_read(file, mode).unsqueeze(0), image_size) for file, _ in files]
    labels = torch.tensor([label for _, label in files]).to(device) if classes else None
    return torch.cat(images).to(device), labels

# --- the data source, registered beside its loader ----------------------------------------------


def _cifar10(root: str | os.PathLike[str] | None = None, image_size: PositiveInt = 32, classes: list[int] | None = None, download: bool = False, device: torch.device | str | None = None) -> Dataset:
    """CIFAR-10, 50,000 training images in 10 classes (Krizhevsky)."""
    images, labels = load_cifar10(root, image_size=image_size, classes=classes, download=download, device=device)
    return Dataset("cifar10", images, labels, 10, classes=None if classes is None else tuple(classes))


def _folder(path: str, image_size: PositiveInt = 64, channels: PositiveInt = 3, device: torch.device | str | None = None) -> Dataset:
    """Any directory of images (sub-directories are classes)."""
    images, labels = load_folder(path, image_size=image_size, channels=channels, device=device)
    count = None if labels is None else int(labels.max()) + 1
    return Dataset(f"folder:{path}", images, labels, count)


register_dataset("cifar10", _cifar10)
register_dataset("folder", _folder, argument="path")
