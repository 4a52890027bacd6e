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
    assert tiny_run.main(out, 60) == 0
    return load_checkpoint(out)


def test_sigterm_saves_and_exits_143(forked, tmp_path):
    process = forked.Process(target=tiny_run.run, args=(tmp_path, 100000))
    process.start()
    _wait_for_checkpoint(tmp_path)
    process.terminate()  # SIGTERM
    process.join(timeout=60)
    assert process.exitcode == 143
    state = load_checkpoint(tmp_path)
    assert state["iteration"] >= 1 and all(torch.isfinite(t).all() for t in _parameters(state))


def test_a_stopped_run_leaves_the_pictures_a_finished_one_does(forked, tmp_path):
    # Curves every 50 and frames every 100000 iterations: only the stop can have drawn them.
    argv = ["train", "--data", "ring", "--width", "8", "--device", "cpu", "--iterations", "100000", "--threads", "1",
            "--log-every", "1", "--sample-every", "100000", "--checkpoint-every", "1", "--out", str(tmp_path / "run")]
    process = forked.Process(target=tiny_run.command, args=(argv, tmp_path / "err"))
    process.start()
    _wait_for_checkpoint(tmp_path / "run")
    process.terminate()  # SIGTERM
    process.join(timeout=60)
    assert process.exitcode == 143, (tmp_path / "err").read_text()
    run = tmp_path / "run"
    iteration = load_checkpoint(run)["iteration"]
    assert 0 < iteration < 50
    assert (run / "curves.png").stat().st_size > 0
    frames = sorted(p.name for p in (run / "landscape").glob("iter_*.png"))
    assert frames and frames[-1].endswith(f"{iteration:06d}.png"), frames


def test_a_second_ctrl_c_stops_at_once_and_claims_nothing(mnist_root, forked, tmp_path):
    argv = ["--data-root", str(mnist_root), "--digits", "3", "--image-size", "16", "--width", "4", "--latent-dim", "8", "--batch-size", "16",
            "--n-critic", "1", "--device", "cpu", "--iterations", "100000", "--checkpoint-every", "1", "--sample-every", "1000", "--out", str(tmp_path / "run")]
    process = forked.Process(target=tiny_run.example, args=("mnist_wgan_gp", argv, tmp_path / "err"))
    process.start()
    _wait_for_checkpoint(tmp_path / "run")
    os.kill(process.pid, signal.SIGINT)
    os.kill(process.pid, signal.SIGINT)
    process.join(timeout=60)
    err = (tmp_path / "err").read_text()
    assert process.exitcode == 130, err
    assert "interrupted again: stopped at once" in err or "SIGINT: stopped after iteration" in err  # the two may straddle an iteration
    assert "Traceback" not in err
    iteration = load_checkpoint(tmp_path / "run")["iteration"]
    assert f"the checkpoint of iteration {iteration} is in" in err  # exactly what is on disk, no more


@pytest.fixture(scope="module")
def flagship_module():
    from tests.examples.helpers import load_example

    return load_example("mnist_wgan_gp")


def test_kill_minus_9_at_ten_random_moments_then_resume_equals_the_uninterrupted_run(straight, forked, tmp_path):
    # Checkpoints after every iteration, so many kills land in the middle of a save. After
    # each kill the newest checkpoint must load; the run resumed to the end must equal the
    # uninterrupted one bit for bit, and its metrics log must have every iteration once.
    # Each kill is timed from the run's progress, not the clock, so that on a fast machine or a
    # slow one it lands in a live run: after 1 to 3 more logged iterations, then 0-30 ms into
    # the next (which may be in its save). Ten rounds advance at most 30 of the 60 iterations.
    rng = random.Random(2026)
    log = tmp_path / "metrics.jsonl"
    killed_while_training, reached = 0, []
    for _ in range(10):
        done = log.read_text().count("\n") if log.exists() else 0
        target = done + rng.randint(1, 3)
        process = forked.Process(target=tiny_run.main, args=(tmp_path, 60))
        process.start()
        deadline = time.monotonic() + 60
        while process.is_alive() and (log.read_text().count("\n") if log.exists() else 0) < target:
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.03))
        killed_while_training += process.is_alive()
        process.kill()  # SIGKILL: no handler runs, no file is closed
        process.join(timeout=30)
        latest = tmp_path / "checkpoints" / "latest.pt"
        if latest.exists():
            reached.append(load_checkpoint(tmp_path)["iteration"])
    assert reached and min(reached) >= 1
    assert killed_while_training == 10  # every kill landed in a live run
    assert tiny_run.main(tmp_path, 60) == 0
    final = load_checkpoint(tmp_path)
    assert final["iteration"] == 60
    assert all(torch.equal(a, b) for a, b in zip(_parameters(final), _parameters(straight), strict=True))
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    import json

    assert [json.loads(line)["iteration"] for line in lines] == list(range(1, 61))
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
    import ganlib.data.mnist as sources  # where the MNIST source calls its loader

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
