"""Smoke runs of the flagship example at 16x16 with tiny widths, on the real MNIST files."""

import json

import pytest
import torch

from ganlib.cli import main as cli_main
from ganlib.train import load_checkpoint

from tests.examples.helpers import load_example


@pytest.fixture(scope="module")
def example():
    return load_example("mnist_wgan_gp")


def tiny_args(root, out, *extra):
    return [
        "--data-root", str(root), "--digits", "3", "--image-size", "16", "--width", "4",
        "--latent-dim", "8", "--batch-size", "16", "--n-critic", "2", "--device", "cpu",
        "--sample-every", "2", "--checkpoint-every", "2", "--log-every", "2", "--out", str(out), *extra,
    ]


def test_tiny_run_writes_every_artifact(example, mnist_root, tmp_path):
    assert example.main(tiny_args(mnist_root, tmp_path, "--iterations", "3", "--ema", "0.9")) == 0
    for name in ("config.json", "metrics.jsonl", "curves.png", "samples/latest.png", "samples/iter_000002.png", "samples/iter_000003.png", "checkpoints/latest.pt"):
        assert (tmp_path / name).is_file(), name
    assert any((tmp_path / "tensorboard").iterdir())
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 3
    assert load_checkpoint(tmp_path)["ema"] is not None


def _settings(example, argv):
    """What ``ganlib train`` makes of the example's arguments: the run's resolved settings."""
    from ganlib.cli import resolve, train

    args = train.build_parser().parse_args(example.train_argv(example.parse_args(argv)))
    resolve.resolve(args)
    return args


def test_defaults_are_the_papers(example):
    args = _settings(example, [])
    assert (args.data, args.model, args.objective, args.ema) == ("mnist", "dcgan", "wgan-gp", 0.999)  # the EMA measured better: on by default
    assert (args.image_size, args.width, args.batch_size, args.n_critic, args.lr) == (64, 64, 64, 5, 1e-4)
    assert tuple(args.betas) == (0.0, 0.9) and args.critic_norm == "layer" and args.classes is None
    assert [(p.name, p.weight) for p in train_objective(args).penalties] == [("gp", 10.0)]
    cpu = _settings(example, ["--preset", "cpu"])
    assert (cpu.image_size, cpu.width) == (32, 32) and _settings(example, ["--preset", "cpu", "--width", "16"]).width == 16
    assert _settings(example, ["--no-ema"]).ema is None
    heavier = _settings(example, ["--gp-weight", "5"])
    assert (heavier.objective, heavier.penalty, heavier.penalty_weight) == ("wasserstein", ["gp"], 5.0)


def train_objective(args):
    from ganlib.cli import resolve
    from ganlib.recipes import recipe_for

    return resolve.objective(args, recipe_for(args.objective, tuple(args.penalty) if args.penalty else None))


def test_interrupted_and_resumed_run_matches_the_straight_run(example, mnist_root, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert example.main(tiny_args(mnist_root, straight, "--iterations", "4")) == 0
    assert example.main(tiny_args(mnist_root, split, "--iterations", "2")) == 0
    # Resume with only --iterations: the rest comes from the run's config.json.
    assert example.main(["--resume", str(split), "--iterations", "4"]) == 0
    a, b = load_checkpoint(straight), load_checkpoint(split)
    assert a["iteration"] == b["iteration"] == 4
    for key in ("generator", "critic"):
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key])
    assert json.loads((split / "config.json").read_text())["width"] == 4


def test_sample_cli_writes_a_tensor_and_a_grid(example, mnist_root, tmp_path, capsys):
    run = tmp_path / "run"
    assert example.main(tiny_args(mnist_root, run, "--iterations", "1", "--ema", "0.5")) == 0
    assert cli_main(["sample", "--checkpoint", str(run), "--num", "5", "--out", str(tmp_path / "s.pt")]) == 0
    images = torch.load(tmp_path / "s.pt", weights_only=True)
    assert images.shape == (5, 1, 16, 16) and images.min() >= -1 and images.max() <= 1
    assert "EMA" in capsys.readouterr().err
    assert cli_main(["sample", "--checkpoint", str(run), "--num", "4", "--out", str(tmp_path / "g.png"), "--no-ema"]) == 0
    assert (tmp_path / "g.png").stat().st_size > 0
    assert cli_main(["sample", "--checkpoint", str(run), "--num", "4", "--out", str(tmp_path / "g.jpg")]) == 2
    assert cli_main(["sample", "--checkpoint", str(tmp_path / "nothing"), "--num", "4", "--out", str(tmp_path / "g.png")]) == 2


def test_bad_digits_flag_is_rejected(example, capsys):
    with pytest.raises(SystemExit):
        example.parse_args(["--digits", "3,12"])
    assert "expected digits 0-9" in capsys.readouterr().err


def test_a_fresh_run_never_overwrites_a_run(example, mnist_root, tmp_path, capsys):
    assert example.main(tiny_args(mnist_root, tmp_path, "--iterations", "1")) == 0
    before = (tmp_path / "checkpoints" / "latest.pt").read_bytes()
    assert example.main(tiny_args(mnist_root, tmp_path, "--iterations", "2")) == 2
    assert f"{tmp_path} already holds a run; continue it with --resume" in capsys.readouterr().err
    assert (tmp_path / "checkpoints" / "latest.pt").read_bytes() == before
    assert example.main(tiny_args(mnist_root, tmp_path, "--iterations", "1", "--overwrite")) == 0


def test_a_resume_that_changes_the_architecture_is_refused_before_anything_is_written(example, mnist_root, tmp_path, capsys):
    assert example.main(tiny_args(mnist_root, tmp_path, "--iterations", "2")) == 0
    config = (tmp_path / "config.json").read_text()
    assert example.main(["--resume", str(tmp_path), "--iterations", "4", "--width", "8", "--latent-dim", "4"]) == 2
    err = capsys.readouterr().err
    assert "width: saved 4, now 8" in err and "latent_dim: saved 8, now 4" in err and "Traceback" not in err
    assert example.main(["--resume", str(tmp_path), "--iterations", "1"]) == 2
    assert "--iterations 1 is below the 2 iterations" in capsys.readouterr().err
    assert (tmp_path / "config.json").read_text() == config  # untouched: the next correct resume works
    assert example.main(["--resume", str(tmp_path), "--iterations", "3", "--lr", "5e-4"]) == 0
    assert load_checkpoint(tmp_path)["generator_optimizer"]["param_groups"][0]["lr"] == 5e-4


def test_torchrun_trains_on_two_processes_and_only_rank_0_writes(mnist_root, tmp_path):
    import os
    import subprocess

    from tests.conftest import REPO_ROOT, torchrun

    # The multi-node launch (a c10d rendezvous), with both "nodes" on this machine.
    command = torchrun(str(REPO_ROOT / "examples" / "mnist_wgan_gp.py"), *tiny_args(mnist_root, tmp_path / "run", "--iterations", "3", "--batch-size", "8"))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["world_size"], config["batch_size"], config["global_batch_size"]) == (2, 8, 16)
    assert load_checkpoint(tmp_path / "run")["iteration"] == 3
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 3  # one writer
    assert result.stdout.count("done: 3 iterations") + result.stderr.count("done: 3 iterations") == 1
