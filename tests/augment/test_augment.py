"""Augmentation of the critic's inputs: DiffAugment and ADA, and the seam that applies them."""

from __future__ import annotations

import pytest
import torch

from ganlib.augment import AUGMENTATIONS, AdaptiveAugment, Augment, DiffAugment, cutout, translate
from ganlib.losses import SIGN_REAL, get_objective
from ganlib.train import Checkpointer, Trainer, load_checkpoint

from tests.train.helpers import parameters, same, tiny_trainer


def test_each_sample_gets_its_own_draw():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 16, 16).expand(32, -1, -1, -1).contiguous()  # one image, 32 times
    out = DiffAugment("color,translation,cutout")(x)
    distinct = {tuple(o.flatten()[:64].tolist()) for o in out}
    assert len(distinct) > 28


@pytest.mark.parametrize("operation", ["translation", "cutout", "color"])
def test_each_operation_draws_per_sample(operation):
    # One image 32 times: a per-sample draw gives many different results, a per-batch draw one.
    torch.manual_seed(0)
    x = torch.rand(1, 3, 16, 16).expand(32, -1, -1, -1).contiguous()
    out = DiffAugment(operation)(x)
    assert len({tuple(o.flatten().tolist()) for o in out}) > 8


def test_diffaugment_is_differentiable_with_respect_to_the_fakes():
    fake = torch.randn(6, 1, 8, 8, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(1)
    weights = torch.randn(6, 1, 8, 8, dtype=torch.float64)

    def augmented(x):
        torch.manual_seed(5)  # the same draw at every evaluation, as gradcheck needs
        return (DiffAugment("color,translation,cutout")(x) * weights).sum()

    assert torch.autograd.gradcheck(augmented, (fake,))


def test_a_fixed_seed_gives_the_same_augmentation():
    x = torch.randn(8, 3, 16, 16)
    torch.manual_seed(3)
    a = DiffAugment()(x)
    torch.manual_seed(3)
    assert torch.equal(a, DiffAugment()(x))


def test_translation_shifts_by_whole_pixels_and_fills_with_zeros():
    torch.manual_seed(0)
    x = torch.arange(64.0).view(1, 1, 8, 8).repeat(16, 1, 1, 1)
    out = translate(x, 0.25)
    for image in out:
        values = image[image != 0]
        assert set(values.tolist()) <= set(x[0].flatten().tolist())  # no interpolation
    assert any(not torch.equal(o, x[0]) for o in out)


def test_cutout_zeroes_a_square_of_the_asked_side():
    torch.manual_seed(0)
    out = cutout(torch.ones(32, 1, 16, 16), 0.25)
    zeros = (out == 0).flatten(1).sum(1)
    assert zeros.max() == 16 and (zeros > 0).all()  # 4x4, clipped at the borders


def test_the_policy_is_checked():
    with pytest.raises(ValueError, match="policy='colour' is invalid"):
        DiffAugment("colour")
    assert {"diffaugment", "ada"} <= set(AUGMENTATIONS.names())


class Spy(Augment):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def forward(self, x):  # noqa: D102
        self.batches.append(x.shape[0])
        return x


def test_the_trainer_augments_every_batch_the_critic_sees_in_both_steps():
    spy = Spy()
    base = tiny_trainer()
    trainer = Trainer(base.generator, base.critic, get_objective("hinge", penalty="r1"), base.generator_optimizer, base.critic_optimizer, base.data, n_critic=1, augment=spy)
    trainer.train_iteration()
    assert spy.batches == [8, 8, 8]  # critic step: real, fake (R1 reuses the real scores); generator step: fake
    spy.batches.clear()
    gp = Trainer(base.generator, base.critic, get_objective("wgan-gp"), base.generator_optimizer, base.critic_optimizer, base.data, n_critic=1, augment=spy)
    gp.train_iteration()
    assert spy.batches == [8, 8, 8, 8]  # and the penalty's interpolates


def _ada_after(ada: AdaptiveAugment, sign: float, iterations: int, images: int = 1000) -> float:
    for _ in range(iterations):
        ada.after_iteration((SIGN_REAL, "loss/critic"), torch.tensor([sign, 0.3]), images=images)
    return float(ada.p)


def test_ada_raises_p_for_a_critic_that_separates_the_reals_and_lowers_it_otherwise():
    ada = AdaptiveAugment(interval=2, kimg=10)
    assert _ada_after(ada, 1.0, 8) == pytest.approx(0.8)  # 4 adjustments of 2000/10000 each
    assert _ada_after(ada, 0.2, 4) == pytest.approx(0.4)
    assert _ada_after(ada, 1.0, 100) == 1.0 and _ada_after(ada, -1.0, 100) == 0.0  # clipped to [0, 1]


def test_ada_adjusts_only_every_interval_and_averages_r_t_over_it():
    ada = AdaptiveAugment(interval=3, kimg=1, target=0.6)
    assert _ada_after(ada, 1.0, 2) == 0.0
    ada.after_iteration((SIGN_REAL,), torch.tensor([-0.5]), images=100)  # mean (1 + 1 - 0.5) / 3 = 0.5 < 0.6
    assert float(ada.p) == 0.0  # lowered, and clipped at 0
    fixed = AdaptiveAugment(p=0.3, adaptive=False)
    assert _ada_after(fixed, 1.0, 50) == pytest.approx(0.3)


def test_ada_state_resumes():
    ada = AdaptiveAugment(interval=2, kimg=1)
    _ada_after(ada, 1.0, 3)
    restored = AdaptiveAugment(interval=2, kimg=1)
    restored.load_state_dict(ada.state_dict())
    assert float(restored.p) == float(ada.p) and restored._iterations == 3
    assert _ada_after(restored, 1.0, 1) == _ada_after(ada, 1.0, 1)


def test_ada_at_p_zero_changes_nothing_and_at_p_one_changes_every_sample():
    x = torch.randn(16, 1, 8, 8)
    assert torch.equal(AdaptiveAugment(p=0.0, adaptive=False)(x), x)
    torch.manual_seed(0)
    out = AdaptiveAugment(p=1.0, adaptive=False, transforms="brightness")(x)
    assert all(not torch.equal(a, b) for a, b in zip(out, x, strict=True))


def test_a_run_with_ada_resumes_exactly(tmp_path):
    def make(callbacks=()):
        base = tiny_trainer(objective="hinge")
        return Trainer(base.generator, base.critic, base.objective, base.generator_optimizer, base.critic_optimizer, base.data,
                       n_critic=1, augment=AdaptiveAugment(target=-1.0, interval=1, kimg=0.05), callbacks=callbacks)

    straight = make()
    straight.fit(4)
    make([Checkpointer(tmp_path, every=2)]).fit(2)
    resumed = make()
    resumed.load_state_dict(load_checkpoint(tmp_path))
    resumed.fit(4)
    assert float(resumed.augment.p) == float(straight.augment.p) > 0
    assert same(parameters(resumed.critic), parameters(straight.critic))
    straight.history.flush()
    assert "augment/p" in straight.history.columns and SIGN_REAL in straight.history.columns
