"""``python -m ganlib evaluate``: score MNIST or Stacked-MNIST samples with the offline judge."""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import torch

from ganlib.cli.arguments import add_threads_argument, apply_threads, positive_int, seed
from ganlib.cli.sample import add_latent_arguments, class_labels, noise_for, trained_classes
from ganlib.metrics.mnist import MNISTEvaluation, MNISTEvaluator
from ganlib.metrics.scores import DEFAULT_METRICS, SAMPLE_METRICS, parse_metrics, score_samples
from ganlib.models import load_generator
from ganlib.models import generate_samples
from ganlib.train.device import resolve_device

__all__ = ["add_parser", "format_scores", "format_table"]


def format_table(result: MNISTEvaluation) -> str:
    """The evaluation as an aligned table of text."""
    return format_scores({"data": "mnist", **result.to_dict()})


def format_scores(scores: dict[str, object]) -> str:
    """Scores from :func:`~ganlib.metrics.score_samples` as an aligned table of text."""
    from ganlib.data import DATASETS

    data = str(scores.get("data", "mnist"))
    judge: dict[str, Any] = dict(DATASETS.entry(data).metadata.get("judge", {})) if data in DATASETS else {}
    s: dict[str, Any] = dict(scores)
    rows: list[tuple[str, str]] = []
    if "fid" in s:
        rows.append(("FID", f"{s['fid']:.3f}"))
    if "kid_mean" in s:
        rows.append(("KID", f"{s['kid_mean']:.5f} ± {s['kid_std']:.5f}"))
    if "is_mean" in s:
        rows.append(("Inception Score", f"{s['is_mean']:.3f} ± {s['is_std']:.3f}  (max {judge.get('classes', 10)})"))
    if "classes_covered" in s and s.get("digit") is not None:  # one digit: the ideal is the opposite of ten balanced classes
        rows.append(("classes covered", f"{s['classes_covered']} / 10  (at least 1% of the samples each; ideal for one digit: 1)"))
        rows.append(("KL(hist || uniform)", f"{s['kl_to_uniform']:.4f}  (ideal for one digit: 2.30, all of it one class)"))
    elif "classes_covered" in s:
        rows.append(("classes covered", f"{s['classes_covered']} / 10  (at least 1% of the samples each)"))
        rows.append(("KL(hist || uniform)", f"{s['kl_to_uniform']:.4f}  (0 balanced, 2.30 one class)"))
        rows.append(("mean confidence", f"{s['mean_confidence']:.4f}"))
    for key, label in (("precision", "precision (k=3)"), ("recall", "recall (k=3)"), ("density", "density (k=5)"), ("coverage", "coverage (k=5)")):
        if key in s:
            rows.append((label, f"{s[key]:.4f}  ({s['manifold_samples']} samples against as many reference points)"))
    if "modes_covered" in s:
        rows.append(("modes covered", f"{s['modes_covered']} / {s['num_modes']}  (at least one sample each)"))
        rows.append(("KL(modes || uniform)", f"{s['modes_kl']:.4f} nats  (0 even, {math.log(s['num_modes']):.2f} one mode)"))
    if "class_histogram" in s:
        rows.append(("class histogram", "  ".join(f"{d}:{100 * v:.1f}%" for d, v in enumerate(s["class_histogram"]))))
    if "against" in judge:
        against = str(judge["against"])
    else:
        digit = s.get("digit")
        against = "the MNIST test set" if digit is None else f"the test images of digit {digit}"
        if "reference_size" in s:
            against += f" (reference at {s['reference_size']}x{s['reference_size']})"
    width = max(len(name) for name, _ in rows)
    lines = [f"{judge.get('title', data)} evaluation of {s['num_samples']} samples against {against}"]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


def per_class(args: argparse.Namespace, device: torch.device) -> int:
    """For a conditional generator: how often the judge recognizes each asked-for class."""
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    classes = trained_classes(generator)
    if classes is None:
        raise ValueError("--per-class needs a conditional generator (trained with --conditional)")
    evaluator = MNISTEvaluator(device)
    rows = []
    for k in classes:
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


def load_samples(path: Path) -> torch.Tensor:
    """Read a ``.pt`` file of samples, with one clear line for anything that is not one.

    Args:
        path: The file (``ganlib sample --out x.pt`` writes them).

    Returns:
        The images ``(N, C, H, W)``.

    Raises:
        ValueError: If the file is missing, unreadable, truncated, not a tensor file (pickled
            objects are refused without being run), or holds something other than images.
    """
    expected = "a tensor of shape (N, 1, H, W) or (N, 3, H, W) saved by `ganlib sample --out FILE.pt` or torch.save"
    if not path.is_file():
        raise ValueError(f"--samples {path}: no such file; expected {expected}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's notes on unusual pickle protocols
            images = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises pickle, zip, EOF and runtime errors for bad files
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "weights_only" in str(error) or "Unsupported global" in str(error):
            reason = "it holds Python objects other than tensors, which are not loaded (they could run code)"
        raise ValueError(f"--samples {path}: cannot be read as a tensor file ({reason[:160]}); expected {expected}") from None
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"--samples {path}: holds a {type(images).__name__}; expected {expected}")
    if images.ndim != 4 or images.shape[1] not in (1, 3) or not images.is_floating_point():
        raise ValueError(f"--samples {path}: holds a {images.dtype} tensor of shape {tuple(images.shape)}; expected {expected}")
    return images


