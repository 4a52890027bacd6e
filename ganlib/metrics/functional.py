"""Sample-quality metrics on features and class probabilities, in float64.

* Fréchet distance between Gaussians fitted to two feature sets: FID when the features come
  from an Inception network (Heusel et al., 2017).
* Kernel distance (KID): the unbiased MMD^2 with the cubic polynomial kernel
  (Bińkowski et al., 2018), mean and standard deviation over random subsets.
* Inception Score: ``exp(E_x KL(p(y|x) || p(y)))`` (Salimans et al., 2016), mean and standard
  deviation over splits.

:class:`FeatureStatistics` accumulates a mean and covariance over any number of batches in
float64, so the images behind them never have to sit in memory together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "FeatureStatistics",
    "MeanStd",
    "frechet_distance",
    "inception_score",
    "kernel_distance",
    "polynomial_mmd2_unbiased",
]


@dataclass(frozen=True)
class MeanStd:
    """A metric estimated over subsets or splits.

    Attributes:
        mean: Mean over the subsets or splits.
        std: Standard deviation over them (0 for a single one), with the ``ddof`` the metric
            was asked for: 0 by default, the convention of the reference Inception Score code
            and of torch-fidelity's and torchmetrics' KID, so that "IS ± std" is comparable
            with published numbers.
    """

    mean: float
    std: float


class FeatureStatistics:
    """Streaming mean and covariance of feature vectors, accumulated in float64.

    Args:
        dim: Feature dimension ``D``.

    Example:
        >>> import torch
        >>> stats = FeatureStatistics(2)
        >>> stats.update(torch.tensor([[0.0, 0.0], [2.0, 0.0]]))
        >>> stats.update(torch.tensor([[4.0, 3.0]]))
        >>> stats.mean().tolist(), stats.count
        ([2.0, 1.0], 3)
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.count = 0
        self._sum = torch.zeros(dim, dtype=torch.float64)
        self._outer = torch.zeros(dim, dim, dtype=torch.float64)

    def update(self, features: Tensor) -> None:
        """Add a batch of features.

        Args:
            features: Features of shape ``(N, D)``, any float dtype and device.

        Raises:
            ValueError: If the features are not of shape ``(N, D)``.
        """
        if features.ndim != 2 or features.shape[1] != self.dim:
            raise ValueError(f"features have shape {tuple(features.shape)}; expected (N, {self.dim})")
        x = features.detach().to("cpu", torch.float64)
        self.count += x.shape[0]
        self._sum += x.sum(0)
        self._outer += x.T @ x

    def mean(self) -> Tensor:
        """The mean feature, shape ``(D,)``."""
        self._check_count(1)
        return self._sum / self.count

    def covariance(self) -> Tensor:
        """The unbiased sample covariance, shape ``(D, D)``."""
        self._check_count(2)
        mean = self.mean()
        return (self._outer - self.count * torch.outer(mean, mean)) / (self.count - 1)

    def _check_count(self, needed: int) -> None:
        if self.count < needed:
            raise ValueError(f"need at least {needed} feature vectors, have {self.count}")


def _sqrt_psd(matrix: Tensor) -> Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(mean1: Tensor, cov1: Tensor, mean2: Tensor, cov2: Tensor) -> float:
    """Fréchet distance between two Gaussians (Heusel et al., 2017).

    .. math::

        d^2 = \\lVert \\mu_1 - \\mu_2 \\rVert^2
              + \\operatorname{Tr}\\big(\\Sigma_1 + \\Sigma_2 - 2 (\\Sigma_1 \\Sigma_2)^{1/2}\\big).

    The trace of the matrix square root is computed as the sum of the square roots of the
    eigenvalues of the symmetric :math:`\\Sigma_1^{1/2} \\Sigma_2 \\Sigma_1^{1/2}`, which has the
    same spectrum as :math:`\\Sigma_1 \\Sigma_2` and avoids a non-symmetric ``sqrtm``.

    Args:
        mean1: Mean of the first set, shape ``(D,)``.
        cov1: Covariance of the first set, shape ``(D, D)``.
        mean2: Mean of the second set, shape ``(D,)``.
        cov2: Covariance of the second set, shape ``(D, D)``.

    Returns:
        The squared Fréchet distance (what "FID" reports), clamped at 0.

    Example:
        >>> import torch
        >>> eye = torch.eye(2, dtype=torch.float64)
        >>> frechet_distance(torch.zeros(2), eye, torch.tensor([3.0, 4.0]), 4 * eye)
        27.0
    """
    mean1, mean2 = mean1.double(), mean2.double()
    cov1, cov2 = cov1.double(), cov2.double()
    root1 = _sqrt_psd(cov1)
    cross = torch.linalg.eigvalsh(root1 @ cov2 @ root1).clamp(min=0).sqrt().sum()
    value = (mean1 - mean2).square().sum() + torch.trace(cov1) + torch.trace(cov2) - 2 * cross
    return max(float(value), 0.0)


