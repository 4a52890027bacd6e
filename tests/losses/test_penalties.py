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


def test_interpolates_of_half_fakes_and_float_reals_are_float():
    """Fakes made under autocast are often float16 while the real batch is float32."""
    x = interpolate(torch.full((2, 3), 4.0), torch.zeros(2, 3, dtype=torch.float16), eps=torch.tensor([0.25, 0.5], dtype=torch.float16))
    assert x.dtype == torch.float32
    torch.testing.assert_close(x, torch.tensor([[1.0] * 3, [2.0] * 3]))


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


# --- the penalties after WGAN-GP -------------------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ganlib.losses import (  # noqa: E402
    PENALTIES,
    BatchNormPenaltyWarning,
    ComposedObjective,
    DRAGANPenalty,
    GradientPenalty,
    LipschitzPenalty,
    R1Penalty,
    R2Penalty,
    Step,
    WassersteinLoss,
    critic_input_gradient,
    get_objective,
    perturb,
    zero_centered_penalty,
)


def dot_critic(weights):
    w = torch.as_tensor(weights, dtype=torch.float64)
    return lambda x: (x.flatten(1) * w).sum(dim=1)


def critic_step(critic, real, fake, critic_step=0):
    return Step("critic", critic, real=real, fake=fake, critic_step=critic_step)


@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=5))
def test_lipschitz_penalty_is_zero_where_the_slope_is_at_most_one(weights):
    w = torch.tensor(weights, dtype=torch.float64)
    w = w / max(1.0, w.norm().item() * (1 + 1e-9))  # ||w|| < 1, also after rounding (a norm of exactly 1 may round to 1 + 2e-16)
    x = torch.randn(4, len(weights), dtype=torch.float64)
    assert LipschitzPenalty().compute(critic_step(dot_critic(w), x, x.flip(0)))["lp"].item() == 0.0


def test_lipschitz_and_gradient_penalties_by_hand():
    x, y = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    critic = dot_critic([3.0, 4.0])  # gradient norm 5 everywhere
    assert LipschitzPenalty().compute(critic_step(critic, x, y))["lp"].item() == pytest.approx(16.0)
    assert GradientPenalty().compute(critic_step(critic, x, y))["gp"].item() == pytest.approx(16.0)
    flat = dot_critic([0.3, 0.4])  # norm 0.5: the two-sided penalty pulls it up, the one-sided does not
    assert GradientPenalty().compute(critic_step(flat, x, y))["gp"].item() == pytest.approx(0.25)
    assert LipschitzPenalty().compute(critic_step(flat, x, y))["lp"].item() == 0.0


def test_r1_is_zero_for_a_critic_flat_on_the_data_and_uses_the_reals():
    # D(x) = sum(x^2): gradient 2x, zero at x = 0. Reals at 0, fakes away from it.
    critic = lambda x: x.flatten(1).square().sum(dim=1)  # noqa: E731
    real, fake = torch.zeros(5, 3, dtype=torch.float64), torch.full((5, 3), 2.0, dtype=torch.float64)
    assert R1Penalty().compute(critic_step(critic, real, fake))["r1"].item() == 0.0
    # R2 at the fakes: 0.5 * ||2 * 2 * 1_3||^2 = 0.5 * 48 = 24
    assert R2Penalty().compute(critic_step(critic, real, fake))["r2"].item() == pytest.approx(24.0)


def test_r1_by_hand_and_its_weight_convention():
    critic = dot_critic([3.0, 4.0])
    real = torch.randn(4, 2, dtype=torch.float64)
    assert R1Penalty().compute(critic_step(critic, real, real))["r1"].item() == pytest.approx(12.5)  # gamma/2 * 25 with the 1/2 inside
    objective = ComposedObjective(WassersteinLoss(), [R1Penalty(weight=2.0)])
    plain = ComposedObjective(WassersteinLoss())
    step = critic_step(critic, real, real)
    assert (objective.critic_loss(step)["loss"] - plain.critic_loss(step)["loss"]).item() == pytest.approx(2.0 * 12.5)


def test_the_textbook_r1_leaves_the_callers_tensor_alone():
    real = torch.randn(3, 2)
    zero_centered_penalty(lambda x: x.sum(dim=1), real)
    assert not real.requires_grad


