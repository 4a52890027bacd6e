"""MNIST and Fashion-MNIST for GANs: read once with torchvision, resized and scaled to [-1, 1] in one tensor."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.data.registry import Dataset, register_dataset

if TYPE_CHECKING:
    from torchvision import datasets

__all__ = [
    "DATA_ENV_VAR",
    "DEFAULT_DATA_ROOT",
    "DataNotFoundError",
    "MNISTNotFoundError",
    "load_fashion_mnist",
    "load_mnist",
    "parse_digits",
    "preprocess",
    "resolve_data_root",
]

DATA_ENV_VAR = "GANLIB_DATA"
"""Environment variable naming the data root when no ``root`` is passed."""

DEFAULT_DATA_ROOT = Path("~/.cache/ganlib/datasets")
"""Data root used when neither ``root`` nor ``$GANLIB_DATA`` is given."""

_RAW_SIZES = {
    "train-images-idx3-ubyte": 16 + 60000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60000,
    "t10k-images-idx3-ubyte": 16 + 10000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10000,
}
"""Byte sizes of the four uncompressed IDX files (header plus data)."""

_T = TypeVar("_T")


class DataNotFoundError(FileNotFoundError):
    """A data set's files are not where ganlib looked for them, or ``--download`` could not fetch them."""


MNISTNotFoundError = DataNotFoundError
"""0.2's name for :class:`DataNotFoundError` (the same class), kept working."""


class _DigitsError(ValueError, argparse.ArgumentTypeError):
    """A ValueError that argparse also reports verbatim when ``parse_digits`` is a ``type=``."""


def resolve_data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The data root: ``root`` if given, else ``$GANLIB_DATA``, else :data:`DEFAULT_DATA_ROOT`.

    Args:
        root: An explicit root directory (the one that contains ``MNIST/raw``).

    Returns:
        The expanded path.
    """
    if root is None:
        root = os.environ.get(DATA_ENV_VAR) or DEFAULT_DATA_ROOT
    return Path(root).expanduser()


def _prepare_raw_files(raw: Path) -> list[str]:
    """Extract ``.gz``-only files in place and check every file's size; return the missing ones.

    torchvision's MNIST reads the four uncompressed files and needs all four, whichever split
    is asked for.

    Raises:
        ValueError: If a file exists with the wrong size (truncated or not MNIST), naming it.
    """
    from torchvision.datasets.utils import extract_archive

    missing = []
    for name, size in _RAW_SIZES.items():
        path, packed = raw / name, raw / f"{name}.gz"
        if not path.exists() and packed.exists():
            extract_archive(str(packed), str(raw))
        if not path.exists():
            missing.append(name)
        elif path.stat().st_size != size:
            raise ValueError(
                f"{path} has {path.stat().st_size:,} bytes but the MNIST file has {size:,}: it is truncated or "
                "not the original IDX file; delete it and copy it again (or pass download=True / --download)"
            )
    return missing


def parse_digits(text: str) -> list[int] | None:
    """Parse a command-line digit selection such as ``"3"``, ``"0,1,2"`` or ``"all"``.

    Args:
        text: Comma-separated digits, or ``"all"``.

    Returns:
        The sorted digits, or ``None`` for all of them (what :func:`load_mnist` takes).

    Raises:
        ValueError: If a part is not a digit from 0 to 9.

    Example:
        >>> parse_digits("3,1,3"), parse_digits("all")
        ([1, 3], None)
    """
    if text.strip().lower() == "all":
        return None
    try:
        return _check_digits(int(part) for part in text.split(","))
    except ValueError:
        raise _DigitsError(f"digits {text!r} are invalid; expected digits 0-9 like 3 or 0,1,2, or 'all'") from None


def _check_digits(digits: Iterable[int] | None) -> list[int] | None:
    if digits is None:
        return None
    chosen = sorted(set(digits))
    if not chosen or any(isinstance(d, bool) or d not in range(10) for d in chosen):
        raise ValueError(f"digits={digits!r} is invalid; expected a non-empty selection of 0..9")
    return chosen


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    image_size: int = 64,
    digits: Iterable[int] | None = None,
    train: bool = True,
    download: bool = False,
    device: torch.device | str | None = None,
    return_labels: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Load MNIST as one float tensor in [-1, 1], resized to ``image_size``.

    The exercise's preprocessing (resize the 28x28 digits, then normalize with mean 0.5 and
    std 0.5) is applied once to the whole set, with torchvision's transforms on the batch,
    so training steps only index into a tensor. 60,000 images at 64x64 take 0.98 GB.

    Args:
        root: Directory containing ``MNIST/raw``; defaults to ``$GANLIB_DATA``, then
            ``~/.cache/ganlib/datasets``.
        image_size: Output height and width (bilinear resize with antialiasing).
        digits: Keep only these classes, e.g. ``[3]``; all ten when ``None``.
        train: The 60,000-image training split, or the 10,000-image test split.
        download: Download the files if missing (needs the network).
        device: Where to put the result; the CPU when ``None``.
        return_labels: Also return the labels.

    Returns:
        Images of shape ``(M, 1, image_size, image_size)``, and labels of shape ``(M,)`` when
        ``return_labels`` is true.

    Raises:
        DataNotFoundError: If the files are missing and ``download`` is false; the message
            names the missing files, says where ganlib looked and how to provide them.
        ValueError: If a file is truncated (the message names it; ``.gz``-only files are
            extracted in place first), or ``digits`` or ``image_size`` is invalid.
    """
    from torchvision import datasets

    return _load_idx(datasets.MNIST, "MNIST", root, image_size, digits, train, download, device, return_labels)


