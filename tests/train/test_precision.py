"""Mixed precision on the CPU: bf16 autocast, and fp16 with loss scaling, the penalty included.

Tolerances: bf16 keeps 8 bits of mantissa, fp16 11; the penalty and the gradients computed
under autocast must stay within a few percent of float32 (relative norm of the difference),
the level such formats give. The planted bug these tests guard against is a penalty taken of
*scaled* gradients (65,536 times too large under the default loss scale).
"""

import pytest
import torch

from ganlib.losses import Step, WGANGP, critic_gradient_norm, gradient_penalty, interpolate, penalty_from_norms
from ganlib.models import DCGANCritic
from ganlib.train import Precision, load_checkpoint

from tests.train.helpers import parameters, same, tiny_trainer


def _relative_error(a, b):
    return ((a - b).norm() / b.norm()).item()


@pytest.fixture
def batch():
    torch.manual_seed(0)
    critic = DCGANCritic(image_size=16, width=8, norm="layer")
    real, fake = torch.randn(8, 1, 16, 16), torch.randn(8, 1, 16, 16)
    return critic, real, fake, torch.rand(8)


def test_the_fp16_penalty_is_taken_of_scaled_gradients_and_unscaled_before_the_norm(batch):
    critic, real, fake, eps = batch
    reference = gradient_penalty(critic, real, fake, eps=eps)
    precision = Precision("fp16", "cpu", init_scale=4096.0)  # a scale the gradients fit under
    scale = precision.grad_scale("critic")
    assert scale.item() == 4096.0
    with precision.autocast():
        norms = critic_gradient_norm(critic, interpolate(real, fake, eps), grad_scale=scale)
        penalty = penalty_from_norms(norms)
    assert norms.dtype == torch.float32
    assert _relative_error(penalty.detach(), reference.detach()) < 0.05


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_parameter_gradients_under_autocast_agree_with_fp32(batch, precision):
    critic, real, fake, eps = batch

    def gradients(mode):
        critic.zero_grad(set_to_none=True)
        p = Precision(mode, "cpu", init_scale=4096.0)
        torch.manual_seed(1)  # the same interpolation weights
        with p.autocast():
            loss = WGANGP().critic_loss(Step("critic", critic, real=real, fake=fake, grad_scale=p.grad_scale("critic")))["loss"]
        p.backward(loss, "critic")
        scale = p.grad_scale("critic")
        grads = torch.cat([q.grad.flatten() for q in critic.parameters()])
        return grads / scale if scale is not None else grads

    assert _relative_error(gradients(precision), gradients("fp32")) < 0.05


def test_an_overflowing_fp16_step_is_skipped_and_the_scale_lowered():
    net = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    precision = Precision("fp16", "cpu")
    before = [p.detach().clone() for p in net.parameters()]
    precision.backward(net(torch.full((1, 2), float("inf"))).sum(), "critic")
    precision.step(optimizer, "critic")
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert precision.grad_scale("critic").item() == 32768.0  # halved from 65536


def test_unknown_precision_lists_the_valid_ones():
    with pytest.raises(ValueError, match="precision='fp8' is invalid; expected one of 'fp32', 'bf16', 'fp16'"):
        Precision("fp8")


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_trainer_resumes_exactly_under_mixed_precision(tmp_path, precision):
    from ganlib.train import Checkpointer

    # fp16 at the default initial scale: the tiny models' gradients overflow, and the scale
    # halves, for the first four iterations. A resume at 3 that forgot the scaler's state
    # would start from 65,536 again and skip three more steps.
    straight = tiny_trainer(n_critic=1)
    straight.precision = Precision(precision, "cpu")
    straight.fit(8)
    first = tiny_trainer(n_critic=1, callbacks=[Checkpointer(tmp_path, every=3)])
    first.precision = Precision(precision, "cpu")
    first.fit(3)
    state = load_checkpoint(tmp_path)
    assert (state["precision"], bool(state["scalers"])) == (precision, precision == "fp16")
    resumed = tiny_trainer(n_critic=1, seed=5)
    resumed.precision = Precision(precision, "cpu")
    resumed.load_state_dict(state)
    resumed.fit(8)
    assert same(parameters(resumed.generator), parameters(straight.generator))
    assert same(parameters(resumed.critic), parameters(straight.critic))


def test_a_loss_scaled_checkpoint_cannot_resume_unscaled(tmp_path):
    trainer = tiny_trainer(n_critic=1)
    trainer.precision = Precision("fp16", "cpu")
    trainer.fit(1)
    with pytest.raises(ValueError, match="trained with fp16 loss scaling, but precision is 'fp32'"):
        tiny_trainer(n_critic=1).load_state_dict(trainer.state_dict())


def test_under_fp16_a_few_overflows_pass_but_persistent_nan_stops_training():
    from ganlib.train import NonFiniteError, Trainer

    base = tiny_trainer(n_critic=1)
    base.precision = Precision("fp16", "cpu")
    base.fit(6)  # the first four steps overflow and are skipped while the scale settles: no error
    nan_batches = [torch.full((8, 1, 16, 16), float("nan"))]
    poisoned = Trainer(base.generator, base.critic, base.objective, base.generator_optimizer, base.critic_optimizer, nan_batches,
                       n_critic=1, precision=Precision("fp16", "cpu"), check_finite_every=5)
    with pytest.raises(NonFiniteError, match="training diverged at iteration 1: the critic step's 'loss/critic' is nan"):
        poisoned.fit(100)
    assert poisoned.iteration == 20  # stopped when the streak reached 20, not after 100 skipped steps
