"""``python -m ganlib sample``: draw images from a checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

import torch
from torchvision.utils import save_image

from ganlib.cli.arguments import positive_int
from ganlib.models import load_generator
from ganlib.models import generate_samples
from ganlib.train.device import resolve_device

__all__ = ["add_parser", "class_labels", "noise_for"]


def noise_for(generator: torch.nn.Module, num: int, seed: int, device: torch.device) -> torch.Tensor:
    """``num`` noise vectors for ``generator`` from a seeded CPU generator, on ``device``."""
    rng = torch.Generator().manual_seed(seed)
    latent_dim = cast(int, generator.latent_dim)  # every ganlib generator has one
    return torch.randn(num, latent_dim, generator=rng).to(device)


def class_labels(generator: torch.nn.Module, chosen: int | None, num: int) -> torch.Tensor | None:
    """Labels for ``num`` samples of ``generator``: all ``chosen``, or cycling through the
    classes when ``chosen`` is ``None``; ``None`` for an unconditional generator.

    Raises:
        ValueError: If a class is asked of an unconditional generator, or is out of range.
    """
    classes = getattr(generator, "num_classes", None)
    if classes is None:
        if chosen is not None:
            raise ValueError(f"--class {chosen}: this generator is not conditional; train with --conditional to choose classes")
        return None
    if chosen is None:
        return torch.arange(num) % classes
    if not 0 <= chosen < classes:
        raise ValueError(f"--class {chosen} is invalid; this generator has classes 0 to {classes - 1}")
    return torch.full((num,), chosen, dtype=torch.long)


def run(args: argparse.Namespace) -> int:
    """Draw the samples; returns the exit status."""
    suffix = args.out.suffix.lower()
    if suffix not in (".pt", ".png"):
        raise ValueError(f"--out {args.out}: expected a .pt (tensor) or .png (grid) file")
    device = resolve_device(args.device)
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    print(f"sampling {args.num} images with the {'EMA' if used_ema else 'raw'} generator weights from {args.checkpoint}", file=sys.stderr)
    labels = class_labels(generator, args.class_, args.num)
    images = generate_samples(generator, noise_for(generator, args.num, args.seed, device), labels=labels).cpu()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pt":
        torch.save(images, args.out)
    elif images.ndim != 4:
        raise ValueError(f"--out {args.out}: this generator draws points of shape {tuple(images.shape[1:])}, not images; use a .pt file")
    else:
        save_image(images, args.out, nrow=args.nrow, normalize=True, value_range=(-1, 1))
    print(f"wrote {tuple(images.shape)} to {args.out}", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``sample`` command."""
    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    sample.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file or run directory")
    sample.add_argument("--num", type=positive_int, default=64, help="number of samples")
    sample.add_argument("--out", type=Path, required=True, help=".pt: N x C x H x W tensor in [-1, 1]; .png: a grid")
    sample.add_argument("--nrow", type=positive_int, default=8, help="grid columns for .png output")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise")
    sample.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    sample.add_argument("--class", dest="class_", type=int, default=None, metavar="K", help="draw class K of a conditional generator (default: every class in turn)")
    sample.set_defaults(run=run)
