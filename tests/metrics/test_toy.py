"""The 2-D toy measures: the sliced Wasserstein distance by hand and by its laws."""

from __future__ import annotations

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlib.data import TOYS
from ganlib.metrics import sliced_wasserstein


def test_in_one_dimension_it_is_the_wasserstein_distance_by_hand():
    a = torch.tensor([[0.0], [1.0], [2.0]])
    b = torch.tensor([[3.0], [1.0], [2.0]])  # sorted: 1, 2, 3: each point moves by 1
    assert sliced_wasserstein(a, b, projections=8) == 1.0


def test_a_shift_costs_its_length_times_the_mean_projection():
    x = torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
    shifted = x + torch.tensor([0.0, 2.0])
    assert abs(sliced_wasserstein(x, shifted, projections=20000) - 2.0 * 2 / math.pi) < 0.02  # E|u_2| = 2/pi


@given(st.integers(2, 40), st.integers(0, 10_000))
def test_laws_zero_on_itself_symmetric_and_blind_to_order(n, seed):
    rng = torch.Generator().manual_seed(seed)
    a, b = torch.randn(n, 2, generator=rng), torch.randn(n, 2, generator=rng) * 2
    assert sliced_wasserstein(a, a) == 0.0
    assert math.isclose(sliced_wasserstein(a, b), sliced_wasserstein(b, a), rel_tol=1e-12, abs_tol=1e-12)
    shuffled = b[torch.randperm(n, generator=rng)]
    assert math.isclose(sliced_wasserstein(a, b), sliced_wasserstein(a, shuffled), rel_tol=1e-9, abs_tol=1e-12)
    # No coupling is cheaper than the optimal one, direction by direction: SW <= mean pairwise distance.
    assert sliced_wasserstein(a, b) <= (a - b).norm(dim=1).mean().item() + 1e-9


def test_every_toy_reports_its_distance_and_a_perfect_sample_is_close():
    for name in TOYS.names():
        toy = TOYS[name]
        real = toy.sample(2000, torch.Generator().manual_seed(5))
        far = real + 3.0
        near, off = toy.evaluate(real)["sliced_wasserstein"], toy.evaluate(far)["sliced_wasserstein"]
        assert near < 0.2 * off, name
