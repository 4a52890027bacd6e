"""LeCam equals the authors' code, in both of its published versions.

google/lecam-gan at commit f9af9485eda4637b25e694c142ce8e6992eb7243:

* BigGAN (PyTorch), the paper's CIFAR experiments: ``third_party/utils.py`` (``ema_losses``:
  trackers start at 1000, ``decay = 0.0 if itr < start_itr else self.decay``),
  ``biggan_cifar/losses.py`` (the anchors updated with the step's mean scores inside the critic
  loss, before ``lecam_reg``), ``third_party/train_fns.py`` (the term added only when
  ``itr > start_itr``, times ``--LC``), ``biggan_cifar/train.py`` (``ema_losses(start_itr=1000)``,
  decay 0.9) and ``scripts/lc-biggan-cifar10.sh`` (``--LC 0.3``, ``--num_D_steps 4``).
* TensorFlow StyleGAN2: ``stylegan2/lecam_loss.py`` (anchors ``assign_moving_average(...,
  decay=0.99, zero_debias=True)`` from 0, the loss on the updated values, no warm-up) and
  ``scripts/run_train_cifar.sh`` (``LECAM=1e-6``).

Both references are rebuilt below and driven with the same scores as ganlib's penalty, step by
step over whole iterations of several critic steps; anchors and terms must agree.
"""

from __future__ import annotations

import pytest
import torch

from ganlib.losses import PENALTIES, LeCamPenalty, Scores, Step


class _BigGANAnchors:
    """``ema_losses`` with the ``lecam_reg`` that reads it."""

    def __init__(self, init: float = 1000.0, decay: float = 0.9, start_itr: int = 0) -> None:
        self.D_real, self.D_fake, self.decay, self.start_itr = init, init, decay, start_itr

    def update(self, cur: float, mode: str, itr: int) -> None:
        decay = 0.0 if itr < self.start_itr else self.decay
        setattr(self, mode, getattr(self, mode) * decay + cur * (1 - decay))

    def reg(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.relu(real - self.D_fake).pow(2)) + torch.mean(torch.relu(self.D_real - fake).pow(2))


def _biggan_term(anchors: _BigGANAnchors, real: torch.Tensor, fake: torch.Tensor, itr: int, lc: float) -> float:
    anchors.update(float(fake.mean()), "D_fake", itr)  # loss_hinge_dis updates before the reg
    anchors.update(float(real.mean()), "D_real", itr)
    return lc * float(anchors.reg(real, fake)) if itr > anchors.start_itr else 0.0  # train_fns: LC > 0 and itr > start_itr


class _TFZeroDebiasedAverage:
    """``tf.train`` ``assign_moving_average(var, value, decay, zero_debias=True)`` on a variable that starts at 0."""

    def __init__(self, decay: float) -> None:
        self.decay, self.biased, self.steps = decay, 0.0, 0

    def assign(self, value: float) -> float:
        self.biased = self.biased * self.decay + value * (1 - self.decay)
        self.steps += 1
        return self.biased / (1 - self.decay**self.steps)


def _scores(generator: torch.Generator, n: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    real = torch.randn(n, generator=generator, dtype=torch.float64) + 0.5
    fake = torch.randn(n, generator=generator, dtype=torch.float64) - 0.5
    return real, fake



@pytest.mark.parametrize("clock", [False, True], ids=["host-iteration", "device-clock"])
def test_the_default_is_the_biggan_reference_with_its_warm_up(clock):
    lecam = PENALTIES.build("lecam", start=5)  # the reference's 1,000 shortened; decay and weight are the defaults
    assert (lecam.weight, lecam.decay, lecam.debias) == (0.3, 0.9, False)
    reference = _BigGANAnchors(decay=0.9, start_itr=5)
    draws = torch.Generator().manual_seed(0)
    terms = []
    for itr in range(12):
        for _ in range(4):  # --num_D_steps 4: one update per critic step, all with the same itr
            real, fake = _scores(draws)
            expected = _biggan_term(reference, real, fake, itr, 0.3)
            step = Step(
                "critic", lambda x: x.sum(1), fake=torch.zeros(6, 1), real=torch.zeros(6, 1), scores=Scores(real, fake),
                iteration=0 if clock else itr, clock=torch.tensor(itr) if clock else None,
            )
            ours = lecam.weight * float(lecam(step)["lecam"])
            assert ours == pytest.approx(expected, rel=1e-12, abs=1e-15)
            assert (float(lecam.anchor_real), float(lecam.anchor_fake)) == pytest.approx((reference.D_real, reference.D_fake), rel=1e-12)
            terms.append(ours)
    assert all(t == 0.0 for t in terms[: 6 * 4]) and all(t > 0.0 for t in terms[6 * 4 :])  # off through itr == start_itr


def test_the_stylegan2_variant_is_the_tensorflow_reference():
    lecam = PENALTIES.build("lecam-stylegan2")
    assert (lecam.weight, lecam.decay, lecam.start, lecam.debias) == (1e-6, 0.99, 0, True)
    ema_real, ema_fake = _TFZeroDebiasedAverage(0.99), _TFZeroDebiasedAverage(0.99)
    draws = torch.Generator().manual_seed(1)
    for itr in range(20):
        real, fake = _scores(draws)
        anchor_real, anchor_fake = ema_real.assign(float(real.mean())), ema_fake.assign(float(fake.mean()))
        expected = float(torch.mean(torch.relu(real - anchor_fake).square()) + torch.mean(torch.relu(anchor_real - fake).square()))
        step = Step("critic", lambda x: x.sum(1), fake=torch.zeros(6, 1), real=torch.zeros(6, 1), scores=Scores(real, fake), iteration=itr)
        assert float(lecam(step)["lecam"]) == pytest.approx(expected, rel=1e-10)
        assert (float(lecam.anchor_real), float(lecam.anchor_fake)) == pytest.approx((anchor_real, anchor_fake), rel=1e-10)


def test_a_resumed_penalty_continues_with_the_same_averages():
    draws = torch.Generator().manual_seed(2)
    batches = [_scores(draws) for _ in range(8)]

    def run(penalty: LeCamPenalty, part: list) -> list[float]:
        return [float(penalty(Step("critic", lambda x: x.sum(1), fake=torch.zeros(6, 1), real=torch.zeros(6, 1), scores=Scores(r, f), iteration=i))["lecam"])
                for i, (r, f) in part]

    whole = run(PENALTIES.build("lecam-stylegan2"), list(enumerate(batches)))
    first = PENALTIES.build("lecam-stylegan2")
    head = run(first, list(enumerate(batches))[:3])
    second = PENALTIES.build("lecam-stylegan2")
    second.load_state_dict(first.state_dict())
    assert head + run(second, list(enumerate(batches))[3:]) == whole


def test_through_the_trainer_the_warm_up_counts_generator_iterations_on_its_device_clock():
    from ganlib.losses import get_objective
    from ganlib.train import Trainer

    from tests.train.helpers import tiny_trainer

    base = tiny_trainer()
    objective = get_objective("hinge", penalty="lecam", penalty_args={"start": 2})
    trainer = Trainer(base.generator, base.critic, objective, base.generator_optimizer, base.critic_optimizer, base.data, n_critic=3, seed=0)
    terms = [float(trainer.train_iteration().to_dict()["penalty/lecam"]) for _ in range(5)]
    assert terms[:3] == [0.0, 0.0, 0.0] and all(t > 0 for t in terms[3:])  # on from iteration start + 1 (0-based)
    assert int(trainer._steps.clock) == 5 == trainer.iteration
