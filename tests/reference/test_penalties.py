"""The WGAN-GP gradient penalty and critic loss equal the authors' code.

Reference: igul222/improved_wgan_training at commit fa66c574a54c4916d27c55441d33753dcc78f6bc,
``gan_mnist.py`` (``MODE == 'wgan-gp'``, ``LAMBDA = 10``) and ``gan_cifar_resnet.py`` (the
penalty built per device, the factor 10 written in place). Both draw one uniform ``alpha`` in
[0, 1) per sample (shape ``[BATCH_SIZE, 1]``), form the interpolate as the real sample plus
``alpha`` times (fake - real), differentiate the critic's output at the interpolates with
respect to them, take each sample's *slope* as the square root of the sum of the squared
gradient over axis 1 (the data are flattened, ``(N, 784)`` or ``(N, 3072)``, so that is every
non-batch axis), and add ``10 * mean((slope - 1)^2)`` to the Wasserstein critic cost
``mean(D(fake)) - mean(D(real))``; the generator minimizes ``-mean(D(fake))``.

One protocol detail: the code's ``alpha`` weighs the *fake* sample, while Algorithm 1 of the
paper (and ganlib, ``interpolate``) calls the weight of the *real* sample epsilon. Both are
U[0, 1], so the penalty has the same distribution; to compare on the same points, the tests
give the reference ``alpha`` and ganlib ``epsilon = 1 - alpha`` (through ``torch.rand``, which
ganlib calls once per penalty, for one weight per sample).

The reference computation is written below in functional PyTorch on a copy of the critic's
weights (float64), and the loss, the penalty, its reported gradient norm and the gradients with
respect to every critic weight (through the double backward) must agree.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.func import functional_call

from ganlib.losses import WGANGP, GradientPenalty, Step, get_objective, gradient_penalty
from ganlib.models import DCGANCritic, MLPCritic


def _reference_critic_cost(critic: nn.Module, params: dict[str, Tensor], real: Tensor, fake: Tensor, alpha: Tensor, lam: float = 10.0):
    """The reference's ``disc_cost`` with its parts, the critic run on the weights ``params``."""
    def score(x: Tensor) -> Tensor:
        return functional_call(critic, params, (x.view(real.shape),)).reshape(-1)

    n = real.shape[0]
    real_flat, fake_flat = real.reshape(n, -1), fake.reshape(n, -1)  # the reference's data are flat
    wasserstein = score(fake_flat).mean() - score(real_flat).mean()
    interpolates = (real_flat + alpha.view(n, 1) * (fake_flat - real_flat)).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(score(interpolates).sum(), interpolates, create_graph=True)
    slopes = torch.sqrt(torch.sum(gradients.square(), dim=1))
    penalty = torch.mean((slopes - 1.0) ** 2)
    return wasserstein + lam * penalty, penalty, slopes


def _patch_uniform(monkeypatch, values: Tensor) -> list[tuple]:
    """Make ``torch.rand`` return ``values`` (reshaped to the size asked for); record each call."""
    calls: list[tuple] = []
    original = torch.rand

    def rand(*size, **kwargs):
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)) else tuple(size)
        calls.append((shape, kwargs.get("dtype")))
        if len(calls) > 1:
            return original(*size, **kwargs)
        return values.to(kwargs.get("dtype") or values.dtype).reshape(shape)

    monkeypatch.setattr(torch, "rand", rand)
    return calls


def _critics():
    torch.manual_seed(0)
    images = DCGANCritic(image_size=16, channels=3, width=4, norm="layer").double()
    flat = MLPCritic(784, hidden=(32, 32), activation="relu", init="wgan-gp").double()
    return {"cifar-like images (N, 3, 16, 16)": (images, (3, 16, 16)), "mnist-like vectors (N, 784)": (flat, (784,))}