def polynomial_mmd2_unbiased(x: Tensor, y: Tensor) -> float:
    """Unbiased MMD^2 with the kernel :math:`k(a, b) = (a^\\top b / D + 1)^3`.

    .. math::

        \\widehat{\\mathrm{MMD}}^2 = \\frac{1}{m(m-1)} \\sum_{i \\ne j} k(x_i, x_j)
        + \\frac{1}{n(n-1)} \\sum_{i \\ne j} k(y_i, y_j) - \\frac{2}{mn} \\sum_{i, j} k(x_i, y_j).

    Args:
        x: Features of shape ``(m, D)``, ``m >= 2``.
        y: Features of shape ``(n, D)``, ``n >= 2``.

    Returns:
        The estimate; it can be negative, as an unbiased estimate of 0 must be.
    """
    x, y = x.double(), y.double()
    dim = x.shape[1]
    k_xx = (x @ x.T / dim + 1) ** 3
    k_yy = (y @ y.T / dim + 1) ** 3
    k_xy = (x @ y.T / dim + 1) ** 3
    m, n = x.shape[0], y.shape[0]
    term_xx = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    term_yy = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return float(term_xx + term_yy - 2 * k_xy.mean())


def kernel_distance(
    x: Tensor,
    y: Tensor,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
    ddof: int = 0,
) -> MeanStd:
    """KID: the unbiased polynomial MMD^2 averaged over random subsets (Bińkowski et al., 2018).

    Args:
        x: Features of the first set, shape ``(m, D)``.
        y: Features of the second set, shape ``(n, D)``.
        subsets: Number of random subsets.
        subset_size: Samples per subset, capped at ``min(m, n)``.
        seed: Seed of the subset sampling.
        ddof: Delta degrees of freedom of the standard deviation over subsets (0, the
            convention of torch-fidelity and torchmetrics; or 1).

    Returns:
        Mean and standard deviation over the subsets.

    Raises:
        ValueError: If either set has fewer than 2 samples, or ``subsets`` is not positive.
    """
    if min(len(x), len(y)) < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(x)} and {len(y)}")
    if subsets < 1:
        raise ValueError(f"subsets={subsets!r} is invalid; expected a positive integer")
    size = min(subset_size, len(x), len(y))
    rng = torch.Generator().manual_seed(seed)
    values = torch.tensor(
        [
            polynomial_mmd2_unbiased(x[torch.randperm(len(x), generator=rng)[:size]], y[torch.randperm(len(y), generator=rng)[:size]])
            for _ in range(subsets)
        ],
        dtype=torch.float64,
    )
    return MeanStd(float(values.mean()), float(values.std(correction=ddof)) if subsets > 1 else 0.0)


def inception_score(probabilities: Tensor, *, splits: int = 10, ddof: int = 0) -> MeanStd:
    """Inception Score from class probabilities (Salimans et al., 2016).

    .. math::

        \\mathrm{IS} = \\exp\\Big(\\mathbb{E}_x\\, \\mathrm{KL}\\big(p(y \\mid x) \\,\\Vert\\, p(y)\\big)\\Big),

    computed on each of ``splits`` consecutive splits, with :math:`p(y)` the split's mean
    prediction. Split :math:`i` holds samples :math:`\\lfloor iN/s \\rfloor` to
    :math:`\\lfloor (i+1)N/s \\rfloor - 1`, as in the reference code, so there are exactly
    ``splits`` parts of nearly equal size whatever :math:`N`. It ranges from 1 (every sample
    gets the same prediction) to the number of classes (confident predictions, evenly spread).

    Args:
        probabilities: Class probabilities, shape ``(N, K)``, rows summing to 1.
        splits: Number of splits, at most ``N``.
        ddof: Delta degrees of freedom of the standard deviation over splits (0: the
            reference's population standard deviation; 1: the sample standard deviation).

    Returns:
        Mean and standard deviation over the splits.

    Raises:
        ValueError: If ``splits`` is not in ``[1, N]`` or ``ddof`` is not 0 or 1.

    Example:
        >>> import torch
        >>> round(inception_score(torch.eye(4).repeat(4, 1), splits=2).mean, 6)
        4.0
    """
    n = len(probabilities)
    if not 1 <= splits <= n:
        raise ValueError(f"splits={splits!r} is invalid; expected 1 to the number of samples ({n})")
    if ddof not in (0, 1):
        raise ValueError(f"ddof={ddof!r} is invalid; expected 0 (the reference's convention) or 1")
    p = probabilities.double()
    scores = []
    for i in range(splits):
        part = p[i * n // splits : (i + 1) * n // splits]
        marginal = part.mean(0, keepdim=True)
        kl = torch.special.xlogy(part, part) - torch.special.xlogy(part, marginal)
        scores.append(math.exp(float(kl.sum(1).mean())))
    values = torch.tensor(scores, dtype=torch.float64)
    return MeanStd(float(values.mean()), float(values.std(correction=ddof)) if len(scores) > 1 else 0.0)