def load_fashion_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    image_size: int = 64,
    classes: Iterable[int] | None = None,
    train: bool = True,
    download: bool = False,
    device: torch.device | str | None = None,
    return_labels: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Load Fashion-MNIST (Xiao et al., 2017) as :func:`load_mnist` loads MNIST.

    Ten classes of 28x28 grey clothing images in MNIST's file format (``FashionMNIST/raw``):
    0 T-shirt, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag,
    9 ankle boot.

    Args:
        root: Directory containing ``FashionMNIST/raw``; defaults as in :func:`load_mnist`.
        image_size: Output height and width.
        classes: Keep only these classes; all ten when ``None``.
        train: The 60,000-image training split, or the 10,000-image test split.
        download: Download the files if missing (needs the network).
        device: Where to put the result.
        return_labels: Also return the labels.

    Returns:
        Images ``(M, 1, image_size, image_size)`` in [-1, 1] (and labels ``(M,)``).

    Raises:
        DataNotFoundError: If the files are missing and ``download`` is false.
        ValueError: If a file is truncated, or an argument is invalid.
    """
    from torchvision import datasets

    return _load_idx(datasets.FashionMNIST, "FashionMNIST", root, image_size, classes, train, download, device, return_labels)


def _load_idx(
    dataset_class: type[datasets.MNIST],
    folder: str,
    root: str | os.PathLike[str] | None,
    image_size: int,
    classes: Iterable[int] | None,
    train: bool,
    download: bool,
    device: torch.device | str | None,
    return_labels: bool,
) -> Tensor | tuple[Tensor, Tensor]:
    chosen = _check_digits(classes)
    check_int("image_size", image_size)
    root_path = resolve_data_root(root)
    raw = root_path / folder / "raw"
    missing = _prepare_raw_files(raw) if raw.is_dir() else list(_RAW_SIZES)
    if missing and not download:
        raise DataNotFoundError(
            f"{folder} was not found: {', '.join(missing)} (or .gz) missing from {raw}. Put the four "
            f"original IDX files in ROOT/{folder}/raw and give --data-root ROOT (or set {DATA_ENV_VAR}=ROOT; "
            f"in Python, root=ROOT), or add --download to fetch them (in Python, download=True)."
        )
    dataset = _download(dataset_class, folder, root_path, train) if missing else dataset_class(str(root_path), train=train, download=False)
    images, labels = dataset.data, dataset.targets
    if chosen is not None:
        keep = torch.isin(labels, torch.tensor(chosen))
        images, labels = images[keep], labels[keep]
    images = preprocess(images.unsqueeze(1), image_size).to(device)
    return (images, labels.to(device)) if return_labels else images


def _download(dataset_class: type[datasets.MNIST], folder: str, root: Path, train: bool) -> datasets.MNIST:
    raw = root / folder / "raw"
    files = ", ".join(f"{name}.gz" for name in _RAW_SIZES)
    return download_or_explain(
        lambda: dataset_class(str(root), train=train, download=True), folder, (raw, root / folder, root, *_default_parents(root)),
        f"Without a network, copy its four files ({files}, or the unpacked ones) into {raw} yourself, or point "
        f"--data-root (or {DATA_ENV_VAR}) at a directory that holds {folder}/raw",
    )


def _default_parents(root: Path) -> tuple[Path, ...]:
    """``~/.cache/ganlib`` when ``root`` is the default data root: a failed download removes it too, if it made it."""
    default = DEFAULT_DATA_ROOT.expanduser()
    return (default.parent,) if root.expanduser().resolve() == default.resolve() else ()


def download_or_explain(fetch: Callable[[], _T], name: str, folders: Sequence[Path], advice: str) -> _T:
    """Run a torchvision download; a failure (no network, a mirror down) becomes one line.

    Whatever the attempt created is removed first: new files in ``folders`` (a partial
    download) and those of ``folders`` it created that are left empty.

    Args:
        fetch: Builds the torchvision data set with ``download=True``.
        name: The data set, for the message.
        folders: Where the download writes, deepest first.
        advice: What to do instead, for the message.

    Returns:
        What ``fetch`` returns.

    Raises:
        DataNotFoundError: If ``fetch`` fails; the message gives the reason's last line and ``advice``.
    """
    existed = {p for p in folders if p.exists()}
    before = {p: set(p.iterdir()) for p in folders if p.is_dir()}
    try:
        return fetch()
    except Exception as error:  # torchvision raises RuntimeError, URLError, HTTPError, OSError
        for folder in folders:
            for path in (set(folder.iterdir()) if folder.is_dir() else set()) - before.get(folder, set()):
                if path.is_file() or path.is_symlink():
                    path.unlink(missing_ok=True)
            if folder not in existed and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        reason = str(error).strip().splitlines()[-1][:200] if str(error).strip() else type(error).__name__
        raise DataNotFoundError(f"--download could not fetch {name} ({reason}). {advice}") from None


def preprocess(images: Tensor, image_size: int) -> Tensor:
    """Resize uint8 images ``(N, C, H, W)`` to ``image_size`` and scale them to [-1, 1], once.

    Args:
        images: ``uint8`` images.
        image_size: The output side (the shorter side is resized, then the center is cropped).

    Returns:
        Float images ``(N, C, image_size, image_size)`` in [-1, 1].
    """
    from torchvision.transforms import v2

    transform = v2.Compose(
        [
            v2.Resize(image_size, antialias=True),
            v2.CenterCrop(image_size),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize([0.5] * images.shape[1], [0.5] * images.shape[1]),
        ]
    )
    return transform(images)


# --- the data source, registered beside its loader ----------------------------------------------


def _subset(images: Tensor, labels: Tensor, limit: int | None, seed: int) -> tuple[Tensor, Tensor]:
    """A fixed random subset of ``limit`` samples (the small-data setting augmentation is for)."""
    if limit is None:
        return images, labels
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= len(images):
        raise ValueError(f"limit={limit!r} is invalid; expected a number of training images from 1 to {len(images)}")
    keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:limit].sort().values.to(images.device)
    return images[keep], labels[keep]


def _ten_classes(name: str, loaded: Tensor | tuple[Tensor, Tensor], classes: list[int] | None, limit: int | None, seed: int) -> Dataset:
    """One of the two ten-class IDX sets as a :class:`Dataset`, ``limit`` images kept if given."""
    assert isinstance(loaded, tuple)
    images, labels = _subset(*loaded, limit, seed)
    return Dataset(name, images, labels, 10, classes=None if classes is None else tuple(classes))


def _mnist(
    root: str | os.PathLike[str] | None = None, image_size: PositiveInt = 64, classes: list[int] | None = None, download: bool = False,
    device: torch.device | str | None = None, limit: PositiveInt | None = None, subset_seed: int = 0,
) -> Dataset:
    """MNIST digits, 60,000 training images, resized (LeCun et al.); ``limit=N`` keeps a fixed random N."""
    loaded = load_mnist(root, image_size=image_size, digits=classes, download=download, device=device, return_labels=True)
    return _ten_classes("mnist", loaded, classes, limit, subset_seed)


def _fashion_mnist(
    root: str | os.PathLike[str] | None = None, image_size: PositiveInt = 64, classes: list[int] | None = None, download: bool = False,
    device: torch.device | str | None = None, limit: PositiveInt | None = None, subset_seed: int = 0,
) -> Dataset:
    """Fashion-MNIST, 60,000 training images of clothes (Xiao et al.); ``limit=N`` keeps a fixed random N."""
    loaded = load_fashion_mnist(root, image_size=image_size, classes=classes, download=download, device=device, return_labels=True)
    return _ten_classes("fashion-mnist", loaded, classes, limit, subset_seed)


# What the commands read of a source, declared where it is registered: ``judge`` says how the
# MNIST judge scores it (``during_training``: --eval-every applies), ``score`` is the score a
# study ranks by, ``study`` the settings a study fills in.
register_dataset("mnist", _mnist, judge={"title": "MNIST", "classes": 10, "during_training": True}, score="score/fid", study={"classes": [3], "image_size": 32})
register_dataset("fashion-mnist", _fashion_mnist)
