import json

import torch

from PIL import Image

from tests.examples.helpers import load_example


def test_every_objective_has_its_papers_recipe():
    example = load_example("compare_objectives")
    recipes = example.RECIPES
    assert {"minimax", "non-saturating", "wgan-clip", "wgan-gp", "hinge", "least-squares", "relativistic", "relativistic-average", "r1", "ebgan", "began", "r3gan", "wgan-gp-toy", "pggan"} == set(recipes)
    assert recipes["wgan-clip"].optimizer == "rmsprop" and recipes["wgan-clip"].lr == 5e-5
    assert recipes["wgan-gp"].betas == (0.0, 0.9) and recipes["wgan-gp"].n_critic == 5
    assert recipes["hinge"].critic_norm == "spectral" and recipes["hinge"].build_objective().name == "hinge"
    assert recipes["r1"].build_objective().name == "non-saturating+r1"
    for name, recipe in recipes.items():  # every recipe builds its objective and optimizer
        assert recipe.build_objective() is not None and recipe.build_optimizer(torch.nn.Linear(1, 1)) is not None, name


def test_tiny_comparison_writes_runs_and_a_figure(mnist_root, tmp_path):
    example = load_example("compare_objectives")
    argv = [
        "--data-root", str(mnist_root), "--digits", "7", "--iterations", "2", "--image-size", "16", "--width", "4",
        "--latent-dim", "8", "--batch-size", "16", "--device", "cpu", "--out", str(tmp_path),
        "--objectives", "non-saturating", "wgan-clip", "--label-smoothing", "0.9", "--sample-every", "1", "--log-every", "1",
    ]
    assert example.main(argv) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == {"non-saturating", "wgan-clip"} and summary["wgan-clip"]["iteration"] == 2
    with Image.open(tmp_path / "comparison.png") as figure:
        assert figure.size[0] > figure.size[1]
    assert example.main([*argv, "--resume", "--iterations", "3"]) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["non-saturating"]["iteration"] == 3
