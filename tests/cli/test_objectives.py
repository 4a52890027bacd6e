"""One rule for named objectives: a preset or a recipe is its loss plus its penalties, and a
penalty option always adds to them; ``--clip`` is the clip constraint."""

import pytest

from ganlib.cli.resolve import objective, resolve
from ganlib.cli.train_options import build_parser


def _built(*argv):
    args = build_parser().parse_args(list(argv))
    recipe = resolve(args)
    return args, recipe, objective(args, recipe)


@pytest.mark.parametrize(
    ("argv", "name", "weights"),
    [
        # a recipe with penalties of its own keeps them, with its weight, and adds the one asked for
        (["--data", "cifar10", "--objective", "r3gan", "--penalty", "lecam"], "relativistic+r1+r2+lecam", {"r1": 0.05, "r2": 0.05, "lecam": 0.3}),
        (["--data", "mnist", "--objective", "r1", "--penalty", "lecam"], "non-saturating+r1+lecam", {"r1": 10.0, "lecam": 0.3}),
        (["--data", "mnist", "--objective", "wgan-gp", "--penalty", "r1"], "wasserstein+gp+r1", {"gp": 10.0, "r1": 10.0}),
    ],
    ids=["r3gan+lecam", "r1+lecam", "wgan-gp+r1"],
)
def test_a_penalty_option_adds_to_a_named_objectives_own(argv, name, weights):
    _, _, built = _built(*argv)
    assert built.name == name
    assert {p.name: p.weight for p in built.penalties} == weights


def test_a_recipe_spelled_out_keeps_its_settings():
    args, recipe, _ = _built("--data", "cifar10", "--objective", "r3gan", "--penalty", "lecam")
    assert (args.model, args.ema, recipe.optimizer, recipe.n_critic, args.lr_schedule) == ("r3gan", 0.999, "adam", 1, "cosine")


@pytest.mark.parametrize(
    ("argv", "name", "bound"),
    [
        (["--objective", "hinge", "--clip", "0.02"], "hinge+clip", 0.02),
        (["--objective", "wgan-gp", "--clip", "0.02"], "wasserstein+gp+clip", 0.02),
        (["--objective", "wgan-clip", "--clip", "0.02"], "wasserstein+clip", 0.02),
        (["--objective", "wgan-clip"], "wasserstein+clip", 0.01),
        (["--objective", "hinge", "--penalty", "clip"], "hinge+clip", 0.01),
        (["--objective", "wasserstein", "--penalty", "clip", "--clip", "0.03"], "wasserstein+clip", 0.03),
    ],
    ids=["clip-alone", "gp-and-clip", "wgan-clip-bound", "wgan-clip", "penalty-clip", "both-spellings"],
)
def test_clip_and_the_clip_penalty_are_one_constraint(argv, name, bound):
    _, recipe, built = _built("--data", "mnist", *argv)
    assert built.name == name
    assert built.clip is not None and built.clip.clip == bound


def test_wgan_clip_spelled_out_keeps_its_papers_optimizer():
    _, recipe, _ = _built("--data", "mnist", "--objective", "wgan-clip", "--clip", "0.02")
    assert (recipe.optimizer, recipe.lr, recipe.n_critic) == ("rmsprop", 5e-5, 5)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        # the harmonic curve's course: its MLPs, minimax with an EMA, batch 32, lr 1e-3
        ([], {"model": "course-harmonic", "objective": "minimax", "ema": 0.999, "batch_size": 32, "lr": 1e-3, "iterations": 5000, "critic_norm": "none", "width": None}),
        # with a width the course steps aside: the toy MLP at that width, the source's batch 32
        (["--width", "8"], {"model": "mlp", "objective": "minimax", "ema": None, "batch_size": 32, "width": 8, "iterations": 3000}),
        # another toy: WGAN-GP's toy code (lambda 0.1 and betas (0.5, 0.9) from GP's toy defaults, no critic norm)
        (["--data", "ring"], {"model": "mlp", "objective": "wasserstein", "penalty": ["gp"], "penalty_weight": 0.1, "betas": [0.5, 0.9], "critic_norm": "none", "width": 128, "batch_size": 256}),
        # images: the recipe (WGAN-GP's Adam (0, 0.9), layer norm, n_critic 5) over the kind's sizes
        (["--data", "mnist"], {"model": "dcgan", "objective": "wgan-gp", "betas": [0.0, 0.9], "critic_norm": "layer", "n_critic": 5, "image_size": 64, "batch_size": 64}),
        # the MLP family on images: its own image settings over the recipe's
        (["--data", "mnist", "--model", "mlp"], {"objective": "non-saturating", "image_size": 28, "batch_size": 32, "lr": 1e-4, "betas": [0.9, 0.999], "critic_norm": "none"}),
        # the command line over everything
        (["--data", "ring", "--batch-size", "8", "--betas", "0.1", "0.2"], {"batch_size": 8, "betas": [0.1, 0.2], "penalty_weight": 0.1}),
    ],
    ids=["harmonic-course", "harmonic-width", "toy", "images", "mlp-on-images", "typed"],
)
def test_the_defaults_come_from_what_the_components_declare(argv, expected):
    args, _, _ = _built(*argv)
    assert {key: getattr(args, key) for key in expected} == expected


def test_a_policy_that_names_no_setting_is_one_line(monkeypatch):
    from ganlib.losses import GradientPenalty

    monkeypatch.setattr(GradientPenalty, "kind_defaults", {"toy": {"penalty_wieght": 0.1}})
    with pytest.raises(ValueError, match=r"a component proposes penalty_wieght=0.1, which is not a train setting"):
        _built("--data", "ring")


@pytest.mark.parametrize(
    ("argv", "norm"),
    [
        (["--data", "cifar10", "--objective", "r3gan"], None),  # R3GAN's generator has no norm: none is recorded
        (["--data", "ring"], None),  # nor has the MLP
        (["--data", "mnist"], "batch"),  # the DCGAN's is BatchNorm
        (["--data", "mnist", "--model", "mlp", "--generator-norm", "batch"], "batch"),  # typed: kept, as typed
    ],
    ids=["r3gan", "mlp", "dcgan", "typed"],
)
def test_the_config_records_the_generator_norm_the_generator_has(argv, norm):
    args, _, _ = _built(*argv)
    assert args.generator_norm == norm
