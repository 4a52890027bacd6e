"""The RpGAN loss with R1 and R2 (R3GAN), and StyleGAN2-ADA's R1, equal the authors' code.

References:

* brownvc/R3GAN at commit 19a7ddf463fbac2bd39b4c1c73d63f1c441c7403, ``R3GAN/Trainer.py``
  (``AdversarialTraining``) and ``training/loss.py`` (``R3GANLoss``, whose preprocessor is the
  augmentation). The critic step marks the detached real and generated batches as requiring
  grad, scores the *preprocessed* batches, and takes the zero-centred penalty of each batch as
  the squared input gradient of the summed scores, summed over axes 1, 2, 3 (R1 on the reals,
  R2 on the fakes, with respect to the batches *before* preprocessing); its loss is the batch
  mean of ``softplus(-(D(real) - D(fake))) + gamma / 2 * (R1 + R2)``, each real sample paired with
  the fake of the same index. The generator step's loss is the mean of
  ``softplus(-(D(fake) - D(real)))`` on the detached reals.
* NVlabs/stylegan2-ada-pytorch at commit d72cc7d041b42ec8e806021a205ed9349f87c6a4,
  ``training/loss.py`` (``StyleGAN2Loss.accumulate_gradients``): ``softplus(D(fake))``,
  ``softplus(-D(real))`` and, on the reals, ``r1_gamma / 2`` times the squared input gradient
  summed over ``[1, 2, 3]``; and ``training/training_loop.py``: with lazy regularization the R1
  term runs as its own phase every ``D_reg_interval = 16`` minibatches (``batch_idx % 16 == 0``)
  with ``gain = 16``.

The reference computations are written below in functional PyTorch on copies of ganlib's weights
(float64); ganlib's objectives are built by name (``relativistic`` with ``r1`` and ``r2``;
``non-saturating`` with ``r1``) and their losses, reported terms and gradients must agree.

StyleGAN2-ADA takes a separate optimizer step for its lazy R1 phase (with lr and betas
adjusted by ``16/17``); ganlib adds the ``16 * gamma / 2`` term to the critic loss of the same
step. The tests pin the term and its schedule: ganlib's gradient on a regularized step is the
sum of the reference's two phases' gradients.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from ganlib.losses import R1Penalty, R2Penalty, Step, get_objective
from ganlib.models import DCGANCritic, DCGANGenerator


def _models():
    torch.manual_seed(0)
    g = DCGANGenerator(latent_dim=8, image_size=16, channels=3, width=4, norm="none").double()
    d = DCGANCritic(image_size=16, channels=3, width=4, norm="none").double()
    return g, d


def _copy(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone().requires_grad_(True) for k, v in model.named_parameters()}


def _zero_centered(samples: Tensor, critics: Tensor) -> Tensor:
    (gradient,) = torch.autograd.grad(critics.sum(), samples, create_graph=True)
    return gradient.square().sum([1, 2, 3])


def _r3gan_critic_loss(d: nn.Module, params: dict[str, Tensor], real: Tensor, fake: Tensor, gamma: float, preprocess=lambda x: x):
    real = real.detach().requires_grad_(True)
    fake = fake.detach().requires_grad_(True)
    real_logits = functional_call(d, params, (preprocess(real),))
    fake_logits = functional_call(d, params, (preprocess(fake),))
    r1, r2 = _zero_centered(real, real_logits), _zero_centered(fake, fake_logits)
    adversarial = F.softplus(-(real_logits - fake_logits))
    return (adversarial + (gamma / 2) * (r1 + r2)).mean(), r1, r2


def _r3gan_generator_loss(d: nn.Module, params: dict[str, Tensor], real: Tensor, fake: Tensor, preprocess=lambda x: x):
    fake_logits = functional_call(d, params, (preprocess(fake),))
    real_logits = functional_call(d, params, (preprocess(real.detach()),))
    return F.softplus(-(fake_logits - real_logits)).mean()


def _augment(x: Tensor) -> Tensor:
    """A fixed, differentiable, non-linear stand-in for the augmentation pipe."""
    return torch.tanh(1.5 * x.flip(3)) + 0.25 * x.roll(1, dims=2)


def _assert_grads(model: nn.Module, params: dict[str, Tensor]) -> None:
    for name, value in model.named_parameters():
        torch.testing.assert_close(value.grad, params[name].grad, atol=1e-12, rtol=1e-10, msg=lambda m, k=name: f"gradient of {k}: {m}")


@pytest.mark.parametrize("augment", [None, _augment], ids=["plain", "augmented"])
@pytest.mark.parametrize("gamma", [0.05, 10.0])
def test_r3gan_critic_step_equals_the_reference(gamma, augment):
    g, d = _models()
    params = _copy(d)
    gen = torch.Generator().manual_seed(1)
    real = torch.rand(6, 3, 16, 16, generator=gen, dtype=torch.float64) * 2 - 1
    fake = g(torch.randn(6, 8, generator=gen, dtype=torch.float64)).detach()
    objective = get_objective("relativistic", penalty=["r1", "r2"], penalty_weight=gamma)
    terms = objective.critic_loss(Step("critic", d, real=real, fake=fake, augment=augment))
    reference, r1, r2 = _r3gan_critic_loss(d, params, real, fake, gamma, augment or (lambda x: x))
    torch.testing.assert_close(terms["loss"], reference, atol=1e-12, rtol=1e-10)
    # ganlib reports each penalty as 1/2 E|grad|^2 and weights it by gamma.
    torch.testing.assert_close(terms["penalty/r1"], 0.5 * r1.detach().mean(), atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(terms["penalty/r2"], 0.5 * r2.detach().mean(), atol=1e-12, rtol=1e-10)
    assert not torch.allclose(r1, r2)  # R1 and R2 are taken at different points
    terms["loss"].backward()
    reference.backward()
    _assert_grads(d, params)


@pytest.mark.parametrize("augment", [None, _augment], ids=["plain", "augmented"])
def test_r3gan_generator_step_equals_the_reference(augment):
    g, d = _models()
    g_params = _copy(g)
    d.requires_grad_(False)  # frozen in the generator step
    gen = torch.Generator().manual_seed(2)
    real = torch.rand(6, 3, 16, 16, generator=gen, dtype=torch.float64) * 2 - 1
    z = torch.randn(6, 8, generator=gen, dtype=torch.float64)
    objective = get_objective("relativistic", penalty=["r1", "r2"], penalty_weight=0.05)
    assert objective.needs_real_in_generator_step
    ours = objective.generator_loss(Step("generator", d, real=real, fake=g(z), augment=augment))["loss"]
    d_params = {k: v.detach() for k, v in d.named_parameters()}
    reference = _r3gan_generator_loss(d, d_params, real, functional_call(g, g_params, (z,)), augment or (lambda x: x))
    torch.testing.assert_close(ours, reference, atol=1e-12, rtol=1e-10)
    ours.backward()
    reference.backward()
    _assert_grads(g, g_params)


def _stylegan2_critic_phases(d: nn.Module, params: dict[str, Tensor], real: Tensor, fake: Tensor, r1_gamma: float, interval: int):
    """The reference's ``Dmain`` loss and its ``Dreg`` loss (with its phase's gain), each a scalar."""
    gen_logits = functional_call(d, params, (fake.detach(),))
    loss_dgen = F.softplus(gen_logits).mean()
    real_tmp = real.detach().requires_grad_(True)
    real_logits = functional_call(d, params, (real_tmp,))
    loss_dreal = F.softplus(-real_logits).mean()
    (r1_grads,) = torch.autograd.grad(real_logits.sum(), real_tmp, create_graph=True)
    r1_penalty = r1_grads.square().sum([1, 2, 3])
    loss_dr1 = (real_logits * 0 + r1_penalty * (r1_gamma / 2)).mean() * interval
    return loss_dgen + loss_dreal, loss_dr1


def test_stylegan2_r1_every_step_equals_the_reference():
    g, d = _models()
    params = _copy(d)
    gen = torch.Generator().manual_seed(3)
    real = torch.rand(5, 3, 16, 16, generator=gen, dtype=torch.float64) * 2 - 1
    fake = g(torch.randn(5, 8, generator=gen, dtype=torch.float64)).detach()
    terms = get_objective("non-saturating", penalty="r1", penalty_weight=10.0).critic_loss(Step("critic", d, real=real, fake=fake))
    main, regularization = _stylegan2_critic_phases(d, params, real, fake, 10.0, interval=1)  # Dboth
    reference = main + regularization
    torch.testing.assert_close(terms["loss"], reference, atol=1e-12, rtol=1e-10)
    terms["loss"].backward()
    reference.backward()
    _assert_grads(d, params)


def test_stylegan2_lazy_r1_equals_the_reference_phases():
    g, d = _models()
    gen = torch.Generator().manual_seed(4)
    real = torch.rand(5, 3, 16, 16, generator=gen, dtype=torch.float64) * 2 - 1
    fake = g(torch.randn(5, 8, generator=gen, dtype=torch.float64)).detach()
    objective = get_objective("non-saturating", penalty="r1", penalty_weight=2.0, penalty_every=16)
    for step in (0, 1, 15, 16, 32):
        d.zero_grad()
        params = _copy(d)
        ours = objective.critic_loss(Step("critic", d, real=real, fake=fake, critic_step=step))
        main, regularization = _stylegan2_critic_phases(d, params, real, fake, 2.0, interval=16)
        applies = step % 16 == 0  # the reference's ``batch_idx % phase.interval == 0``
        assert ("penalty/r1" in ours) == applies, step
        reference = main + regularization if applies else main
        torch.testing.assert_close(ours["loss"], reference, atol=1e-12, rtol=1e-10)
        ours["loss"].backward()
        reference.backward()
        _assert_grads(d, params)


def test_penalties_sides_and_defaults():
    assert R1Penalty.gradient_at == ("real",) and R2Penalty.gradient_at == ("fake",)
    assert get_objective("relativistic", penalty=["r1", "r2"], penalty_weight=0.05).name == "relativistic+r1+r2"
