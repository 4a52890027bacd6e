"""Command-line interface: ``python -m ganlib sample ...`` (and ``ganlib sample ...``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torchvision.utils import save_image

from ganlib.train import generate_samples, load_generator, resolve_device

__all__ = ["main"]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def _sample(args: argparse.Namespace) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".pt", ".png"):
        print(f"error: --out {args.out}: expected a .pt (tensor) or .png (grid) file", file=sys.stderr)
        return 2
    device = resolve_device(args.device)
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    print(f"sampling {args.num} images with the {'EMA' if used_ema else 'raw'} generator weights from {args.checkpoint}", file=sys.stderr)
    rng = torch.Generator().manual_seed(args.seed)
    noise = torch.randn(args.num, generator.latent_dim, generator=rng).to(device)
    images = generate_samples(generator, noise).cpu()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pt":
        torch.save(images, args.out)
    else:
        save_image(images, args.out, nrow=args.nrow, normalize=True, value_range=(-1, 1))
    print(f"wrote {tuple(images.shape)} to {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``ganlib`` command-line parser."""
    parser = argparse.ArgumentParser(prog="python -m ganlib", description="ganlib command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    sample.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file or run directory")
    sample.add_argument("--num", type=_positive, default=64, help="number of samples")
    sample.add_argument("--out", type=Path, required=True, help=".pt: N x C x H x W tensor in [-1, 1]; .png: a grid")
    sample.add_argument("--nrow", type=_positive, default=8, help="grid columns for .png output")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise")
    sample.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    sample.set_defaults(run=_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
