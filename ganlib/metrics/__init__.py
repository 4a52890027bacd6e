"""Sample-quality metrics: Fréchet distance, KID, Inception Score, precision/recall and density/coverage,
mode coverage (Stacked MNIST), an offline MNIST judge, and 2-D toy measures.

This package imports neither the Trainer nor torchvision. The callbacks that score a run while
it trains (``EvaluateMNIST``, ``EvaluateToy``) live in :mod:`ganlib.train.callbacks`; their old
names here still work, with a deprecation warning.
"""

from typing import Any as _Any

from ganlib.metrics.functional import (
    FeatureStatistics,
    MeanStd,
    frechet_distance,
    inception_score,
    kernel_distance,
    polynomial_mmd2_unbiased,
)
from ganlib.metrics.inception import INCEPTION_HELP, inception_fid
from ganlib.metrics.manifold import ManifoldScores, density_coverage, knn_radii, precision_recall
from ganlib.metrics.mnist import (
    CLASSIFIER_INPUT_SIZE,
    MNISTClassifier,
    MNISTEvaluation,
    MNISTEvaluator,
    load_mnist_classifier,
    load_mnist_reference,
)
from ganlib.metrics.modes import CONFIDENT, ModeStatistics, StackedMNISTEvaluator, confident_modes, mode_statistics
from ganlib.metrics.registry import SCORES, Score, best_of, register_score, score_of
from ganlib.metrics.scores import DEFAULT_METRICS, SAMPLE_METRICS, parse_metrics, score_samples, stacked_reference
from ganlib.metrics.toy import curve_coverage, distance_to_sine, modes_covered, sliced_wasserstein

__all__ = [
    "SCORES",
    "Score",
    "best_of",
    "register_score",
    "score_of",
    "CONFIDENT",
    "CLASSIFIER_INPUT_SIZE",
    "DEFAULT_METRICS",
    "SAMPLE_METRICS",
    "INCEPTION_HELP",
    "FeatureStatistics",
    "MNISTClassifier",
    "MNISTEvaluation",
    "MNISTEvaluator",
    "ManifoldScores",
    "MeanStd",
    "ModeStatistics",
    "StackedMNISTEvaluator",
    "density_coverage",
    "frechet_distance",
    "inception_fid",
    "inception_score",
    "kernel_distance",
    "knn_radii",
    "load_mnist_classifier",
    "load_mnist_reference",
    "confident_modes",
    "mode_statistics",
    "polynomial_mmd2_unbiased",
    "parse_metrics",
    "precision_recall",
    "score_samples",
    "stacked_reference",
    "curve_coverage",
    "distance_to_sine",
    "modes_covered",
    "sliced_wasserstein",
]


def __getattr__(name: str) -> _Any:
    # ganlib 0.2 exported the evaluation callbacks from here; they moved to ganlib.train.
    from ganlib import _compat

    return _compat.moved_attribute(__name__, name)