def test_a_zero_gradient_gives_a_finite_r1_gradient():
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    value = zero_centered_penalty(lambda x: (x * w).sum(dim=1), torch.randn(3, 2, dtype=torch.float64))
    (grad,) = torch.autograd.grad(value, w)
    assert torch.isfinite(grad).all()


def test_dragan_points_stay_near_the_reals_and_the_penalty_is_two_sided():
    real = torch.randn(64, 5)
    points = perturb(real, scale=0.5)
    assert ((points - real) >= 0).all() and ((points - real) <= 0.5 * real.std() + 1e-6).all()
    critic = dot_critic([0.0, 0.0, 0.0, 0.0, 2.0])
    x = real.double()
    assert DRAGANPenalty().compute(critic_step(critic, x, torch.zeros_like(x)))["dragan"].item() == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [-1.0, float("inf"), float("nan"), True])
def test_bad_penalty_weights_are_named(bad):
    with pytest.raises(ValueError, match="weight="):
        GradientPenalty(bad)


@pytest.mark.parametrize("bad", [0, -3, 1.5])
def test_bad_lazy_intervals_are_named(bad):
    with pytest.raises(ValueError, match=f"every={bad!r}"):
        R1Penalty(1.0, every=bad)


def test_gradient_penalty_target_must_be_finite():
    with pytest.raises(ValueError, match="target=inf"):
        GradientPenalty(target=float("inf"))


@given(st.integers(1, 8), st.integers(0, 20))
def test_a_lazy_penalty_applies_every_k_steps_with_its_weight_times_k(every, critic_step_index):
    critic = dot_critic([3.0, 4.0])
    real = torch.randn(4, 2, dtype=torch.float64)
    lazy = ComposedObjective(WassersteinLoss(), [R1Penalty(weight=2.0, every=every)])
    plain = ComposedObjective(WassersteinLoss())
    step = critic_step(critic, real, real.flip(0), critic_step=critic_step_index)
    terms = lazy.critic_loss(step)
    added = (terms["loss"] - plain.critic_loss(step)["loss"]).item()
    if critic_step_index % every == 0:
        assert added == pytest.approx(every * 2.0 * 12.5) and "penalty/r1" in terms
    else:
        assert added == 0.0 and "penalty/r1" not in terms


def test_two_penalties_report_distinct_names():
    critic = dot_critic([3.0, 4.0])
    x = torch.randn(4, 2, dtype=torch.float64)
    terms = ComposedObjective(WassersteinLoss(), [GradientPenalty(), DRAGANPenalty()]).critic_loss(critic_step(critic, x, x.flip(0)))
    assert {"penalty/gp", "penalty/grad_norm", "penalty/dragan", "penalty/dragan_grad_norm"} <= set(terms)
    with pytest.raises(ValueError, match="repeat a name"):
        ComposedObjective(WassersteinLoss(), [R1Penalty(), R1Penalty()])


def test_get_objective_by_name_and_its_errors():
    assert set(PENALTIES) == {"gp", "lp", "dragan", "r1", "r2", "lecam", "lecam-stylegan2", "epsilon-drift"}
    objective = get_objective("hinge", penalty="r1", penalty_weight=1.0, penalty_every=16)
    assert objective.penalties[0].weight == 1.0 and objective.penalties[0].every == 16
    assert get_objective("wasserstein", penalty="clip", clip=0.02).clip.clip == 0.02
    with pytest.raises(ValueError, match="penalty 'r3' is unknown; valid names are 'dragan', 'epsilon-drift', 'gp', 'lecam', 'lecam-stylegan2', 'lp', 'r1', 'r2', 'clip'"):
        get_objective("hinge", penalty="r3")
    with pytest.raises(ValueError, match="'ebgan' takes no penalty or clipping"):
        get_objective("ebgan", penalty="r1")


