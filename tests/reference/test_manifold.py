"""Precision/recall and density/coverage equal the ``prdc`` package's.

Reference: clovaai/generative-evaluation-prdc at commit e320c1d2811d33081361a08f595b43830b78641c,
``prdc/prdc.py`` (``compute_prdc``), which the ``prdc`` 0.2 package on PyPI ships unchanged and
which the tests call directly (a test-only dependency, with scikit-learn). Naeem et al. (2020)
wrote it for density and coverage; its precision and recall are Kynkäänniemi et al.'s (2019)
k-NN precision and recall. In it a point's radius is the largest of its ``k + 1`` smallest
distances to its own set (the point itself being one of them), and every comparison is strict
(``distance < radius``); ganlib's defaults are the papers' ``k``: 3 for precision/recall, 5 for
density/coverage.

The comparison is made on continuous random features and on small integer features, where
distances tie and points repeat (a duplicated point has radius 0 when ``k`` copies of it
exist): integer coordinates keep scikit-learn's ``x^2 + y^2 - 2xy`` distances exact, so both
implementations see the same ties and must resolve them the same way. The counts must be equal
(the shares exactly; density up to the last bit of its division).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prdc import compute_prdc

from ganlib.metrics import density_coverage, knn_radii, precision_recall


def _reference(real: torch.Tensor, fake: torch.Tensor, k: int) -> dict[str, float]:
    return {name: float(value) for name, value in compute_prdc(real.double().numpy(), fake.double().numpy(), nearest_k=k).items()}


def _assert_equal(real: torch.Tensor, fake: torch.Tensor, *, k_pr: int = 3, k_dc: int = 5, chunk: int = 1024) -> None:
    precision, recall = precision_recall(real, fake, k=k_pr, chunk=chunk)
    density, coverage = density_coverage(real, fake, k=k_dc, chunk=chunk)
    pr, dc = _reference(real, fake, k_pr), _reference(real, fake, k_dc)
    assert (precision, recall) == (pr["precision"], pr["recall"])
    assert coverage == dc["coverage"]
    assert density == pytest.approx(dc["density"], rel=1e-14, abs=0.0)


def _continuous(seed: int, n: int, m: int, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    real = torch.randn(n, dim, generator=gen, dtype=torch.float64)
    fake = 0.8 * torch.randn(m, dim, generator=gen, dtype=torch.float64) + 0.3
    return real, fake


def _grid(seed: int, n: int, m: int, dim: int, side: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    real = torch.randint(0, side, (n, dim), generator=gen).double()
    fake = torch.randint(0, side, (m, dim), generator=gen).double()
    fake[: m // 3] = real[torch.randint(0, n, (m // 3,), generator=gen)]  # some generated points are real points
    return real, fake


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_defaults_equal_prdc_on_continuous_features(seed):
    real, fake = _continuous(seed, 300, 200, 16)
    _assert_equal(real, fake)


def test_defaults_are_the_papers_k():
    real, fake = _continuous(3, 120, 150, 8)
    assert precision_recall(real, fake) == precision_recall(real, fake, k=3)
    assert density_coverage(real, fake) == density_coverage(real, fake, k=5)
    _assert_equal(real, fake)  # and they are prdc's with those k


@pytest.mark.parametrize("k", [1, 2, 3, 5, 10])
def test_any_k_and_chunking_equal_prdc(k):
    real, fake = _continuous(10 + k, 150, 170, 6)
    _assert_equal(real, fake, k_pr=k, k_dc=k, chunk=37)


@pytest.mark.parametrize("seed,side,dim", [(0, 3, 2), (1, 4, 3), (2, 2, 4), (3, 5, 2)])
def test_ties_and_duplicates_equal_prdc(seed, side, dim):
    real, fake = _grid(seed, 140, 110, dim, side)
    assert len(torch.unique(real, dim=0)) < len(real)  # real points repeat
    radii = knn_radii(real, 3)
    distances = torch.cdist(fake, real)
    assert (distances == radii.view(1, -1)).any()  # generated points exactly on a ball's boundary
    for k in (1, 3, 5):
        _assert_equal(real, fake, k_pr=k, k_dc=k, chunk=29)


def test_radii_equal_prdc_with_duplicates():
    from prdc.prdc import compute_nearest_neighbour_distances

    real, _ = _grid(7, 90, 10, 2, 3)
    for k in (1, 3, 5):
        ours = knn_radii(real, k, chunk=16).numpy()
        assert np.array_equal(ours, compute_nearest_neighbour_distances(real.numpy(), k))
    assert (knn_radii(real, 1) == 0).any()  # a point with a copy has radius 0 at k = 1


def test_fakes_that_are_the_reals_equal_prdc():
    real, _ = _continuous(5, 100, 1, 5)
    _assert_equal(real, real.clone())  # every point sits at distance 0 from its copy
    _assert_equal(real, real[:40].clone())
    _assert_equal(real[:40].clone(), real)
