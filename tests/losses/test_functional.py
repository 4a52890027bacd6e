import math

import pytest
import torch
from torch.autograd import gradcheck

from ganlib.losses import (
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)

LOG3 = math.log(3.0)  # sigmoid(log 3) = 3/4


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


# Known values, worked out by hand with D = sigmoid(s).
def test_minimax_critic_known_values():
    assert minimax_critic_loss(t(0.0), t(0.0)).item() == pytest.approx(2 * math.log(2))
    # -log(3/4) - log(1 - 3/4) = log(4/3) + log(4)
    assert minimax_critic_loss(t(LOG3), t(LOG3)).item() == pytest.approx(math.log(4 / 3) + math.log(4))
    # batch means: reals (0, log 3) and one fake at -log 3
    expected = 0.5 * (math.log(2) + math.log(4 / 3)) + math.log(4 / 3)
    assert minimax_critic_loss(t(0.0, LOG3), t(-LOG3)).item() == pytest.approx(expected)


def test_one_sided_label_smoothing_known_value():
    # target 0.9 on a real logit log 3: 0.9 * -log(3/4) + 0.1 * -log(1/4); fakes unsmoothed
    expected = 0.9 * math.log(4 / 3) + 0.1 * math.log(4) + math.log(2)
    assert minimax_critic_loss(t(LOG3), t(0.0), real_label=0.9).item() == pytest.approx(expected)


@pytest.mark.parametrize("label", [0.0, 1.5, -0.1])
def test_bad_real_label_is_named(label):
    with pytest.raises(ValueError, match=f"real_label={label}"):
        minimax_critic_loss(t(0.0), t(0.0), real_label=label)


def test_generator_losses_known_values():
    assert minimax_generator_loss(t(LOG3)).item() == pytest.approx(math.log(1 / 4))
    assert nonsaturating_generator_loss(t(LOG3)).item() == pytest.approx(math.log(4 / 3))
    assert wasserstein_generator_loss(t(1.0, 2.0, 6.0)).item() == pytest.approx(-3.0)


def test_wasserstein_critic_known_value():
    assert wasserstein_critic_loss(t(1.0, 3.0), t(-1.0, 0.0, 4.0)).item() == pytest.approx(1.0 - 2.0)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_losses_and_grads_stay_finite_for_extreme_scores(scale):
    s = torch.full((4,), scale, dtype=torch.float32, requires_grad=True)
    for loss in (
        minimax_critic_loss(s, s),
        minimax_critic_loss(s, -s, real_label=0.9),
        minimax_generator_loss(s),
        nonsaturating_generator_loss(s),
    ):
        (grad,) = torch.autograd.grad(loss, s)
        assert torch.isfinite(loss) and torch.isfinite(grad).all()


def test_saturation_is_the_reason_for_the_heuristic_loss():
    # A critic that confidently rejects the fake gives the saturating loss almost no gradient.
    s = torch.tensor([-10.0], requires_grad=True)
    (g_sat,) = torch.autograd.grad(minimax_generator_loss(s), s)
    (g_ns,) = torch.autograd.grad(nonsaturating_generator_loss(s), s)
    assert g_sat.abs().item() < 1e-4 < 0.9 < g_ns.abs().item()


def test_gradcheck_in_float64():
    r = torch.randn(5, dtype=torch.float64, requires_grad=True)
    f = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: minimax_critic_loss(a, b), (r, f))
    assert gradcheck(lambda a, b: minimax_critic_loss(a, b, real_label=0.9), (r, f))
    assert gradcheck(minimax_generator_loss, (f,))
    assert gradcheck(nonsaturating_generator_loss, (f,))
    assert gradcheck(wasserstein_critic_loss, (r, f))
    assert gradcheck(wasserstein_generator_loss, (f,))