@pytest.mark.parametrize("case", list(_critics()))
def test_critic_loss_and_gradients_equal_the_reference(case, monkeypatch):
    critic, shape = _critics()[case]
    n = 7
    gen = torch.Generator().manual_seed(1)
    real = torch.rand((n, *shape), generator=gen, dtype=torch.float64) * 2 - 1
    fake = torch.randn((n, *shape), generator=gen, dtype=torch.float64) * 0.5
    alpha = torch.rand(n, generator=gen, dtype=torch.float64)
    params = {k: v.detach().clone().requires_grad_(True) for k, v in critic.named_parameters()}

    calls = _patch_uniform(monkeypatch, 1.0 - alpha)
    objective = get_objective("wgan-gp")
    terms = objective.critic_loss(Step("critic", critic, real=real, fake=fake))
    assert calls == [((n,) + (1,) * len(shape), torch.float64)]  # one U[0, 1) weight per sample, once
    monkeypatch.undo()

    cost, penalty, slopes = _reference_critic_cost(critic, params, real, fake, alpha)
    torch.testing.assert_close(terms["loss"], cost, atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(terms["penalty/gp"], penalty.detach(), atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(terms["penalty/grad_norm"], slopes.detach().mean(), atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(terms["critic/wasserstein"], -(cost - 10.0 * penalty).detach(), atol=1e-12, rtol=1e-10)
    assert not torch.allclose(slopes, slopes.mean().expand_as(slopes))  # the slopes differ from sample to sample

    terms["loss"].backward()
    cost.backward()
    for name, value in critic.named_parameters():
        torch.testing.assert_close(value.grad, params[name].grad, atol=1e-12, rtol=1e-10, msg=lambda m, k=name: f"gradient of {k}: {m}")


def test_functional_penalty_equals_the_reference_at_given_weights():
    critic, shape = _critics()["cifar-like images (N, 3, 16, 16)"]
    gen = torch.Generator().manual_seed(2)
    real = torch.rand((5, *shape), generator=gen, dtype=torch.float64)
    fake = torch.rand((5, *shape), generator=gen, dtype=torch.float64)
    alpha = torch.tensor([0.0, 0.25, 0.5, 0.9, 1.0], dtype=torch.float64)  # the segment's ends included
    params = {k: v.detach().clone() for k, v in critic.named_parameters()}
    _, penalty, _ = _reference_critic_cost(critic, params, real, fake, alpha)
    torch.testing.assert_close(gradient_penalty(critic, real, fake, eps=1.0 - alpha), penalty, atol=1e-12, rtol=1e-10)


def test_generator_cost_equals_the_reference():
    critic, shape = _critics()["cifar-like images (N, 3, 16, 16)"]
    torch.manual_seed(3)
    fake = torch.randn((6, *shape), dtype=torch.float64, requires_grad=True)
    fake_ref = fake.detach().clone().requires_grad_(True)
    ours = WGANGP().generator_loss(Step("generator", critic, fake=fake))["loss"]
    reference = -critic(fake_ref).mean()
    torch.testing.assert_close(ours, reference, atol=1e-12, rtol=1e-10)
    ours.backward()
    reference.backward()
    torch.testing.assert_close(fake.grad, fake_ref.grad, atol=1e-12, rtol=1e-10)


def test_lambda_and_target_are_the_references():
    assert WGANGP().gp_weight == 10.0 and GradientPenalty().weight == 10.0 == GradientPenalty.default_weight
    assert GradientPenalty().target == 1.0 and not GradientPenalty().one_sided
    assert get_objective("wgan-gp").penalties[0].effective_weight == 10.0  # applied at every critic step


def test_default_weights_are_uniform_per_sample():
    """Without patched draws: the interpolates lie on each pair's segment, at one weight per sample."""
    torch.manual_seed(4)
    real, fake = torch.zeros(4000, 2, 3, dtype=torch.float64), torch.ones(4000, 2, 3, dtype=torch.float64)
    seen = []
    critic = lambda x: (seen.append(x.detach()), x.flatten(1).sum(1))[1]  # noqa: E731
    GradientPenalty().compute(Step("critic", critic, real=real, fake=fake))
    (points,) = seen
    weight_of_fake = points[:, 0, 0]
    assert torch.equal(points, weight_of_fake.view(-1, 1, 1).expand_as(points))  # one weight for the whole sample
    assert 0.0 <= float(weight_of_fake.min()) and float(weight_of_fake.max()) < 1.0
    assert abs(float(weight_of_fake.mean()) - 0.5) < 0.02 and abs(float(weight_of_fake.var()) - 1 / 12) < 0.005
