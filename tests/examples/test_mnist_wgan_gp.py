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


def test_defaults_are_the_papers(example):
    args = example.build_parser().parse_args([])
    assert (args.image_size, args.batch_size, args.n_critic, args.gp_weight, args.lr) == (64, 64, 5, 10.0, 1e-4)
    assert tuple(args.betas) == (0.0, 0.9) and args.critic_norm == "layer" and args.digits is None


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
