import warnings

import pytest
import torch
from ganlib.losses import (
    OBJECTIVES,
    WGANGP,
    BatchNormPenaltyWarning,
    Minimax,
    NonSaturating,
    WGANClip,
    Step,
    get_objective,
    logit_accuracy,
    midpoint_accuracy,
)
from ganlib.models import DCGANCritic, MLPCritic

CRITIC_KEYS = {"loss", "critic/d_real", "critic/d_fake", "accuracy/real", "accuracy/fake", "critic/sign_real"}


def critic_step(critic, real, fake, **kwargs):
    return Step("critic", critic, real=real, fake=fake, **kwargs)


def generator_step(critic, fake, real=None):
    return Step("generator", critic, fake=fake, real=real)


def test_registry_names():
    # a loss is an objective already; only what is not a bare loss has a name of its own
    assert set(OBJECTIVES) == {"wgan-clip", "wgan-gp", "pggan", "ebgan", "began"}
    assert get_objective("non-saturating").name == "non-saturating"
    assert get_objective("wgan-clip").clip.clip == 0.01
    assert [(p.name, p.weight) for p in get_objective("wgan-gp").penalties] == [("gp", 10.0)]


@pytest.mark.parametrize(
    ("preset", "name", "kwargs"),
    [(Minimax, "minimax", {"real_label": 0.9}), (NonSaturating, "non-saturating", {}), (WGANClip, "wgan-clip", {}), (WGANGP, "wgan-gp", {})],
)
def test_the_0_1_classes_equal_their_compositions(preset, name, kwargs):
    """The 0.1 classes stay as the Python spelling; each builds what its name in the registry builds."""
    torch.manual_seed(0)
    critic = MLPCritic(3, hidden=(8,))
    real, fake = torch.randn(6, 3), torch.randn(6, 3)
    torch.manual_seed(1)
    ours = preset(**kwargs).critic_loss(critic_step(critic, real, fake))
    torch.manual_seed(1)
    theirs = get_objective(name, **kwargs).critic_loss(critic_step(critic, real, fake))
    assert set(ours) == set(theirs)
    for key in ours:
        torch.testing.assert_close(ours[key], theirs[key], rtol=0, atol=0)


def test_a_composition_adds_penalties_and_warns_for_its_renamed_keywords():
    assert get_objective("wgan-gp", penalty="r1").name == "wasserstein+gp+r1"
    assert get_objective("wgan-gp", penalty="gp").name == "wasserstein+gp"  # its own, not twice
    assert get_objective("wgan-gp", penalty_weight=5.0).penalties[0].weight == 5.0
    with pytest.warns(DeprecationWarning, match="gp_weight= of this objective is now the penalty argument 'gp.weight'"):
        assert get_objective("wgan-gp", gp_weight=7.0).penalties[0].weight == 7.0
    with pytest.raises(ValueError, match="'began' takes no penalty"):
        get_objective("began", penalty="r1")
    with pytest.raises(ValueError, match="'hinge' is the loss 'hinge', which is an objective already"):
        from ganlib.losses import register_objective

        register_objective("hinge", composition=("hinge", "r1"))


def test_unknown_objective_lists_the_valid_names():
    with pytest.raises(ValueError, match="'wgan' is unknown; valid names are .*'wgan-clip', 'wgan-gp', 'hinge'.*'minimax', 'non-saturating'.*'wasserstein'"):
        get_objective("wgan")


