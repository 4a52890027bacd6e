"""PGGAN's layers and its drift term, by hand-worked cases and laws over random inputs
(Karras et al. 2018; constants from tkarras/progressive_growing_of_gans, networks.py and loss.py)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlib.losses import EpsilonDriftPenalty, Step, get_objective
from ganlib.nn.progressive import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, PixelNorm, fade, he_scale


def test_equalized_weights_are_standard_normal_and_scaled_by_hes_constant_at_run_time():
    torch.manual_seed(0)
    conv = EqualizedConv2d(64, 128, 3, padding=1)
    stored = conv.weight.detach()
    assert abs(float(stored.std()) - 1.0) < 0.01 and abs(float(stored.mean())) < 0.01  # stored: N(0, 1)
    assert conv.scale == pytest.approx(math.sqrt(2) / math.sqrt(64 * 9))
    x = torch.randn(2, 64, 5, 5, dtype=torch.float64)
    conv = conv.double()
    expected = torch.nn.functional.conv2d(x, conv.weight * conv.scale, conv.bias, padding=1)
    torch.testing.assert_close(conv(x), expected, rtol=0, atol=0)


def test_the_gradient_of_an_equalized_weight_is_scaled_too():
    """d out / d w = scale * (what a plain layer with weight scale * w would give): the step an
    optimizer takes on w is a step of scale * w on the effective weight."""
    torch.manual_seed(1)
    linear = EqualizedLinear(8, 3, gain=1.0).double()
    x = torch.randn(4, 8, dtype=torch.float64)
    linear(x).sum().backward()
    plain = torch.nn.Linear(8, 3).double()
    with torch.no_grad():
        plain.weight.copy_(linear.weight * linear.scale)
        plain.bias.copy_(linear.bias)
    plain(x).sum().backward()
    torch.testing.assert_close(linear.weight.grad, plain.weight.grad * linear.scale)
    assert he_scale(8, 1.0) == linear.scale == 1 / math.sqrt(8)


@settings(max_examples=25, deadline=None)
@given(channels=st.integers(1, 16), scale=st.floats(1e-3, 1e3))
def test_pixel_norm_gives_every_pixel_a_unit_root_mean_square(channels, scale):
    x = torch.randn(3, channels, 4, 4, dtype=torch.float64) * scale
    y = PixelNorm(eps=0.0)(x)
    torch.testing.assert_close(y.square().mean(dim=1), torch.ones(3, 4, 4, dtype=torch.float64), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(PixelNorm(eps=0.0)(2.0 * x), y, rtol=1e-9, atol=1e-9)  # scale-free


def test_pixel_norm_by_hand():
    x = torch.tensor([3.0, 4.0]).reshape(1, 2, 1, 1)  # rms sqrt((9 + 16) / 2)
    torch.testing.assert_close(PixelNorm(eps=0.0)(x).flatten(), torch.tensor([3.0, 4.0]) / math.sqrt(12.5))


def test_minibatch_stddev_by_hand():
    # 4 samples, group size 2: groups are samples {0, 2} and {1, 3} (the reference's reshape to [G, -1, ...]).
    x = torch.zeros(4, 1, 1, 2)
    x[0, 0, 0] = torch.tensor([0.0, 0.0])
    x[2, 0, 0] = torch.tensor([2.0, 4.0])  # group {0, 2}: population std 1 and 2, mean 1.5
    x[1, 0, 0] = torch.tensor([1.0, 1.0])
    x[3, 0, 0] = torch.tensor([1.0, 3.0])  # group {1, 3}: std 0 and 1, mean 0.5
    y = MinibatchStdDev(group_size=2, eps=0.0)(x)
    assert y.shape == (4, 2, 1, 2)
    torch.testing.assert_close(y[:, 1, 0, 0], torch.tensor([1.5, 0.5, 1.5, 0.5]))
    torch.testing.assert_close(y[:, :1], x)  # the features pass through unchanged
    assert bool((y[:, 1, 0, 0] == y[:, 1, 0, 1]).all())  # one constant map per sample


def test_minibatch_stddev_takes_a_small_batch_whole_and_names_a_bad_one():
    x = torch.randn(3, 2, 2, 2, dtype=torch.float64)
    y = MinibatchStdDev(group_size=4, eps=0.0)(x)  # 3 < 4: one group of 3
    expected = x.std(dim=0, unbiased=False).mean()
    torch.testing.assert_close(y[:, 2], expected.expand(3, 2, 2))
    with pytest.raises(ValueError, match="a batch of 6 is not a multiple of the group size 4"):
        MinibatchStdDev(group_size=4)(torch.randn(6, 1, 2, 2))


@pytest.mark.parametrize(("alpha", "expected"), [(0.0, 2.0), (0.5, 5.0), (1.0, 8.0)])
def test_the_fade_blends_old_and_new_by_alpha(alpha, expected):
    assert float(fade(torch.tensor(2.0), torch.tensor(8.0), alpha)) == expected
    assert float(fade(torch.tensor(2.0), torch.tensor(8.0), torch.tensor(alpha))) == expected


def test_the_drift_term_is_epsilon_times_the_mean_squared_real_score():
    critic = torch.nn.Linear(2, 1)
    real = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, -1.0]]))
        critic.bias.zero_()
    step = Step("critic", lambda x: critic(x).squeeze(1), real=real, fake=torch.zeros(2, 2))
    terms = EpsilonDriftPenalty().compute(step)
    assert float(terms["epsilon-drift"].detach()) == pytest.approx((9.0 + 1.0) / 2)  # unweighted: mean of 3^2 and (-1)^2
    assert EpsilonDriftPenalty().weight == 0.001


def test_the_pggan_objective_is_wgan_gp_plus_the_drift():
    objective = get_objective("pggan")
    assert objective.name == "wasserstein+gp+epsilon-drift"
    assert [(p.name, p.weight) for p in objective.penalties] == [("gp", 10.0), ("epsilon-drift", 0.001)]
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1), torch.nn.Flatten(0))
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    torch.manual_seed(1)
    terms = objective.critic_loss(Step("critic", critic, real=real, fake=fake))
    torch.manual_seed(1)
    wgan_gp = get_objective("wgan-gp").critic_loss(Step("critic", critic, real=real, fake=fake))
    drift = 0.001 * critic(real).square().mean()
    torch.testing.assert_close(terms["loss"], wgan_gp["loss"] + drift)
