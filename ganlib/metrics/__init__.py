"""Sample-quality metrics: Fréchet distance, KID, Inception Score, and an offline MNIST judge."""

from ganlib.metrics.functional import (
    FeatureStatistics,
    MeanStd,
    frechet_distance,
    inception_score,
    kernel_distance,
    polynomial_mmd2_unbiased,
)

__all__ = [
    "FeatureStatistics",
    "MeanStd",
    "frechet_distance",
    "inception_score",
    "kernel_distance",
    "polynomial_mmd2_unbiased",
]