@pytest.mark.parametrize(
    ("factory", "match"),
    [(lambda: WGANGP(gp_weight=-1), "gp_weight=-1"), (lambda: WGANClip(clip=0), "clip=0"), (lambda: Minimax(real_label=0), "real_label=0")],
)
def test_bad_hyperparameters_are_named(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


@pytest.mark.parametrize(
    ("name", "extra"),
    [("minimax", set()), ("non-saturating", set()), ("wgan-clip", {"critic/wasserstein"}), ("wgan-gp", {"critic/wasserstein", "penalty/gp", "penalty/grad_norm"})],
)
def test_terms_are_named_and_only_the_loss_is_differentiable(name, extra):
    critic = MLPCritic(3, hidden=(8,))
    objective = get_objective(name)
    terms = objective.critic_loss(critic_step(critic, torch.randn(6, 3), torch.randn(6, 3)))
    assert set(terms) == CRITIC_KEYS | extra
    assert terms["loss"].requires_grad
    assert all(not v.requires_grad and v.ndim == 0 for k, v in terms.items() if k != "loss")
    gen = objective.generator_loss(generator_step(critic, torch.randn(6, 3, requires_grad=True)))
    assert set(gen) == {"loss", "d_fake"} and gen["loss"].requires_grad


def test_wgan_gp_loss_is_wasserstein_plus_weighted_penalty():
    critic = MLPCritic(3, hidden=(8,))
    torch.manual_seed(0)
    terms = WGANGP(gp_weight=7.0).critic_loss(critic_step(critic, torch.randn(6, 3), torch.randn(6, 3)))
    torch.testing.assert_close(terms["loss"].detach(), -terms["critic/wasserstein"] + 7.0 * terms["penalty/gp"])
    torch.testing.assert_close(terms["critic/wasserstein"], terms["critic/d_real"] - terms["critic/d_fake"])


def test_accuracy_definitions_by_hand():
    acc = logit_accuracy(torch.tensor([2.0, -1.0, 0.5, 3.0]), torch.tensor([-1.0, 1.0]))
    assert [a.item() for a in acc] == [0.75, 0.5]
    # midpoint of means (4 + 0) / 2 = 2: reals above 2, fakes below 2
    acc = midpoint_accuracy(torch.tensor([1.0, 7.0]), torch.tensor([-2.0, 2.5, -0.5]))
    assert [a.item() for a in acc] == [0.5, pytest.approx(2 / 3)]


def test_midpoint_accuracy_is_shift_invariant():
    r, f = torch.randn(10), torch.randn(10)
    a = midpoint_accuracy(r, f)
    b = midpoint_accuracy(r + 123.0, f + 123.0)
    assert [x.item() for x in a] == [x.item() for x in b]


def test_clip_hook_clamps_every_parameter():
    critic = MLPCritic(3, hidden=(8,))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100)
    WGANClip(clip=0.05).after_critic_step(critic)
    assert all(p.abs().max() <= 0.05 for p in critic.parameters())
    assert any((p.abs() == 0.05).any() for p in critic.parameters())


def test_other_objectives_do_not_touch_the_critic_after_a_step():
    critic = MLPCritic(3, hidden=(8,))
    before = [p.clone() for p in critic.parameters()]
    for name in ("minimax", "non-saturating", "wgan-gp"):
        get_objective(name).after_critic_step(critic)
    assert all(torch.equal(a, b) for a, b in zip(before, critic.parameters(), strict=True))


def test_batchnorm_critic_with_gradient_penalty_warns_once():
    critic = DCGANCritic(image_size=16, width=4, norm="batch")
    objective = WGANGP()
    x = torch.randn(4, 1, 16, 16)
    with pytest.warns(BatchNormPenaltyWarning, match="norm='layer'"):
        objective.critic_loss(critic_step(critic, x, x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        objective.critic_loss(critic_step(critic, x, x))


def test_layernorm_critic_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = torch.randn(4, 1, 16, 16)
        WGANGP().critic_loss(critic_step(DCGANCritic(image_size=16, width=4), x, x))


def test_penalty_changes_the_critic_gradient():
    torch.manual_seed(0)
    critic = MLPCritic(3, hidden=(8,))
    real, fake = torch.randn(6, 3), torch.randn(6, 3)

    def grads(weight):
        torch.manual_seed(1)
        critic.zero_grad()
        WGANGP(gp_weight=weight).critic_loss(critic_step(critic, real, fake))["loss"].backward()
        return torch.cat([p.grad.flatten() for p in critic.parameters()])

    assert not torch.allclose(grads(0.0), grads(10.0))


def test_repr_shows_hyperparameters():
    assert repr(WGANGP()) == "WGANGP(gp_weight=10.0, target=1.0, one_sided=False)"
