"""Hypothesis strategies shared by the property tests: small shapes and tensors."""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

finite = st.floats(-3.0, 3.0, allow_nan=False, width=64)


@st.composite
def sample_shapes(draw, max_batch: int = 6) -> tuple[int, ...]:
    """(N, *features) with 1 to 3 feature axes of size 1 to 4."""
    n = draw(st.integers(1, max_batch))
    features = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    return (n, *features)


@st.composite
def paired_batches(draw, min_batch: int = 1, max_batch: int = 6):
    """(real, fake, eps): float64 tensors of one shape and one weight in [0, 1] per sample."""
    shape = draw(sample_shapes(max_batch).filter(lambda s: s[0] >= min_batch))
    real = torch.from_numpy(draw(arrays("float64", shape, elements=finite)))
    fake = torch.from_numpy(draw(arrays("float64", shape, elements=finite)))
    eps = torch.from_numpy(draw(arrays("float64", (shape[0],), elements=st.floats(0.0, 1.0))))
    return real, fake, eps


def smooth_critic(features: int, seed: int, hidden: int = 5) -> tuple[torch.nn.Module, callable]:
    """A small tanh MLP in float64: smooth, so finite differences are reliable."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(features, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1)
    ).double()
    return net, lambda x: net(x).flatten()
