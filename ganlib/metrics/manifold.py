"""Precision and recall (Kynkäänniemi et al., 2019), density and coverage (Naeem et al., 2020),
from features of real and generated samples.

All four estimate the data manifold with k-nearest-neighbour balls around feature points:

* **precision**: the share of generated points inside at least one real point's ball, whose
  radius is the distance to that real point's k-th nearest real neighbour (k = 3): how many
  samples look like data (quality);
* **recall**: the share of real points inside at least one generated point's ball (radius:
  the distance to its k-th nearest generated neighbour): how much of the data the generator
  covers (diversity);
* **density**: how many real balls contain each generated point, on average, divided by k
  (k = 5): about 1 when the samples are distributed like the data, above 1 when they crowd
  where the data is dense; unlike precision it is not fooled by real outliers with large balls;
* **coverage**: the share of real points whose ball contains at least one generated point: a
  recall that real outliers cannot inflate.

A collapsed generator has high precision and low recall and coverage; a blurry one the reverse.
The comparisons are strict (``distance < radius``) and the radius is the (k+1)-th smallest
distance from a point to its own set (the first being the point itself), as in the reference
implementation of both papers (``prdc``). Distances are computed in chunks, so 50,000 points
against 50,000 need memory for ``chunk x N`` distances only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganlib._validation import check_int

__all__ = ["ManifoldScores", "density_coverage", "knn_radii", "precision_recall"]


def _check(name: str, features: Tensor) -> Tensor:
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"{name} has shape {tuple(features.shape)}; expected (N, D) features of at least 2 samples")
    if not torch.isfinite(features).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return features.detach().double()


def _pair(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    r, f = _check("real", real), _check("fake", fake)
    if r.shape[1] != f.shape[1]:
        raise ValueError(f"real features have {r.shape[1]} dimensions but fake have {f.shape[1]}")
    return r, f


def _chunks(n: int, chunk: int) -> range:
    return range(0, n, chunk)


def knn_radii(features: Tensor, k: int, *, chunk: int = 1024) -> Tensor:
    """The distance from each point to its k-th nearest neighbour in its own set.

    Args:
        features: Points ``(N, D)``.
        k: The neighbour (the point itself is not counted: its own distance, 0, is the first).
        chunk: Rows of the distance matrix computed at once.

    Returns:
        Radii ``(N,)``.

    Raises:
        ValueError: If ``k`` is not below ``N``.

    Example:
        >>> import torch
        >>> knn_radii(torch.tensor([[0.0], [1.0], [3.0], [7.0]]), k=1).tolist()
        [1.0, 1.0, 2.0, 4.0]
    """
    x = _check("features", features)
    check_int("k", k, maximum=len(x) - 1, expected=f"an integer from 1 to N - 1 = {len(x) - 1}")
    radii = []
    for start in _chunks(len(x), chunk):
        distances = torch.cdist(x[start : start + chunk], x, compute_mode="donot_use_mm_for_euclid_dist")
        radii.append(distances.kthvalue(k + 1, dim=1).values)  # k + 1: the point itself is at distance 0
    return torch.cat(radii)


def _within_any_ball(points: Tensor, centers: Tensor, radii: Tensor, chunk: int) -> Tensor:
    """For each point: whether it lies strictly inside at least one center's ball."""
    inside = []
    for start in _chunks(len(points), chunk):
        distances = torch.cdist(points[start : start + chunk], centers, compute_mode="donot_use_mm_for_euclid_dist")
        inside.append((distances < radii.view(1, -1)).any(dim=1))
    return torch.cat(inside)


@dataclass(frozen=True)
class ManifoldScores:
    """Precision, recall, density and coverage of one set of generated features.

    Attributes:
        precision: Share of generated points inside the real manifold (k-NN balls, k = 3).
        recall: Share of real points inside the generated manifold.
        density: Mean number of real balls (k = 5) holding a generated point, divided by k.
        coverage: Share of real balls holding at least one generated point.
    """

    precision: float
    recall: float
    density: float
    coverage: float


def precision_recall(real: Tensor, fake: Tensor, *, k: int = 3, chunk: int = 1024) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    .. math::

        \\text{precision} = \\frac{1}{M} \\sum_j \\big[\\exists i: \\lVert \\tilde\\phi_j - \\phi_i \\rVert < r_k(\\phi_i)\\big],
        \\qquad
        \\text{recall} = \\frac{1}{N} \\sum_i \\big[\\exists j: \\lVert \\phi_i - \\tilde\\phi_j \\rVert < \\tilde r_k(\\tilde\\phi_j)\\big],

    with :math:`r_k(\\phi_i)` the distance from real feature :math:`\\phi_i` to its k-th nearest real
    neighbour and :math:`\\tilde r_k` the same among the generated features.

    Args:
        real: Real features ``(N, D)``.
        fake: Generated features ``(M, D)``.
        k: The neighbourhood size (3 in the paper).
        chunk: Rows of the distance matrices computed at once.

    Returns:
        ``(precision, recall)``, each in [0, 1].

    Example:
        >>> import torch
        >>> real = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
        >>> precision_recall(real, real[:50])[0]  # samples that are data points are all inside
        1.0
    """
    r, f = _pair(real, fake)
    real_radii = knn_radii(r, k, chunk=chunk)
    fake_radii = knn_radii(f, k, chunk=chunk)
    precision = _within_any_ball(f, r, real_radii, chunk).double().mean()
    recall = _within_any_ball(r, f, fake_radii, chunk).double().mean()
    return float(precision), float(recall)


def density_coverage(real: Tensor, fake: Tensor, *, k: int = 5, chunk: int = 1024) -> tuple[float, float]:
    """Density and coverage (Naeem et al., 2020).

    .. math::

        \\text{density} = \\frac{1}{kM} \\sum_j \\sum_i \\big[\\lVert \\tilde\\phi_j - \\phi_i \\rVert < r_k(\\phi_i)\\big],
        \\qquad
        \\text{coverage} = \\frac{1}{N} \\sum_i \\big[\\min_j \\lVert \\phi_i - \\tilde\\phi_j \\rVert < r_k(\\phi_i)\\big].

    Args:
        real: Real features ``(N, D)``.
        fake: Generated features ``(M, D)``.
        k: The neighbourhood size (5 in the paper).
        chunk: Rows of the distance matrices computed at once.

    Returns:
        ``(density, coverage)``; coverage in [0, 1], density in [0, N/k].

    Example:
        >>> import torch
        >>> real = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
        >>> density_coverage(real, torch.tensor([[0.5], [0.6]]), k=1)  # both fakes in the balls of 0 and 1
        (2.0, 0.5)
    """
    r, f = _pair(real, fake)
    radii = knn_radii(r, k, chunk=chunk)
    counts = torch.zeros(len(f), dtype=torch.float64)
    nearest = torch.full((len(r),), float("inf"), dtype=torch.float64)
    for start in _chunks(len(r), chunk):
        distances = torch.cdist(r[start : start + chunk], f, compute_mode="donot_use_mm_for_euclid_dist")  # (chunk, M)
        counts += (distances < radii[start : start + chunk].view(-1, 1)).sum(dim=0)
        nearest[start : start + chunk] = distances.min(dim=1).values
    density = counts.sum() / (k * len(f))
    coverage = (nearest < radii).double().mean()
    return float(density), float(coverage)
