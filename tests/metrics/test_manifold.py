"""Precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

Checked three ways: hand-worked 1-D cases, constructed point sets (identical, disjoint,
subset), and the reference implementation's arithmetic (``prdc``: full distance matrix,
radius = the (k+1)-th smallest distance to the own set, the point itself included, strict
``<``), written out here in NumPy.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlib.metrics import density_coverage, knn_radii, precision_recall


def _reference(real: np.ndarray, fake: np.ndarray, k_pr: int = 3, k_dc: int = 5) -> dict[str, float]:
    """The prdc package's arithmetic, unchunked."""

    def pairwise(a, b):
        return np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))

    def radii(x, k):
        d = pairwise(x, x)
        return np.partition(d, k, axis=-1)[:, : k + 1].max(axis=-1)

    rf = pairwise(real, fake)
    out = {
        "precision": float((rf < radii(real, k_pr)[:, None]).any(axis=0).mean()),
        "recall": float((rf < radii(fake, k_pr)[None, :]).any(axis=1).mean()),
    }
    real_dc = radii(real, k_dc)
    out["density"] = float((1.0 / k_dc) * (rf < real_dc[:, None]).sum(axis=0).mean())
    out["coverage"] = float((rf.min(axis=1) < real_dc).mean())
    return out


def _t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).reshape(len(values), -1)


def test_knn_radius_skips_the_point_itself():
    # Distances from 0: 0 (itself), 1, 3, 7: the first neighbour is at 1, the second at 3.
    x = _t([0.0, 1.0, 3.0, 7.0])
    assert knn_radii(x, k=1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert knn_radii(x, k=2).tolist() == [3.0, 2.0, 3.0, 6.0]


def test_hand_worked_one_dimensional_case():
    # real 0, 1, 2, 3, 10 with k = 1: radii 1, 1, 1, 1, 7.  fake 0.5 and 20.
    # precision: 0.5 is inside 0's ball (0.5 < 1); 20 is 10 from 10 (not < 7)         -> 1/2
    # recall: the fakes' radii are both 19.5; every real point is within 19.5 of 0.5   -> 1
    # density: 0.5 lies in the balls of 0 and 1 (two), 20 in none: (2 + 0) / (k * 2)  -> 1
    # coverage: 0 and 1 have a fake inside their ball, 2, 3 (1.5, 2.5 away), 10 do not -> 2/5
    real, fake = _t([0.0, 1.0, 2.0, 3.0, 10.0]), _t([0.5, 20.0])
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert density_coverage(real, fake, k=1) == (1.0, 0.4)


def test_a_point_on_the_ball_boundary_is_outside():
    # real 0 and 1 (k = 1: both radii 1); the fake at 2 is exactly 1 from the real 1.
    assert precision_recall(_t([0.0, 1.0]), _t([2.0, 5.0]), k=1)[0] == 0.0
    assert density_coverage(_t([0.0, 1.0]), _t([2.0, 5.0]), k=1) == (0.0, 0.0)


def _cloud(n: int, d: int = 8, seed: int = 0, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def test_identical_sets_have_full_precision_recall_and_coverage():
    x = _cloud(300)
    assert precision_recall(x, x.clone()) == (1.0, 1.0)
    density, coverage = density_coverage(x, x.clone())
    assert coverage == 1.0
    assert density == pytest.approx(_reference(x.numpy(), x.numpy())["density"])


def test_disjoint_sets_score_zero():
    real, fake = _cloud(200), _cloud(200, seed=1, shift=100.0)
    assert precision_recall(real, fake) == (0.0, 0.0)
    assert density_coverage(real, fake) == (0.0, 0.0)


def test_a_collapsed_generator_is_precise_but_recalls_little():
    # The fakes are 20 copies (with tiny jitter) of a single real point: every fake is inside the
    # real manifold, but the fakes' balls are tiny, so almost no real point is inside them.
    real = _cloud(500)
    fake = real[:1].repeat(20, 1) + 1e-6 * _cloud(20, seed=3)
    precision, recall = precision_recall(real, fake)
    assert precision == 1.0 and recall <= 2 / 500
    assert density_coverage(real, fake)[1] <= 6 / 500  # only the balls around that one point


def test_a_subset_is_precise_and_its_recall_matches_the_reference():
    real = _cloud(400)
    fake = real[:100]
    precision, recall = precision_recall(real, fake)
    assert precision == 1.0
    expected = _reference(real.numpy(), fake.numpy())
    assert recall == expected["recall"] and 0.25 <= recall < 1.0


@given(
    n_real=st.integers(6, 40),
    n_fake=st.integers(6, 40),
    dim=st.integers(1, 5),
    shift=st.floats(0.0, 3.0),
    seed=st.integers(0, 2**16),
    chunk=st.integers(1, 50),
)
def test_equal_to_the_reference_arithmetic_for_any_sets_and_chunks(n_real, n_fake, dim, shift, seed, chunk):
    real = _cloud(n_real, dim, seed)
    fake = _cloud(n_fake, dim, seed + 1, shift)
    expected = _reference(real.numpy(), fake.numpy())
    precision, recall = precision_recall(real, fake, chunk=chunk)
    density, coverage = density_coverage(real, fake, chunk=chunk)
    assert precision == pytest.approx(expected["precision"]) and recall == pytest.approx(expected["recall"])
    assert density == pytest.approx(expected["density"]) and coverage == pytest.approx(expected["coverage"])
    assert 0.0 <= precision <= 1.0 and 0.0 <= recall <= 1.0 and 0.0 <= coverage <= 1.0 and density >= 0.0


@given(seed=st.integers(0, 2**16), n=st.integers(8, 40))
def test_swapping_the_sets_swaps_precision_and_recall(seed, n):
    a, b = _cloud(n, 3, seed), _cloud(n + 3, 3, seed + 7, 0.5)
    p, r = precision_recall(a, b)
    assert precision_recall(b, a) == (r, p)


def test_bad_features_are_named():
    with pytest.raises(ValueError, match="fake has shape"):
        precision_recall(_cloud(10), torch.zeros(10))
    with pytest.raises(ValueError, match="real features have 8 dimensions but fake have 3"):
        density_coverage(_cloud(10), _cloud(10, 3))
    with pytest.raises(ValueError, match="NaN"):
        precision_recall(_cloud(10), torch.full((10, 8), float("nan")))
    with pytest.raises(ValueError, match="k"):
        precision_recall(_cloud(3), _cloud(10))  # k = 3 needs 4 real points
