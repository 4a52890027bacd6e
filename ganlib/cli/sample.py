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
from ganlib.train import generate_samples, resolve_device

__all__ = ["add_parser", "noise_for"]


def noise_for(generator: torch.nn.Module, num: int, seed: int, device: torch.device) -> torch.Tensor:
    """``num`` noise vectors for ``generator`` from a seeded CPU generator, on ``device``."""
    rng = torch.Generator().manual_seed(seed)
    latent_dim = cast(int, generator.latent_dim)  # every ganlib generator has one
    return torch.randn(num, latent_dim, generator=rng).to(device)


def run(args: argparse.Namespace) -> int:
    """Draw the samples; returns the exit status."""
    suffix = args.out.suffix.lower()
    if suffix not in (".pt", ".png"):
        raise ValueError(f"--out {args.out}: expected a .pt (tensor) or .png (grid) file")
    device = resolve_device(args.device)
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    print(f"sampling {args.num} images with the {'EMA' if used_ema else 'raw'} generator weights from {args.checkpoint}", file=sys.stderr)
    images = generate_samples(generator, noise_for(generator, args.num, args.seed, device)).cpu()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pt":
        torch.save(images, args.out)
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
    sample.set_defaults(run=run)
