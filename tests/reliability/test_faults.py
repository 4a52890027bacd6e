"""Faults: signals, kill -9 at random moments, NaN in the data. Nothing is lost, nothing is silent."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganlib.checkpoint import load_checkpoint
from ganlib.train import NonFiniteError
from tests.conftest import REPO_ROOT
from tests.reliability import tiny_run

SCRIPT = Path(tiny_run.__file__)
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}


def _start(run_dir, iterations):
    return subprocess.Popen([sys.executable, str(SCRIPT), str(run_dir), str(iterations)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_checkpoint(run_dir, timeout=60.0):
    path = run_dir / "checkpoints" / "latest.pt"
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)


def _parameters(state):
    return [*state["generator"].values(), *state["critic"].values()]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run every fault is compared with."""
    out = tmp_path_factory.mktemp("straight")
    assert tiny_run.main(out, 40) == 0
    return load_checkpoint(out)


def test_sigterm_saves_and_exits_143(tmp_path):
    process = _start(tmp_path, 100000)
    _wait_for_checkpoint(tmp_path)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 143
    state = load_checkpoint(tmp_path)
    assert state["iteration"] >= 1 and all(torch.isfinite(t).all() for t in _parameters(state))


def test_a_stopped_run_leaves_the_pictures_a_finished_one_does(tmp_path):
    # Curves every 50 and frames every 100000 iterations: only the stop can have drawn them.
    command = [sys.executable, "-m", "ganlib", "train", "--data", "ring", "--width", "8", "--device", "cpu", "--iterations", "100000",
               "--log-every", "1", "--sample-every", "100000", "--checkpoint-every", "1", "--out", str(tmp_path)]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_checkpoint(tmp_path)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 143
    iteration = load_checkpoint(tmp_path)["iteration"]
    assert 0 < iteration < 50
    assert (tmp_path / "curves.png").stat().st_size > 0
    frames = sorted(p.name for p in (tmp_path / "landscape").glob("iter_*.png"))
    assert frames and frames[-1].endswith(f"{iteration:06d}.png"), frames


def test_a_second_ctrl_c_stops_at_once_and_claims_nothing(flagship_module, mnist_root, tmp_path):
    command = [sys.executable, str(REPO_ROOT / "examples" / "mnist_wgan_gp.py"), "--data-root", str(mnist_root), "--digits", "3",
               "--image-size", "16", "--width", "4", "--latent-dim", "8", "--batch-size", "16", "--n-critic", "1",
               "--device", "cpu", "--iterations", "100000", "--checkpoint-every", "1", "--sample-every", "1000", "--out", str(tmp_path)]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_checkpoint(tmp_path)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted again: stopped at once" in err or "SIGINT: stopped after iteration" in err  # the two may straddle an iteration
    assert "Traceback" not in err
    iteration = load_checkpoint(tmp_path)["iteration"]
    assert f"the checkpoint of iteration {iteration} is in" in err  # exactly what is on disk, no more


@pytest.fixture(scope="module")
def flagship_module():
    from tests.examples.helpers import load_example

    return load_example("mnist_wgan_gp")


def test_kill_minus_9_at_ten_random_moments_then_resume_equals_the_uninterrupted_run(straight, tmp_path):
    # Checkpoints after every iteration, so many kills land in the middle of a save. After
    # each kill the newest checkpoint must load; the run resumed to the end must equal the
    # uninterrupted one bit for bit, and its metrics log must have every iteration once.
    rng = random.Random(2026)
    for _ in range(10):
        process = _start(tmp_path, 40)
        time.sleep(rng.uniform(1.5, 3.5))
        process.kill()
        process.wait(timeout=30)
        latest = tmp_path / "checkpoints" / "latest.pt"
        if latest.exists():
            assert load_checkpoint(tmp_path)["iteration"] >= 1
    assert tiny_run.main(tmp_path, 40) == 0
    final = load_checkpoint(tmp_path)
    assert final["iteration"] == 40
    assert all(torch.equal(a, b) for a, b in zip(_parameters(final), _parameters(straight), strict=True))
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    import json

    assert [json.loads(line)["iteration"] for line in lines] == list(range(1, 41))
    assert not list((tmp_path / "checkpoints").glob(".*.tmp"))


def test_nan_in_the_data_stops_training_names_it_and_keeps_the_last_good_checkpoint(tmp_path):
    from tests.train.helpers import tiny_trainer
    from ganlib.train import Checkpointer, Trainer

    # One batch of NaN at a random critic step from 5 to 16 (iterations 3 to 8 at n_critic 2),
    # so that good checkpoints exist before it.
    step = random.Random(7).randint(5, 16)
    batches = [torch.rand(8, 1, 16, 16, generator=torch.Generator().manual_seed(i)) * 2 - 1 for i in range(100)]
    batches[step - 1] = torch.full((8, 1, 16, 16), float("nan"))
    base = tiny_trainer()
    trainer = Trainer(base.generator, base.critic, base.objective, base.generator_optimizer, base.critic_optimizer, batches,
                      n_critic=2, callbacks=[Checkpointer(tmp_path, every=1)], check_finite_every=5)
    with pytest.raises(NonFiniteError) as failure:
        trainer.fit(50)
    error = failure.value
    assert error.iteration == (step + 1) // 2 and error.phase in ("critic", "generator")
    assert f"training diverged at iteration {error.iteration}" in str(error) and repr(error.name) in str(error)
    saved = load_checkpoint(tmp_path)
    assert saved["iteration"] == error.iteration - 1  # the guard is read before every save
    assert all(torch.isfinite(t).all() for t in _parameters(saved))


def test_an_infinite_penalty_weight_is_refused_before_training():
    from ganlib.losses import WGANGP

    with pytest.raises(ValueError, match="gp_weight=inf is invalid"):
        WGANGP(gp_weight=float("inf"))


def test_divergence_in_the_flagship_is_one_line_with_exit_status_1(flagship_module, mnist_root, tmp_path, capsys, monkeypatch):
    import ganlib.data.registry as sources

    real_load = sources.load_mnist

    def poisoned(*args, **kwargs):
        images, labels = real_load(*args, **kwargs)
        images[:] = float("nan")
        return images, labels

    monkeypatch.setattr(sources, "load_mnist", poisoned)
    argv = ["--data-root", str(mnist_root), "--digits", "3", "--image-size", "16", "--width", "4", "--latent-dim", "8",
            "--batch-size", "16", "--n-critic", "1", "--device", "cpu", "--iterations", "30", "--checkpoint-every", "5",
            "--out", str(tmp_path)]
    assert flagship_module.main(argv) == 1
    err = capsys.readouterr().err
    assert "error: training diverged at iteration 1" in err and "Traceback" not in err
    assert not (tmp_path / "checkpoints" / "latest.pt").exists()