@pytest.mark.parametrize("penalty", [GradientPenalty(), LipschitzPenalty(), DRAGANPenalty(), R1Penalty(), R2Penalty()], ids=lambda p: p.name)
def test_every_gradient_penalty_warns_about_a_batchnorm_critic(penalty):
    from ganlib.models import DCGANCritic

    critic = DCGANCritic(image_size=16, width=4, norm="batch")
    x = torch.randn(4, 1, 16, 16)
    with pytest.warns(BatchNormPenaltyWarning, match=type(penalty).__name__):
        penalty(critic_step(critic, x, x.flip(0)))


def test_scaled_input_gradients_are_unscaled():
    critic = dot_critic([3.0, 4.0])
    x = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    plain = critic_input_gradient(critic, x)
    scaled = critic_input_gradient(critic, x, grad_scale=torch.tensor(65536.0, dtype=torch.float64))
    torch.testing.assert_close(scaled, plain)


def test_lecam_by_hand_anchors_then_the_pull_toward_the_other_anchor():
    from ganlib.losses import LeCamPenalty, Scores, Step

    lecam = LeCamPenalty(weight=1.0, decay=0.5, start=0)
    step = Step("critic", lambda x: x.sum(1), fake=torch.zeros(2, 1), real=torch.zeros(2, 1),
                scores=Scores(torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 1.0])))
    first = lecam(step)
    # First update copies the means: anchor_real 2, anchor_fake 0.
    # E[relu(D(x) - 0)^2] = (1 + 9) / 2 = 5; E[relu(2 - D(G(z)))^2] = (9 + 1) / 2 = 5.
    assert (lecam.anchor_real.item(), lecam.anchor_fake.item(), first["lecam"].item()) == (2.0, 0.0, 10.0)
    second = Step("critic", lambda x: x.sum(1), fake=torch.zeros(2, 1), real=torch.zeros(2, 1),
                  scores=Scores(torch.tensor([4.0, 4.0]), torch.tensor([2.0, 2.0])))
    value = lecam(second)["lecam"].item()
    # Then decay 0.5: anchor_real 0.5*2 + 0.5*4 = 3, anchor_fake 0.5*0 + 0.5*2 = 1.
    assert (lecam.anchor_real.item(), lecam.anchor_fake.item()) == (3.0, 1.0)
    assert value == (4.0 - 1.0) ** 2 + (3.0 - 2.0) ** 2


def test_lecam_is_zero_when_reals_score_below_the_fake_anchor_and_fakes_above_the_real_one():
    from ganlib.losses import LeCamPenalty, Scores, Step

    lecam = LeCamPenalty(start=0)  # the first update copies the batch means
    step = Step("critic", lambda x: x.sum(1), fake=torch.zeros(2, 1), real=torch.zeros(2, 1),
                scores=Scores(torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0])))
    assert lecam(step)["lecam"].item() == 0.0


def test_lecam_state_round_trips_and_its_parameters_are_checked():
    from ganlib.losses import LeCamPenalty, Scores, Step

    lecam = LeCamPenalty(decay=0.9, start=0)
    lecam(Step("critic", lambda x: x.sum(1), fake=torch.zeros(2, 1), real=torch.zeros(2, 1), scores=Scores(torch.ones(2), -torch.ones(2))))
    restored = LeCamPenalty(decay=0.9, start=0)
    restored.load_state_dict(lecam.state_dict())
    assert (restored.anchor_real.item(), restored.anchor_fake.item(), restored.updates.item()) == (1.0, -1.0, 1)
    with pytest.raises(ValueError, match="decay=1.0 is invalid"):
        LeCamPenalty(decay=1.0)


def test_inside_an_objective_r1_differentiates_the_real_scores_and_r2_the_fake_ones():
    # D(x) = |x|^2 / 2 has gradient x: R1 = E|x_real|^2 / 2, R2 = E|x_fake|^2 / 2, by hand.
    def critic(x):
        return 0.5 * x.square().sum(dim=1)

    real = torch.full((4, 2), 1.0, dtype=torch.float64)
    fake = torch.full((4, 2), 3.0, dtype=torch.float64)
    terms = ComposedObjective(WassersteinLoss(), [R1Penalty(weight=1.0), R2Penalty(weight=1.0)]).critic_loss(critic_step(critic, real, fake))
    assert terms["penalty/r1"].item() == pytest.approx(0.5 * 2.0) and terms["penalty/r2"].item() == pytest.approx(0.5 * 18.0)
