"""Scoring a run with the MNIST judge while it trains: the :class:`EvaluateMNIST` callback."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ganlib._validation import check_int
from ganlib.metrics.mnist import MNISTEvaluator
from ganlib.train.callbacks import generate_samples
from ganlib.train.trainer import Callback, Trainer

__all__ = ["EvaluateMNIST"]


class EvaluateMNIST(Callback):
    """Score the generator with ganlib's offline MNIST judge every ``every`` iterations.

    Draws ``num`` samples from fixed noise with :attr:`Trainer.sampling_generator` (the EMA
    when present) and reports ``fid``, ``kid``, ``inception_score`` and ``classes_covered``
    through :meth:`~ganlib.train.Callback.measure`, so :class:`~ganlib.train.MetricsLogger`
    and :class:`~ganlib.train.LearningCurves` see them whatever the order of the callbacks.

    Args:
        every: Evaluate every this many iterations (and at the last iteration of ``fit``).
        num: Samples per evaluation.
        digit: Compare with this digit's test images (single-digit runs).
        seed: Seed of the fixed noise.
        kid_subsets: KID subsets per evaluation.

    Raises:
        ValueError: If ``every``, ``num`` or ``kid_subsets`` is not a positive integer, or
            ``digit`` is not 0-9.
    """

    def __init__(self, every: int = 500, num: int = 1000, digit: int | None = None, seed: int = 4321, kid_subsets: int = 10) -> None:
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.num = check_int("num", num, minimum=2, expected="at least 2 samples")
        if digit is not None:
            check_int("digit", digit, minimum=0, maximum=9, expected="a digit from 0 to 9, or None")
        self.digit = digit
        self.seed = seed
        self.kid_subsets = check_int("kid_subsets", kid_subsets)
        self._evaluator: MNISTEvaluator | None = None

    def evaluate(self, trainer: Trainer) -> dict[str, float]:
        """Evaluate now.

        Args:
            trainer: The Trainer whose sampling generator is scored.

        Returns:
            ``fid``, ``kid``, ``inception_score`` and ``classes_covered``.
        """
        if self._evaluator is None:
            self._evaluator = MNISTEvaluator(trainer.device)
        noise = torch.randn(self.num, trainer.latent_dim, generator=torch.Generator().manual_seed(self.seed))
        images = generate_samples(trainer.sampling_generator, noise.to(trainer.device))
        result = self._evaluator.evaluate(images, digit=self.digit, kid_subsets=self.kid_subsets)
        return {
            "fid": result.fid,
            "kid": result.kid.mean,
            "inception_score": result.inception_score.mean,
            "classes_covered": float(result.classes_covered),
        }

    def measure(self, trainer: Trainer) -> Mapping[str, float]:  # noqa: D102
        if trainer.iteration % self.every == 0 or trainer.iteration == trainer.max_iterations:
            return self.evaluate(trainer)
        return {}
