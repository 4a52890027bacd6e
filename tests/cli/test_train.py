"""``python -m ganlib train``, ``interpolate`` and ``sample --class``: tiny runs of every family."""

import json

import pytest
import torch
from PIL import Image

from ganlib.checkpoint import load_checkpoint
from ganlib.cli import main

RUN_FLAGS = ["--device", "cpu", "--log-every", "2", "--sample-every", "2", "--checkpoint-every", "2"]


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_the_harmonic_curve_by_default_writes_a_landscape_and_its_gif(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--iterations", "4", "--out", str(run), *RUN_FLAGS]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["data"], config["model"], config["objective"], config["batch_size"], config["lr"], config["ema"]) == ("harmonic", "course-harmonic", "minimax", 32, 1e-3, 0.999)
    for name in ("landscape/iter_000002.png", "landscape/iter_000004.png", "landscape/latest.png", "landscape.gif", "curves.png", "checkpoints/latest.pt"):
        assert (run / name).is_file(), name
    with Image.open(run / "landscape.gif") as gif:
        assert gif.n_frames == 2
    assert "score/distance_to_curve" in _records(run)[1]
    generator = load_checkpoint(run)["generator_config"]
    assert generator["hidden"] == [16, 32] and generator["out_shape"] == [2]


def test_eight_gaussians_with_the_penalty_uses_the_papers_toy_settings_and_draws_the_gradient(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--data", "8gaussians", "--objective", "wasserstein", "--penalty", "gp", "--iterations", "2", "--width", "8", "--out", str(run), *RUN_FLAGS]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["penalty_weight"], config["betas"], config["n_critic"], config["batch_size"]) == (0.1, [0.5, 0.9], 5, 256)
    record = _records(run)[-1]
    assert {"penalty/gp", "penalty/grad_norm", "score/modes_covered", "score/modes_share_5pct"} <= set(record)
    with Image.open(run / "landscape" / "latest.png") as frame:
        assert frame.size[0] > 1.5 * frame.size[1]  # two panels: score and gradient norm


def test_weight_clipping_on_a_toy(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--data", "25gaussians", "--objective", "wgan-clip", "--iterations", "2", "--width", "8", "--out", str(run), *RUN_FLAGS]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["objective"], config["penalty"], config["optimizer"], config["lr"]) == ("wasserstein", ["clip"], "rmsprop", 5e-5)


IMAGE_FLAGS = ["--image-size", "16", "--width", "4", "--latent-dim", "8", "--batch-size", "16", *RUN_FLAGS]


def test_conditional_mnist_samples_a_chosen_class_and_walks(mnist_root, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", "mnist", "--data-root", str(mnist_root), "--conditional", "--classes", "1,7", "--iterations", "2", "--out", str(run), *IMAGE_FLAGS]) == 0
    state = load_checkpoint(run)
    assert state["generator_model"] == "conditional-dcgan-generator" and state["critic_model"] == "projection-critic"
    with Image.open(run / "samples" / "latest.png") as grid:
        assert grid.size[0] == 2 * 16 + 3 * 2  # one column per trained class: 1 and 7
    assert main(["sample", "--checkpoint", str(run), "--class", "7", "--num", "5", "--out", str(tmp_path / "sevens.pt")]) == 0
    assert torch.load(tmp_path / "sevens.pt", weights_only=True).shape == (5, 1, 16, 16)
    assert main(["sample", "--checkpoint", str(run), "--class", "12", "--num", "5", "--out", str(tmp_path / "x.pt")]) == 2
    assert "--class 12 is invalid; this generator was trained on classes 1, 7" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(run), "--class", "3", "--num", "5", "--out", str(tmp_path / "x.pt")]) == 2  # a digit it never saw
    assert "--class 3 is invalid; this generator was trained on classes 1, 7" in capsys.readouterr().err
    assert main(["interpolate", "--checkpoint", str(run), "--class", "5", "--rows", "2", "--steps", "3", "--out", str(tmp_path / "w.png")]) == 2
    assert "--class 5 is invalid" in capsys.readouterr().err
    assert main(["interpolate", "--checkpoint", str(run), "--rows", "3", "--steps", "4", "--out", str(tmp_path / "walk.png")]) == 0
    with Image.open(tmp_path / "walk.png") as walk:
        assert walk.size == (4 * 16 + 5 * 2, 3 * 16 + 4 * 2)
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(run), "--per-class", "--num", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["class"] for r in report["per_class"]] == [1, 7] and 0 <= report["mean_accuracy"] <= 1


@pytest.mark.parametrize("objective", ["ebgan", "began"])
def test_energy_based_gans_train_with_an_autoencoder_critic(mnist_root, tmp_path, objective):
    run = tmp_path / "run"
    assert main(["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--objective", objective, "--iterations", "2", "--out", str(run), *IMAGE_FLAGS]) == 0
    assert load_checkpoint(run)["critic_model"] == "autoencoder-critic"
    if objective == "began":
        assert {"began/k", "began/convergence"} <= set(_records(run)[-1])


def test_ebgan_with_the_pulling_away_term(mnist_root, tmp_path):
    run = tmp_path / "run"
    argv = ["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--objective", "ebgan", "--pull-away", "0.1"]
    assert main([*argv, "--iterations", "2", "--out", str(run), *IMAGE_FLAGS]) == 0
    assert 0 <= _records(run)[-1]["generator/pull_away"] <= 1


def test_the_course_vanilla_gan_on_mnist_at_28(mnist_root, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--data", "mnist", "--data-root", str(mnist_root), "--model", "mlp", "--classes", "3", "--iterations", "2", "--batch-size", "16", "--out", str(run), *RUN_FLAGS]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["image_size"], config["objective"], config["lr"]) == (28, "non-saturating", 1e-4)
    assert load_checkpoint(run)["generator_config"]["hidden"] == [256, 512, 1024]


def test_the_homework_5x5_dcgan(mnist_root, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--model", "dcgan5", "--objective", "wgan-clip", "--iterations", "2", "--out", str(run), *IMAGE_FLAGS]) == 0
    assert load_checkpoint(run)["generator_model"] == "dcgan5-generator"


def test_a_folder_of_images(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(20):
        Image.new("RGB", (24, 20), (10 * i, 100, 200 - 5 * i)).save(folder / f"{i}.png")
    run = tmp_path / "run"
    assert main(["train", "--data", f"folder:{folder}", "--iterations", "2", "--out", str(run), *IMAGE_FLAGS]) == 0
    assert load_checkpoint(run)["generator_config"]["channels"] == 3


def test_a_train_run_resumes_exactly(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    flags = ["--data", "ring", "--width", "8", *RUN_FLAGS]
    assert main(["train", *flags, "--iterations", "4", "--out", str(straight)]) == 0
    assert main(["train", *flags, "--iterations", "2", "--out", str(split)]) == 0
    assert main(["train", "--resume", str(split), "--iterations", "4"]) == 0
    a, b = load_checkpoint(straight), load_checkpoint(split)
    assert all(torch.equal(a["generator"][k], b["generator"][k]) for k in a["generator"])
    assert [r["iteration"] for r in _records(split)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "8gaussians", "--model", "dcgan"], "draws images; the data are 2-D points"),
        (["--data", "harmonic", "--conditional"], "has no conditional models"),
        (["--data", "ring", "--objective", "began"], "needs an autoencoder critic"),
        (["--data", "svhn"], "data 'svhn' is unknown"),
        (["--data", "harmonic", "--penalty-weight", "2"], "need a penalty"),
        (["--data", "ring", "--eval-every", "5"], "scores with the MNIST judge"),
        (["--data", "ring", "--objective", "hinge", "--margin", "1"], "--margin does not apply to --objective hinge"),
        (["--data", "ring", "--objective", "wgan-gp", "--label-smoothing", "0.9"], "--label-smoothing does not apply to --objective wasserstein"),
        (["--data", "ring", "--objective", "minimax", "--gamma", "0.5"], "--gamma does not apply to --objective minimax"),
    ],
)
def test_impossible_combinations_are_one_line(tmp_path, capsys, argv, message):
    assert main(["train", *argv, "--iterations", "1", "--out", str(tmp_path / "run"), *RUN_FLAGS]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_help_reads_like_a_table_of_contents(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for section in ("data:", "models:", "objective:", "optimization:", "run directory:"):
        assert section in out
    for name in ("8gaussians", "folder:PATH", "dcgan5", "relativistic-average", "dragan", "--conditional", "--penalty-every"):
        assert name in out


def test_the_wgan_gp_toy_recipe_is_gan_toy_py(tmp_path):
    # gan_toy.py: 3 x 512 ReLU MLPs, He/Glorot uniform, lambda 0.1, n_critic 5, batch 256, Adam 1e-4 (0.5, 0.9),
    # its 25 Gaussians a fixed set of 100,000 points shuffled once and cycled through.
    import ganlib.cli.resolve as resolve
    import ganlib.cli.train as train

    run = tmp_path / "run"
    argv = ["train", "--data", "25gaussians", "--data-arg", "points=100000", "--data-arg", "reshuffle=false", "--objective", "wgan-gp-toy", "--iterations", "2", "--out", str(run), *RUN_FLAGS]
    assert main(argv) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["width"], config["batch_size"], config["latent_dim"], config["n_critic"], config["lr"], config["betas"]) == (512, 256, 2, 5, 1e-4, [0.5, 0.9])
    assert config["generator_arg"] == config["critic_arg"] == {"init": "wgan-gp"}
    args = train.build_parser().parse_args(["--objective", "wgan-gp-toy", "--data", "8gaussians"])
    objective = resolve.objective(args, resolve.resolve(args))
    assert [(p.name, p.weight) for p in objective.penalties] == [("gp", 0.1)]
    # the command line wins over the recipe's settings, and dicts merge
    args = train.build_parser().parse_args(["--objective", "wgan-gp-toy", "--data", "8gaussians", "--width", "64", "--critic-arg", "dropout=0.1"])
    resolve.resolve(args)
    assert args.width == 64 and args.critic_arg == {"init": "wgan-gp", "dropout": 0.1} and args.iterations == 100_000