_SAMPLING_FLAGS = {"num": "--num", "seed": "--seed", "no_ema": "--no-ema", "class_": "--class", "per_class": "--per-class", "truncation": "--truncation", "psi": "--psi", "spherical": "--spherical"}
"""The flags that say how to draw from ``--checkpoint``: beside ``--samples`` they would do nothing."""


def _refuse_sampling_flags(args: argparse.Namespace) -> None:
    unset = {"psi": 1.0}  # --psi's own default is "off"
    given = [flag for key, flag in _SAMPLING_FLAGS.items() if getattr(args, key, None) not in (None, False, unset.get(key))]
    if given:
        raise ValueError(
            f"{', '.join(given)} {'draws' if len(given) == 1 else 'draw'} from --checkpoint and would do nothing beside --samples "
            f"{args.samples}; drop {'it' if len(given) == 1 else 'them'}, or evaluate --checkpoint instead"
        )


def run(args: argparse.Namespace) -> int:
    """Evaluate; returns the exit status."""
    apply_threads(args.threads)
    if args.samples is not None:
        _refuse_sampling_flags(args)
    args.num = 10000 if args.num is None else args.num
    args.seed = 0 if args.seed is None else args.seed
    device = resolve_device(args.device)
    if args.per_class:
        if args.checkpoint is None:
            raise ValueError("--per-class samples a conditional generator: give --checkpoint")
        return per_class(args, device)
    if args.samples is not None:
        images = load_samples(args.samples)
        source = str(args.samples)
    else:
        generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
        labels = class_labels(generator, args.class_, args.num)
        images = generate_samples(generator, noise_for(generator, args.num, args.seed, device, args), labels=labels).cpu()
        source = f"{args.checkpoint} ({'EMA' if used_ema else 'raw'} weights, {args.num} samples)"
    print(f"evaluating {source}", file=sys.stderr)
    if args.digit is not None and images.ndim == 4 and images.shape[1] == 3:
        raise ValueError(f"--digit {args.digit}: the samples have three channels (Stacked MNIST), which are compared with all of it; leave --digit out")
    scores = score_samples(images, args.metrics, digit=args.digit, device=device, kid_subsets=args.kid_subsets)
    print(json.dumps(scores, indent=2) if args.json else format_scores(scores))
    ceiling = None
    if args.ceiling:
        ceiling = _real_ceiling(images, args, device)
        print(json.dumps(ceiling, indent=2) if args.json else "real training images (the judge's ceiling):\n" + format_scores(ceiling))
    if args.checkpoint is not None and args.checkpoint.is_dir():
        _record(args.checkpoint, source, args, scores, ceiling)
    return 0


def _real_ceiling(images: torch.Tensor, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """The same scores for as many real *training* images (of ``--digit``): the best a generator can do."""
    from ganlib.data import load_mnist

    if images.shape[1] != 1:
        raise ValueError("--ceiling scores real MNIST digits beside one-channel samples; Stacked MNIST reports its ceilings itself")
    real = load_mnist(None, image_size=images.shape[-1], digits=None if args.digit is None else [args.digit], train=True)
    picked = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(args.seed))[: len(images)]]
    return score_samples(picked, args.metrics, digit=args.digit, device=device, kid_subsets=args.kid_subsets)


def _record(run_dir: Path, source: str, args: argparse.Namespace, scores: dict[str, Any], ceiling: dict[str, Any] | None) -> None:
    """Append the evaluation to the run's ``evaluations.jsonl`` (the report shows the last)."""
    line = {"source": source, "digit": args.digit, "num": args.num, "seed": args.seed, "scores": scores, "real": ceiling}
    with open(run_dir / "evaluations.jsonl", "a", encoding="utf-8") as file:
        file.write(json.dumps(line, default=float) + "\n")


def _metrics(text: str) -> tuple[str, ...]:
    try:
        return parse_metrics(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` command."""
    evaluate = commands.add_parser("evaluate", help="score MNIST or Stacked-MNIST samples offline: FID, KID, IS, precision/recall, modes")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", type=Path, help=".pt tensor of shape (N, 1, H, W), or (N, 3, H, W) for Stacked MNIST, in [-1, 1] (make one with `ganlib sample --out x.pt`)")
    source.add_argument("--checkpoint", type=Path, help="checkpoint file or run directory to sample from")
    evaluate.add_argument("--num", type=positive_int, default=None, help="samples to draw from --checkpoint (default 10000)")
    evaluate.add_argument("--digit", type=int, choices=range(10), default=None, help="compare with this digit's test images")
    evaluate.add_argument(
        "--metrics", type=_metrics, default=DEFAULT_METRICS, metavar="LIST",
        help=f"comma-separated, or all: {', '.join(SAMPLE_METRICS)} (pr: precision/recall, dc: density/coverage, modes: modes covered and KL; default {','.join(DEFAULT_METRICS)})",
    )
    evaluate.add_argument("--kid-subsets", type=positive_int, default=100, help="random subsets for KID")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluate.add_argument("--ceiling", action="store_true", help="also score as many real training images (of --digit): the judge's ceiling, the best a generator can do")
    evaluate.add_argument("--seed", type=seed, default=None, help="seed of the noise for --checkpoint (default 0)")
    evaluate.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    evaluate.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    evaluate.add_argument("--class", dest="class_", type=int, default=None, metavar="K", help="sample class K of a conditional generator (compare with --digit K)")
    evaluate.add_argument("--per-class", action="store_true", help="conditional generators: the judge's accuracy on --num samples of each class")
    add_latent_arguments(evaluate)
    add_threads_argument(evaluate)
    evaluate.set_defaults(run=run)
