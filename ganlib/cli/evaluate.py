"""``python -m ganlib evaluate``: score MNIST samples with the offline judge."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from ganlib.cli.arguments import positive_int
from ganlib.cli.sample import add_latent_arguments, class_labels, noise_for
from ganlib.metrics.mnist import MNISTEvaluation, MNISTEvaluator
from ganlib.models import load_generator
from ganlib.models import generate_samples
from ganlib.train.device import resolve_device

__all__ = ["add_parser", "format_table"]


def format_table(result: MNISTEvaluation) -> str:
    """The evaluation as an aligned table of text."""
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


def per_class(args: argparse.Namespace, device: torch.device) -> int:
    """For a conditional generator: how often the judge recognizes each asked-for class."""
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    classes = getattr(generator, "num_classes", None)
    if classes is None:
        raise ValueError("--per-class needs a conditional generator (trained with --conditional)")
    evaluator = MNISTEvaluator(device)
    rows = []
    for k in range(classes):
        labels = class_labels(generator, k, args.num)
        images = generate_samples(generator, noise_for(generator, args.num, args.seed + k, device, args), labels=labels).cpu()
        _, probabilities, _ = evaluator.embed(images)
        rows.append({"class": k, "accuracy": float((probabilities.argmax(1) == k).float().mean()), "confidence": float(probabilities.max(1).values.mean())})
    mean = sum(r["accuracy"] for r in rows) / len(rows)
    if args.json:
        print(json.dumps({"per_class": rows, "mean_accuracy": mean, "weights": "EMA" if used_ema else "raw"}, indent=2))
    else:
        print(f"the judge's accuracy on {args.num} samples of each class ({'EMA' if used_ema else 'raw'} weights)")
        for row in rows:
            print(f"  class {row['class']}: {100 * row['accuracy']:5.1f}% classified as asked (mean confidence {row['confidence']:.3f})")
        print(f"  mean: {100 * mean:.1f}%")
    return 0


def run(args: argparse.Namespace) -> int:
    """Evaluate; returns the exit status."""
    device = resolve_device(args.device)
    if args.per_class:
        if args.checkpoint is None:
            raise ValueError("--per-class samples a conditional generator: give --checkpoint")
        return per_class(args, device)
    if args.samples is not None:
        images = torch.load(args.samples, map_location="cpu", weights_only=True)
        if not isinstance(images, torch.Tensor):
            raise ValueError(f"--samples {args.samples}: expected a saved tensor of shape (N, 1, H, W), got {type(images).__name__}")
        source = str(args.samples)
    else:
        generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
        labels = class_labels(generator, args.class_, args.num)
        images = generate_samples(generator, noise_for(generator, args.num, args.seed, device, args), labels=labels).cpu()
        source = f"{args.checkpoint} ({'EMA' if used_ema else 'raw'} weights, {args.num} samples)"
    print(f"evaluating {source}", file=sys.stderr)
    result = MNISTEvaluator(device).evaluate(images, digit=args.digit, kid_subsets=args.kid_subsets)
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_table(result))
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` command."""
    evaluate = commands.add_parser("evaluate", help="score MNIST samples offline: FID, KID, IS, mode coverage")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", type=Path, help=".pt tensor of shape (N, 1, H, W) in [-1, 1] (make one with `ganlib sample --out x.pt`)")
    source.add_argument("--checkpoint", type=Path, help="checkpoint file or run directory to sample from")
    evaluate.add_argument("--num", type=positive_int, default=10000, help="samples to draw from --checkpoint")
    evaluate.add_argument("--digit", type=int, choices=range(10), default=None, help="compare with this digit's test images")
    evaluate.add_argument("--kid-subsets", type=positive_int, default=100, help="random subsets for KID")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the noise for --checkpoint")
    evaluate.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    evaluate.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    evaluate.add_argument("--class", dest="class_", type=int, default=None, metavar="K", help="sample class K of a conditional generator (compare with --digit K)")
    evaluate.add_argument("--per-class", action="store_true", help="conditional generators: the judge's accuracy on --num samples of each class")
    add_latent_arguments(evaluate)
    evaluate.set_defaults(run=run)
