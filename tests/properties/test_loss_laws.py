"""Laws of the score losses that hold for all logits (Goodfellow et al., 2014; Arjovsky et al., 2017)."""

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ganlib.losses import (
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    wasserstein_critic_loss,
)

BIG = float(np.float32(1e30))  # so that a mean of eight logits cannot overflow float32
scores = st.integers(1, 8).flatmap(lambda n: arrays("float64", (n,), elements=st.floats(-15, 15))).map(torch.from_numpy)
any_logits = st.integers(1, 8).flatmap(
    lambda n: arrays("float32", (n,), elements=st.floats(-BIG, BIG, width=32))
).map(torch.from_numpy)


@given(scores, scores, st.floats(-1e3, 1e3))
def test_wasserstein_critic_loss_is_antisymmetric_and_shift_invariant(real, fake, shift):
    torch.testing.assert_close(wasserstein_critic_loss(real, fake), -wasserstein_critic_loss(fake, real))
    torch.testing.assert_close(wasserstein_critic_loss(real + shift, fake + shift), wasserstein_critic_loss(real, fake), atol=1e-9, rtol=1e-9)


@given(scores, scores)
def test_minimax_losses_equal_their_log_sigmoid_definitions(real, fake):
    # In float64 and |s| <= 15 the naive forms are still accurate to ~1e-9; beyond that
    # log1p(-sigmoid(s)) loses digits, which is why the library uses softplus.
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    naive_critic = -torch.log(d_real).mean() - torch.log1p(-d_fake).mean()
    torch.testing.assert_close(minimax_critic_loss(real, fake), naive_critic, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(minimax_generator_loss(fake), torch.log1p(-d_fake).mean(), rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(nonsaturating_generator_loss(fake), -torch.log(d_fake).mean(), rtol=1e-6, atol=1e-9)


@given(any_logits, any_logits, st.floats(0.5, 1.0))
def test_logit_losses_are_finite_and_have_the_right_sign_for_any_logits(real, fake, label):
    critic = minimax_critic_loss(real, fake, real_label=label)
    nonsat = nonsaturating_generator_loss(fake)
    saturating = minimax_generator_loss(fake)
    assert torch.isfinite(critic) and torch.isfinite(nonsat) and torch.isfinite(saturating)
    assert critic >= 0 and nonsat >= 0 and saturating <= 0
