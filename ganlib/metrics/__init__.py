"""Sample-quality metrics: Fréchet distance, KID, Inception Score, an offline MNIST judge, and the
callback that scores a run with it while it trains."""

from ganlib.metrics.evaluate import EvaluateMNIST, EvaluateToy
from ganlib.metrics.toy import curve_coverage, distance_to_sine, modes_covered
from ganlib.metrics.inception import INCEPTION_HELP, inception_fid
from ganlib.metrics.mnist import (
    CLASSIFIER_INPUT_SIZE,
    MNISTClassifier,
    MNISTEvaluation,
    MNISTEvaluator,
    load_mnist_classifier,
    load_mnist_reference,
)
from ganlib.metrics.functional import (
    FeatureStatistics,
    MeanStd,
    frechet_distance,
    inception_score,
    kernel_distance,
    polynomial_mmd2_unbiased,
)

__all__ = [
    "CLASSIFIER_INPUT_SIZE",
    "EvaluateMNIST",
    "EvaluateToy",
    "INCEPTION_HELP",
    "FeatureStatistics",
    "MNISTClassifier",
    "MNISTEvaluation",
    "MNISTEvaluator",
    "MeanStd",
    "frechet_distance",
    "inception_fid",
    "inception_score",
    "kernel_distance",
    "load_mnist_classifier",
    "load_mnist_reference",
    "polynomial_mmd2_unbiased",
    "curve_coverage",
    "distance_to_sine",
    "modes_covered",
]
