"""Command-line interface: ``python -m ganlib sample|evaluate ...`` (also installed as ``ganlib``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import torch
from torchvision.utils import save_image

from ganlib.metrics.mnist import MNISTEvaluation, MNISTEvaluator
from ganlib.models import load_generator
from ganlib.train import generate_samples, resolve_device

__all__ = ["main"]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def _latent_dim(generator: torch.nn.Module) -> int:
    return int(cast(int, generator.latent_dim))


def _sample(args: argparse.Namespace) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".pt", ".png"):
        print(f"error: --out {args.out}: expected a .pt (tensor) or .png (grid) file", file=sys.stderr)
        return 2
    device = resolve_device(args.device)
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    print(f"sampling {args.num} images with the {'EMA' if used_ema else 'raw'} generator weights from {args.checkpoint}", file=sys.stderr)
    rng = torch.Generator().manual_seed(args.seed)
    noise = torch.randn(args.num, _latent_dim(generator), generator=rng).to(device)
    images = generate_samples(generator, noise).cpu()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pt":
        torch.save(images, args.out)
    else:
        save_image(images, args.out, nrow=args.nrow, normalize=True, value_range=(-1, 1))
    print(f"wrote {tuple(images.shape)} to {args.out}", file=sys.stderr)
    return 0


def _format_table(result: MNISTEvaluation) -> str:
    against = "the MNIST test set" if result.digit is None else f"the test images of digit {result.digit}"
    against += f" (reference at {result.reference_size}x{result.reference_size})"
    histogram = "  ".join(f"{d}:{100 * v:.1f}%" for d, v in enumerate(result.class_histogram))
    rows = [
        ("FID", f"{result.fid:.3f}"),
        ("KID", f"{result.kid.mean:.5f} ± {result.kid.std:.5f}"),
        ("Inception Score", f"{result.inception_score.mean:.3f} ± {result.inception_score.std:.3f}  (max 10)"),
        ("classes covered", f"{result.classes_covered} / 10"),
        ("KL(hist || uniform)", f"{result.kl_to_uniform:.4f}  (0 balanced, 2.30 one class)"),
        ("mean confidence", f"{result.mean_confidence:.4f}"),
        ("class histogram", histogram),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"MNIST evaluation of {result.num_samples} samples against {against}"]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def _evaluate(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    if args.samples is not None:
        images = torch.load(args.samples, map_location="cpu", weights_only=True)
        if not isinstance(images, torch.Tensor):
            raise ValueError(f"--samples {args.samples}: expected a saved tensor of shape (N, 1, H, W), got {type(images).__name__}")
        source = str(args.samples)
    else:
        generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
        rng = torch.Generator().manual_seed(args.seed)
        images = generate_samples(generator, torch.randn(args.num, _latent_dim(generator), generator=rng).to(device)).cpu()
        source = f"{args.checkpoint} ({'EMA' if used_ema else 'raw'} weights, {args.num} samples)"
    print(f"evaluating {source}", file=sys.stderr)
    result = MNISTEvaluator(device).evaluate(images, digit=args.digit, kid_subsets=args.kid_subsets)
    print(json.dumps(result.to_dict(), indent=2) if args.json else _format_table(result))
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

    evaluate = commands.add_parser("evaluate", help="score MNIST samples offline: FID, KID, IS, mode coverage")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", type=Path, help=".pt tensor of shape (N, 1, H, W) in [-1, 1]")
    source.add_argument("--checkpoint", type=Path, help="checkpoint file or run directory to sample from")
    evaluate.add_argument("--num", type=_positive, default=10000, help="samples to draw from --checkpoint")
    evaluate.add_argument("--digit", type=int, choices=range(10), default=None, help="compare with this digit's test images")
    evaluate.add_argument("--kid-subsets", type=_positive, default=100, help="random subsets for KID")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the noise for --checkpoint")
    evaluate.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    evaluate.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
