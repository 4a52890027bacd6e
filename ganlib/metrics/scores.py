"""Every sample metric ganlib computes with its own judge, chosen by name: what ``evaluate
--metrics`` and ``bench`` report.

Names (``SAMPLE_METRICS``):

* ``fid``, ``kid``, ``is``, ``classes`` -- Fréchet distance, kernel distance, Inception Score
  and the class histogram in the judge's features (:class:`~ganlib.metrics.MNISTEvaluator`);
* ``pr`` -- precision and recall (k = 3), ``dc`` -- density and coverage (k = 5)
  (:mod:`ganlib.metrics.manifold`), against the shipped reference features of 2,000 test
  digits, with as many generated samples (the first ones);
* ``modes`` -- modes covered (at least one sample) and KL to uniform
  (:func:`~ganlib.metrics.mode_statistics`): 10 modes for MNIST, 1,000 for Stacked MNIST.

One-channel images are judged as MNIST digits; three-channel images as Stacked MNIST, each
channel by the same judge (:class:`~ganlib.metrics.StackedMNISTEvaluator`). For Stacked MNIST
the real reference follows from the digits' by independence: its features are three test
digits' features side by side, so their mean is the digit mean three times and their
covariance is block-diagonal, and the reference points for KID and the manifold metrics are
2,000 random triples of the shipped reference features (seeded).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ganlib.metrics.functional import frechet_distance, inception_score, kernel_distance
from ganlib.metrics.manifold import density_coverage, precision_recall
from ganlib.metrics.mnist import MNISTEvaluator
from ganlib.metrics.modes import StackedMNISTEvaluator, confident_modes, mode_statistics

__all__ = ["DEFAULT_METRICS", "SAMPLE_METRICS", "parse_metrics", "score_samples", "stacked_reference"]

SAMPLE_METRICS = ("fid", "kid", "is", "classes", "pr", "dc", "modes")
"""The metric names :func:`score_samples` knows."""

DEFAULT_METRICS = ("fid", "kid", "is", "classes")
"""What ``evaluate`` reports when ``--metrics`` is not given (ganlib 0.2's set)."""


def parse_metrics(text: str) -> tuple[str, ...]:
    """Parse a comma-separated selection such as ``"fid,pr,modes"`` (``"all"`` for every one).

    Args:
        text: Metric names from :data:`SAMPLE_METRICS`, comma-separated, or ``"all"``.

    Returns:
        The names, in :data:`SAMPLE_METRICS` order, without repeats.

    Raises:
        ValueError: If a name is unknown or none is given.

    Example:
        >>> parse_metrics("modes, fid,pr")
        ('fid', 'pr', 'modes')
    """
    if text.strip().lower() == "all":
        return SAMPLE_METRICS
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(SAMPLE_METRICS))
    if unknown or not names:
        raise ValueError(f"metrics {text!r} are invalid ({', '.join(unknown) or 'none given'}); expected a comma-separated selection of {', '.join(SAMPLE_METRICS)}, or 'all'")
    return tuple(name for name in SAMPLE_METRICS if name in names)


def _manifold(real: Tensor, fake: Tensor, metrics: tuple[str, ...], samples: int) -> dict[str, float]:
    n = min(len(real), len(fake), samples)
    real, fake = real[:n], fake[:n]
    out: dict[str, float] = {"manifold_samples": n}
    if "pr" in metrics:
        out["precision"], out["recall"] = precision_recall(real, fake)
    if "dc" in metrics:
        out["density"], out["coverage"] = density_coverage(real, fake)
    return out


def _mnist(images: Tensor | Iterable[Tensor], metrics: tuple[str, ...], digit: int | None, device: torch.device | str, kid_subsets: int, samples: int) -> dict[str, Any]:
    evaluator = MNISTEvaluator(device)
    out: dict[str, Any] = {"data": "mnist"}
    if isinstance(images, Tensor):
        images = images.cpu()
    if any(m in metrics for m in DEFAULT_METRICS):
        evaluation = evaluator.evaluate(images, digit=digit, kid_subsets=kid_subsets)
        out.update(evaluation.to_dict())
    features, probabilities, size = evaluator.embed(images)
    out["num_samples"] = len(features)
    if "pr" in metrics or "dc" in metrics:
        ref, at = evaluator.reference, evaluator.reference_index(size)
        real = ref["features"][at].double()
        if digit is not None:
            real = real[ref["labels"] == digit]
        out.update(_manifold(real, features.double(), metrics, samples))
    if "modes" in metrics:
        out.update(_modes(probabilities.argmax(1), 10))
    return out


def _modes(modes: Tensor, num_modes: int) -> dict[str, Any]:
    stats = mode_statistics(modes, num_modes)
    return {"num_modes": num_modes, "modes_covered": stats.covered, "modes_kl": stats.kl}


