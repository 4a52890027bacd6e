"""The losses after 2017: hinge, least squares, relativistic (paired and average).

Known values worked out by hand, the laws each loss satisfies (hypothesis), float64
gradcheck, and the loss objects that pair them (accuracy, extras, the real batch in the
generator step).
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.autograd import gradcheck

from ganlib.losses import (
    LOSSES,
    HingeLoss,
    LeastSquaresLoss,
    RelativisticLoss,
    Step,
    get_objective,
    hinge_critic_loss,
    hinge_generator_loss,
    least_squares_critic_loss,
    least_squares_generator_loss,
    relativistic_average_critic_loss,
    relativistic_average_generator_loss,
    relativistic_critic_loss,
    relativistic_generator_loss,
)

LOG3 = math.log(3.0)  # softplus(log 3) = log 4, softplus(-log 3) = log(4/3)


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


scores = arrays("float64", st.integers(1, 8), elements=st.floats(-20, 20, allow_nan=False, width=64)).map(torch.from_numpy)


@st.composite
def paired_scores(draw):
    n = draw(st.integers(1, 8))
    element = st.floats(-20, 20, allow_nan=False, width=64)
    real = torch.from_numpy(draw(arrays("float64", n, elements=element)))
    fake = torch.from_numpy(draw(arrays("float64", n, elements=element)))
    return real, fake


# --- hinge ------------------------------------------------------------------------------------


def test_hinge_known_values():
    # reals 2 and 0.5: hinge 0 and 0.5; fakes -3 and 0: hinge 0 and 1
    assert hinge_critic_loss(t(2.0, 0.5), t(-3.0, 0.0)).item() == pytest.approx(0.25 + 0.5)
    assert hinge_generator_loss(t(1.0, -3.0)).item() == pytest.approx(1.0)


@given(scores, scores)
def test_hinge_critic_loss_is_zero_beyond_the_margins_and_positive_inside(real, fake):
    satisfied = hinge_critic_loss(real.abs() + 1.0, -fake.abs() - 1.0)
    assert satisfied.item() == 0.0
    assert hinge_critic_loss(real.clamp(max=0.99), fake).item() > 0.0


# --- least squares ----------------------------------------------------------------------------


def test_least_squares_known_values():
    # critic: 0.5 * mean((1 - 1)^2, (3 - 1)^2) + 0.5 * (2 - 0)^2 = 1 + 2
    assert least_squares_critic_loss(t(1.0, 3.0), t(2.0)).item() == pytest.approx(3.0)
    # -1-1-0 coding: 0.5 * (0 - 1)^2 + 0.5 * (0 + 1)^2
    assert least_squares_critic_loss(t(0.0), t(0.0), a=-1.0, b=1.0).item() == pytest.approx(1.0)
    assert least_squares_generator_loss(t(0.0, 3.0)).item() == pytest.approx(1.25)


@given(scores, scores)
def test_least_squares_critic_loss_is_zero_exactly_at_the_targets(real, fake):
    assert least_squares_critic_loss(torch.ones_like(real), torch.zeros_like(fake)).item() == 0.0
    assert least_squares_critic_loss(real, fake).item() >= 0.0


@pytest.mark.parametrize(("kwargs", "match"), [({"a": 1.0, "b": 1.0}, "must differ"), ({"c": math.inf}, "c=inf")])
def test_least_squares_bad_targets_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LeastSquaresLoss(**kwargs)


def test_least_squares_accuracy_uses_the_midpoint_of_the_targets():
    acc_real, acc_fake = LeastSquaresLoss().accuracy(t(0.6, 0.4), t(0.1, 0.7))
    assert (acc_real.item(), acc_fake.item()) == (0.5, 0.5)


# --- relativistic -----------------------------------------------------------------------------


def test_relativistic_pairing_known_values():
    # pairs (log3 vs 0) and (0 vs log3): softplus(-log 3) + softplus(log 3), halved
    expected = 0.5 * (math.log(4 / 3) + math.log(4))
    assert relativistic_critic_loss(t(LOG3, 0.0), t(0.0, LOG3)).item() == pytest.approx(expected)
    # Paired, not averaged: with the unpaired means the differences would both be 0 (log 2 each).
    assert relativistic_critic_loss(t(LOG3, 0.0), t(0.0, LOG3)).item() != pytest.approx(math.log(2))
    assert relativistic_generator_loss(t(LOG3), t(0.0)).item() == pytest.approx(math.log(4 / 3))


def test_relativistic_average_known_values():
    # reals (log3, log3), fakes (0, 0): real term softplus(-(log3 - 0)) = log(4/3); fake term softplus(0 - log3) = log(4/3)
    assert relativistic_average_critic_loss(t(LOG3, LOG3), t(0.0, 0.0)).item() == pytest.approx(2 * math.log(4 / 3))
    # the generator loss swaps the roles: softplus(-(0 - log3)) + softplus(log3 - 0) = 2 log 4
    assert relativistic_average_generator_loss(t(0.0, 0.0), t(LOG3, LOG3)).item() == pytest.approx(2 * math.log(4))


def test_relativistic_pairing_needs_equal_batches():
    with pytest.raises(ValueError, match="compares sample i with sample i"):
        relativistic_critic_loss(t(1.0, 2.0), t(1.0))


@given(paired_scores(), st.floats(-50, 50, allow_nan=False))
def test_relativistic_losses_are_shift_invariant(pair, shift):
    real, fake = pair
    for loss in (relativistic_critic_loss, relativistic_average_critic_loss):
        torch.testing.assert_close(loss(real + shift, fake + shift), loss(real, fake), rtol=1e-9, atol=1e-9)


@given(paired_scores())
def test_relativistic_generator_loss_is_the_critic_loss_with_roles_exchanged(pair):
    real, fake = pair
    torch.testing.assert_close(relativistic_generator_loss(fake, real), relativistic_critic_loss(fake, real))
    torch.testing.assert_close(relativistic_average_generator_loss(fake, real), relativistic_average_critic_loss(fake, real))


# --- every loss -------------------------------------------------------------------------------

CRITIC_LOSSES = [hinge_critic_loss, least_squares_critic_loss, relativistic_critic_loss, relativistic_average_critic_loss]
GENERATOR_LOSSES = [
    lambda f, r: hinge_generator_loss(f),
    lambda f, r: least_squares_generator_loss(f),
    relativistic_generator_loss,
    relativistic_average_generator_loss,
]


@pytest.mark.parametrize("loss", CRITIC_LOSSES + GENERATOR_LOSSES)
def test_gradcheck_in_float64(loss):
    real = torch.randn(5, dtype=torch.float64, requires_grad=True)
    fake = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert gradcheck(loss, (real, fake))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_builds_an_objective_whose_terms_are_named(name):
    critic = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0))
    objective = get_objective(name)
    terms = objective.critic_loss(Step("critic", critic, real=torch.randn(6, 3), fake=torch.randn(6, 3)))
    assert {"loss", "critic/d_real", "critic/d_fake", "accuracy/real", "accuracy/fake"} <= set(terms) and terms["loss"].requires_grad
    real = torch.randn(6, 3) if objective.needs_real_in_generator_step else None
    generator_terms = objective.generator_loss(Step("generator", critic, fake=torch.randn(6, 3, requires_grad=True), real=real))
    assert generator_terms["loss"].requires_grad


def test_only_the_relativistic_losses_need_reals_in_the_generator_step():
    assert {name for name, cls in LOSSES.items() if cls.needs_real_in_generator_step} == {"relativistic", "relativistic-average"}


def test_a_relativistic_generator_step_without_reals_is_explained():
    critic = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0))
    with pytest.raises(ValueError, match="needs_real_in_generator_step"):
        get_objective("relativistic").generator_loss(Step("generator", critic, fake=torch.randn(2, 3)))


def test_relativistic_generator_step_scores_reals_without_a_graph():
    critic = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0))
    fake, real = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    get_objective("relativistic-average").generator_loss(Step("generator", critic, fake=fake, real=real))["loss"].backward()
    assert fake.grad is not None and real.grad is None  # the real scores are constants for the generator


def test_loss_reprs():
    assert repr(HingeLoss()) == "HingeLoss()"
    assert repr(LeastSquaresLoss()) == "LeastSquaresLoss(a=0.0, b=1.0, c=1.0)"
    assert repr(RelativisticLoss()) == "RelativisticLoss()"
