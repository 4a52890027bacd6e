"""Scoring a run while it trains: the MNIST judge (:class:`EvaluateMNIST`) and the 2-D toy measures (:class:`EvaluateToy`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import torch

from ganlib._validation import check_int
from ganlib.contract import PositiveInt, Range
from ganlib.models.sampling import generate_samples
from ganlib.train.callback import Callback, register_callback
from ganlib.train.callbacks.samples import grid_labels

if TYPE_CHECKING:
    from ganlib.metrics.mnist import MNISTEvaluator
    from ganlib.train.callback import Loop

__all__ = ["EvaluateMNIST", "EvaluateToy"]


def _due(trainer: Loop, every: int) -> bool:
    return trainer.iteration % every == 0 or trainer.last_iteration


@register_callback("evaluate-mnist")
class EvaluateMNIST(Callback):
    """Score the generator with ganlib's offline MNIST judge every ``every`` iterations.

    Draws ``num`` samples from fixed noise with :attr:`Trainer.sampling_generator` (the EMA
    when present) and reports ``score/fid``, ``score/kid``, ``score/inception_score`` and
    ``score/classes_covered`` through :meth:`~ganlib.train.Callback.measure`, so the logger and
    the curves see them whatever the order of the callbacks. It also scores the last
    iteration of a fit (its count reached or its time budget spent).

    Args:
        every: Evaluate every this many iterations (and at the last iteration of ``fit``).
        num: Samples per evaluation.
        digit: Compare with this digit's test images (single-digit runs).
        seed: Seed of the fixed noise.
        kid_subsets: KID subsets per evaluation.

    Attributes:
        best_by: The score a :class:`~ganlib.train.Checkpointer` keeps the best state by
            (``"score/fid"``; :func:`~ganlib.train.standard_callbacks` passes it on).

    Raises:
        ValueError: If ``every``, ``num`` or ``kid_subsets`` is not a positive integer, or
            ``digit`` is not 0-9.
    """

    best_by = "score/fid"

    def __init__(self, every: PositiveInt = 500, num: PositiveInt = 1000, digit: Annotated[int, Range(0, 9)] | None = None, seed: int = 4321, kid_subsets: PositiveInt = 10) -> None:
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.num = check_int("num", num, minimum=2, expected="at least 2 samples")
        if digit is not None:
            check_int("digit", digit, minimum=0, maximum=9, expected="a digit from 0 to 9, or None")
        self.digit = digit
        self.seed = seed
        self.kid_subsets = check_int("kid_subsets", kid_subsets)
        self._evaluator: MNISTEvaluator | None = None

    def evaluate(self, trainer: Loop) -> dict[str, float]:
        """Evaluate now.

        Args:
            trainer: The Trainer whose sampling generator is scored.

        Returns:
            ``score/fid``, ``score/kid``, ``score/inception_score`` and ``score/classes_covered``.
        """
        from ganlib.metrics.mnist import MNISTEvaluator

        if self._evaluator is None:
            self._evaluator = MNISTEvaluator(trainer.device)
        noise = torch.randn(self.num, trainer.latent_dim, generator=torch.Generator().manual_seed(self.seed))
        images = generate_samples(trainer.sampling_generator, noise.to(trainer.device), labels=grid_labels(trainer, self.num))
        result = self._evaluator.evaluate(images, digit=self.digit, kid_subsets=self.kid_subsets)
        return {
            "score/fid": result.fid,
            "score/kid": result.kid.mean,
            "score/inception_score": result.inception_score.mean,
            "score/classes_covered": float(result.classes_covered),
        }

    def measure(self, trainer: Loop) -> Mapping[str, float]:  # noqa: D102
        return self.evaluate(trainer) if _due(trainer, self.every) else {}


@register_callback("evaluate-toy")
class EvaluateToy(Callback):
    """Score a 2-D toy run every ``every`` iterations on ``num`` generated points.

    The toy's own measures (:meth:`ganlib.data.Toy.evaluate`), under ``score/``: for the
    harmonic curve ``distance_to_curve`` (mean distance of the points to
    :math:`x_2 = \\sin x_1`) and ``curve_coverage`` (the share of the curve's length they
    cover); for the Gaussian mixtures ``modes_covered`` (components holding at least half a
    uniform share of the points within 3 standard deviations) and ``modes_share_5pct`` (the
    count at a fixed 5% share, the usual report for 8 Gaussians). A toy registered with a
    measure of its own reports that.

    Args:
        toy: The toy's name.
        every: Evaluate every this many iterations (and at the last iteration of ``fit``).
        num: Generated points per evaluation.
        seed: Seed of the fixed noise.
    """

    def __init__(self, toy: str, every: PositiveInt = 250, num: PositiveInt = 10000, seed: int = 11) -> None:
        from ganlib.data import TOYS

        if toy not in TOYS:
            raise ValueError(f"toy={toy!r} is unknown; valid names are {', '.join(map(repr, TOYS.names()))}")
        self.toy = TOYS[toy]
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.num = check_int("num", num)
        self.seed = seed

    def evaluate(self, trainer: Loop) -> dict[str, float]:
        """Evaluate now.

        Args:
            trainer: The Trainer whose sampling generator is scored.

        Returns:
            The toy's scores (empty for toys without a measure).
        """
        noise = torch.randn(self.num, trainer.latent_dim, generator=torch.Generator().manual_seed(self.seed))
        points = generate_samples(trainer.sampling_generator, noise.to(trainer.device)).cpu()
        return {f"score/{name}": value for name, value in self.toy.evaluate(points).items()}

    def measure(self, trainer: Loop) -> Mapping[str, float]:  # noqa: D102
        return self.evaluate(trainer) if _due(trainer, self.every) else {}
