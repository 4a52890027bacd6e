import math

import pytest
import torch
from torch.autograd import gradcheck

from ganlib.losses import critic_gradient_norm, gradient_penalty, interpolate, penalty_from_norms


def linear_critic(w):
    return lambda x: (x.flatten(1) * w.flatten()).sum(dim=1)


def test_linear_critic_penalty_by_hand():
    w = torch.tensor([3.0, 4.0])  # ||w|| = 5, penalty (5 - 1)^2 = 16
    gp = gradient_penalty(linear_critic(w), torch.randn(6, 2), torch.randn(6, 2))
    assert gp.item() == pytest.approx(16.0)


def test_linear_critic_on_images_takes_the_norm_over_all_non_batch_axes():
    w = torch.full((2, 3, 3), 0.5)  # ||w|| = 0.5 * sqrt(18)
    gp = gradient_penalty(linear_critic(w), torch.randn(4, 2, 3, 3), torch.randn(4, 2, 3, 3))
    assert gp.item() == pytest.approx((0.5 * math.sqrt(18) - 1) ** 2, rel=1e-5)


def test_quadratic_critic_with_chosen_eps_by_hand():
    # f(x) = ||x||^2 / 2 has gradient x, so the norm is ||x_hat||.
    critic = lambda x: 0.5 * x.flatten(1).square().sum(1)  # noqa: E731
    real = torch.tensor([[2.0, 0.0], [0.0, 4.0]])
    fake = torch.zeros(2, 2)
    eps = torch.tensor([0.5, 0.75])  # x_hat = (1, 0) and (0, 3): norms 1 and 3
    gp = gradient_penalty(critic, real, fake, eps=eps)
    assert gp.item() == pytest.approx(((1 - 1) ** 2 + (3 - 1) ** 2) / 2)
    assert gradient_penalty(critic, real, fake, eps=eps, target=3.0).item() == pytest.approx((4 + 0) / 2)
    assert gradient_penalty(critic, real, fake, eps=eps, one_sided=True).item() == pytest.approx(4 / 2)


def test_interpolate_by_hand_and_per_sample_weights():
    real, fake = torch.full((3, 2), 4.0), torch.zeros(3, 2)
    x = interpolate(real, fake, eps=torch.tensor([0.0, 0.5, 1.0]))
    torch.testing.assert_close(x, torch.tensor([[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]]))
    assert x.requires_grad and x.is_leaf
    drawn = interpolate(torch.ones(200, 1, 2, 2), torch.zeros(200, 1, 2, 2))
    per_sample = drawn.flatten(1)
    assert torch.equal(per_sample, per_sample[:, :1].expand_as(per_sample))  # one eps per sample
    assert per_sample[:, 0].unique().numel() > 100  # but a different one for each sample


def test_penalty_from_norms_by_hand():
    norms = torch.tensor([0.5, 1.0, 3.0])
    assert penalty_from_norms(norms).item() == pytest.approx((0.25 + 0 + 4) / 3)
    assert penalty_from_norms(norms, one_sided=True).item() == pytest.approx(4 / 3)


def test_penalty_reaches_the_critic_weights():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    gp = gradient_penalty(linear_critic(w), torch.randn(3, 2), torch.randn(3, 2))
    (grad,) = torch.autograd.grad(gp, w)
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    torch.testing.assert_close(grad, 2 * (5 - 1) * torch.tensor([3.0, 4.0]) / 5)


def test_gradgradcheck_of_the_penalty_in_float64():
    x_real = torch.randn(3, 4, dtype=torch.float64)
    x_fake = torch.randn(3, 4, dtype=torch.float64)
    eps = torch.rand(3, dtype=torch.float64)
    w = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    v = torch.randn(5, dtype=torch.float64, requires_grad=True)

    def penalty(w, v):
        critic = lambda x: torch.tanh(x @ w) @ v  # noqa: E731
        return gradient_penalty(critic, x_real, x_fake, eps=eps)

    assert gradcheck(penalty, (w, v))


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"real has shape \(4, 2\) but fake has shape \(3, 2\)"):
        interpolate(torch.zeros(4, 2), torch.zeros(3, 2))


@pytest.mark.parametrize("shape", [(1,), (4, 2), (2, 2, 1)])
def test_eps_must_hold_one_weight_per_sample(shape):
    with pytest.raises(ValueError, match="eps has shape"):
        interpolate(torch.zeros(4, 2, 1), torch.zeros(4, 2, 1), eps=torch.zeros(shape))


def test_gradient_norm_needs_inputs_that_require_grad():
    with pytest.raises(ValueError, match="require grad"):
        critic_gradient_norm(lambda x: x.sum(1), torch.zeros(2, 2))