def stacked_reference(evaluator: StackedMNISTEvaluator, size: int, *, num: int = 2000, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Reference of real Stacked MNIST in the judge's features, from the digits' reference.

    Args:
        evaluator: The stacked evaluator (its judge's shipped reference is used).
        size: Image size of the generated images (selects the reference statistics).
        num: Reference triples to draw.
        seed: Seed of the triples.

    Returns:
        Mean ``(192,)``, covariance ``(192, 192)`` (block-diagonal) and ``num`` reference
        points ``(num, 192)``.
    """
    judge = evaluator.judge
    ref, at = judge.reference, judge.reference_index(size)
    mean, cov = ref["mean"][at, 10].double(), ref["cov"][at, 10].double()
    digits = ref["features"][at].double()
    index = torch.randint(0, len(digits), (num, 3), generator=torch.Generator().manual_seed(seed))
    return mean.repeat(3), torch.block_diag(cov, cov, cov), digits[index].flatten(1)


def _stacked(images: Tensor, metrics: tuple[str, ...], device: torch.device | str, kid_subsets: int, samples: int) -> dict[str, Any]:
    evaluator = StackedMNISTEvaluator(device)
    modes, features, probabilities = evaluator.classify(images.cpu(), probabilities=True)
    features = features.double()
    mean, cov, real = stacked_reference(evaluator, images.shape[-1])
    out: dict[str, Any] = {"data": "stacked-mnist", "num_samples": len(features)}
    if len(features) < 2:
        raise ValueError(f"need at least 2 images to evaluate, got {len(features)}")
    if "fid" in metrics:
        fake_mean = features.mean(0)
        centred = features - fake_mean
        out["fid"] = frechet_distance(fake_mean, centred.T @ centred / (len(features) - 1), mean, cov)
    if "kid" in metrics:
        kid = kernel_distance(features, real, subsets=kid_subsets)
        out["kid_mean"], out["kid_std"] = kid.mean, kid.std
    if "is" in metrics:
        # p(y | x) over the 1,000 modes: the channels' predictions are independent given the image.
        joint = torch.einsum("na,nb,nc->nabc", *probabilities).flatten(1)
        score = inception_score(joint, splits=min(10, len(joint)))
        out["is_mean"], out["is_std"] = score.mean, score.std
    if "pr" in metrics or "dc" in metrics:
        out.update(_manifold(real, features, metrics, samples))
    if "modes" in metrics or "classes" in metrics:
        out.update(_modes(modes, StackedMNISTEvaluator.num_modes))
        out["confident_share"], out["modes_covered_confident"] = confident_modes(modes, probabilities)
        out["confident_share_real"], out["modes_covered_confident_real"] = evaluator.real_ceiling(images.shape[-1], len(features))
    return out


def score_samples(
    images: Tensor | Iterable[Tensor],
    metrics: Iterable[str] = DEFAULT_METRICS,
    *,
    digit: int | None = None,
    device: torch.device | str = "cpu",
    kid_subsets: int = 100,
    manifold_samples: int = 2000,
) -> dict[str, Any]:
    """Score generated MNIST or Stacked-MNIST images with the judge.

    Args:
        images: ``(N, 1, H, H)`` digits or ``(N, 3, H, H)`` stacked digits in [-1, 1] (one tensor;
            one-channel images may also come as an iterable of batches).
        metrics: Names from :data:`SAMPLE_METRICS`.
        digit: Compare one-channel samples with this digit's test images.
        device: Device of the judge.
        kid_subsets: Random subsets for KID.
        manifold_samples: At most this many samples (and reference points) for ``pr`` and ``dc``.

    Returns:
        A flat, JSON-ready dict: ``data`` and ``num_samples``; with ``fid``/``kid``/``is``/``classes``
        on MNIST, every field of :class:`~ganlib.metrics.MNISTEvaluation` (``fid``, ``kid_mean``,
        ``is_mean``, ``classes_covered``, ...); ``fid``, ``kid_mean``/``kid_std`` and
        ``is_mean``/``is_std`` (over 1,000 modes) on Stacked MNIST; ``precision``, ``recall``,
        ``density``, ``coverage`` and ``manifold_samples`` for ``pr``/``dc``; ``num_modes``,
        ``modes_covered`` and ``modes_kl`` (nats) for ``modes``.

    Raises:
        ValueError: If a metric is unknown, ``digit`` is asked of stacked images, or the images
            are malformed.

    Example:
        >>> import torch
        >>> scores = score_samples(torch.rand(50, 1, 32, 32) * 2 - 1, ["pr", "modes"])
        >>> sorted(k for k in scores if k in ("precision", "recall", "modes_covered"))
        ['modes_covered', 'precision', 'recall']
    """
    chosen = tuple(metrics)
    unknown = sorted(set(chosen) - set(SAMPLE_METRICS))
    if unknown:
        raise ValueError(f"unknown metrics {', '.join(unknown)}; expected {', '.join(SAMPLE_METRICS)}")
    if isinstance(images, Tensor) and images.ndim == 4 and images.shape[1] == 3:
        if digit is not None:
            raise ValueError("digit applies to one-channel MNIST samples; these are three-channel (Stacked MNIST)")
        return _stacked(images, chosen, device, kid_subsets, manifold_samples)
    return _mnist(images, chosen, digit, device, kid_subsets, manifold_samples)
