"""Round three of users' misuse (issue 28): a lock that holds, runs that never delete each other,
resumes that cannot break a run, and the new surfaces under bad input.

Each test is a case of the table in ``docs/guides/testing.rst`` (reliability): the input, and
what the user sees.
"""

import contextlib
import os
import signal

import pytest

from ganlib.cli import main
from ganlib.errors import RunError
from ganlib.runs import LOCK, run_lock

TOY = ["--data", "ring", "--width", "8", "--device", "cpu", "--log-every", "1", "--sample-every", "1000", "--checkpoint-every", "20"]


def _train(out, *extra):
    return main(["train", *TOY, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run of two iterations (AdamW), trained once: tests copy it before changing it."""
    out = tmp_path_factory.mktemp("trained") / "run"
    assert _train(out, "--iterations", "2", "--optimizer", "adamw") == 0
    return out


def _copy(run, to):
    import shutil

    shutil.copytree(run, to)
    return to


def _one_line(err):
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("error: ") and "Traceback" not in err, err
    return lines[-1]


# --- 1, 2: the run lock -------------------------------------------------------------------------


def test_a_refused_process_leaves_the_holders_lock_and_a_third_is_refused_too(tmp_path):
    out = tmp_path / "run"
    with run_lock(out):
        with pytest.raises(RunError, match=f"process {os.getpid()} is training into it"):
            with run_lock(out):
                pass
        assert (out / LOCK).read_text().strip() == str(os.getpid())  # the holder's lock, still there
        with pytest.raises(RunError, match="is in use"):
            with run_lock(out):
                pass
    assert not (out / LOCK).exists()  # the holder removes it on its way out
    with run_lock(out):  # and the next run takes it
        pass


def test_a_train_refused_by_the_lock_itself_leaves_it_to_its_holder(tmp_path, capsys, monkeypatch):
    import subprocess
    import sys

    from ganlib import runs

    # The race of the issue: both commands passed the plan's check, and the other took the lock first.
    monkeypatch.setattr(runs, "in_use", lambda run_dir: None)
    out = tmp_path / "run"
    out.mkdir()
    # Another process holding the lock as run_lock does (an flock on the file, its pid inside), without importing torch.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys\n"
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'%d\\n' % os.getpid())\n"
         "print('held', flush=True); sys.stdin.read()", str(out / LOCK)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for _ in range(2):  # the second is refused as the first was: the lock is still the holder's
            assert _train(out, "--iterations", "2") == 2
            assert f"{out} is in use: process {holder.pid} is training into it" in _one_line(capsys.readouterr().err)
        assert (out / LOCK).read_text().strip() == str(holder.pid)
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_lock_that_is_a_symbolic_link_is_refused_and_its_target_untouched(tmp_path, capsys):
    out, precious = tmp_path / "run", tmp_path / "precious.txt"
    out.mkdir()
    precious.write_text("the user's own file\n")
    (out / LOCK).symlink_to(precious)
    assert _train(out, "--iterations", "2") == 2
    assert f"{out / LOCK} is a symbolic link, not a lock ganlib wrote" in _one_line(capsys.readouterr().err)
    assert precious.read_text() == "the user's own file\n"
    assert (out / LOCK).is_symlink() and not (out / "metrics.jsonl").exists()
    with pytest.raises(RunError, match="symbolic link"):
        with run_lock(out):
            pass
    assert precious.read_text() == "the user's own file\n"


def test_a_lock_file_removed_just_as_it_was_opened_is_taken_anew(tmp_path, monkeypatch):
    from ganlib import locks

    out = tmp_path / "run"
    out.mkdir()
    stale = locks._open_lock(out / LOCK)
    (out / LOCK).unlink()  # its holder finished between our open and our flock
    opens = iter([lambda path: stale])
    real = locks._open_lock
    monkeypatch.setattr(locks, "_open_lock", lambda path: next(opens, real)(path))
    with run_lock(out):  # the flock on the removed file succeeds; the lock is taken on the file in place
        assert next(opens, None) is None  # the removed file was opened first
        assert (out / LOCK).read_text().strip() == str(os.getpid())  # then the lock was taken on a file in place
    assert not (out / LOCK).exists()


# --- 3: runs inside runs ------------------------------------------------------------------------


def test_an_out_inside_another_run_is_refused_and_overwrite_never_deletes_a_nested_run(trained, tmp_path, capsys):
    outer, elsewhere = _copy(trained, tmp_path / "run"), _copy(trained, tmp_path / "elsewhere")
    inner = outer / "checkpoints" / "inner"
    assert _train(inner, "--iterations", "2") == 2
    assert f"{inner} lies inside the run in {outer}, whose --overwrite would delete it" in _one_line(capsys.readouterr().err)
    assert not inner.exists()
    assert main(["train", "--resume", str(elsewhere), "--out", str(inner), "--iterations", "3"]) == 2
    assert f"{inner} lies inside the run in {outer}" in _one_line(capsys.readouterr().err)
    # A run put there by an older ganlib (or by hand): --overwrite of the outer run refuses.
    elsewhere.rename(inner)
    before = sorted(p.name for p in inner.iterdir())
    assert _train(outer, "--iterations", "2", "--overwrite") == 2
    assert f"--overwrite {outer} would delete {inner}, another ganlib run inside it" in _one_line(capsys.readouterr().err)
    assert sorted(p.name for p in inner.iterdir()) == before and (outer / "config.json").exists()


# --- 4: another optimizer on resume -------------------------------------------------------------


def test_resuming_with_another_optimizer_is_refused_and_the_run_stays_resumable(trained, tmp_path, capsys):
    out = _copy(trained, tmp_path / "run")
    config = (out / "config.json").read_bytes()
    for change, said in (
        (["--critic-optimizer", "sgd"], "the critic was trained with adamw, not sgd"),
        (["--optimizer", "adam"], "the generator was trained with adamw, not adam; the critic was trained with adamw, not adam"),
    ):
        assert main(["train", "--resume", str(out), "--iterations", "3", *change]) == 2
        line = _one_line(capsys.readouterr().err)
        assert said in line and f"drop {change[0]} to continue the run" in line
        assert (out / "config.json").read_bytes() == config
    assert main(["train", "--resume", str(out), "--iterations", "3"]) == 0


def test_load_optimizer_refuses_another_kinds_state_and_keeps_its_own():
    import torch

    from ganlib.train.state import load_optimizer

    weight = torch.nn.Parameter(torch.ones(3))
    adam = torch.optim.Adam([weight], lr=0.1)
    weight.grad = torch.ones(3)
    adam.step()
    for other in (torch.optim.SGD([weight], lr=0.1, momentum=0.9), torch.optim.RMSprop([weight], lr=0.1)):
        own = other.state_dict()
        with pytest.raises(ValueError, match=f"the checkpoint's critic_optimizer state is not a {type(other).__name__}'s: it lacks"):
            load_optimizer(other, adam.state_dict(), "critic_optimizer")
        assert other.state_dict() == own
        other.step()  # still its own kind: no KeyError
    sgd = torch.optim.SGD([weight], lr=0.1)
    with pytest.raises(ValueError, match="lacks betas"):
        load_optimizer(torch.optim.Adam([weight], lr=0.1), sgd.state_dict())


# --- 5: a tiny truncation -----------------------------------------------------------------------


@contextlib.contextmanager
def _ends_within(seconds):
    """Fail, rather than hang, when the block runs past ``seconds`` (before, a tiny truncation never ended)."""
    def overdue(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, overdue)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timer here")
@pytest.mark.parametrize("threshold", [1e-6, 1e-300])
def test_a_tiny_truncation_ends_at_once_with_noise_inside_it(threshold):
    from ganlib.models import sample_noise

    with _ends_within(10):
        z = sample_noise(64, 128, truncation=threshold)
    assert float(z.abs().max()) <= threshold


def test_what_is_left_after_the_redraws_is_the_same_truncated_normal():
    import torch

    from ganlib.models import sample_noise

    t = 0.05  # about 96% of draws fall outside: most components come from the inverse CDF
    z = sample_noise(400, 100, truncation=t, seed=3).double()
    assert float(z.abs().max()) <= t
    assert abs(float(z.mean())) < 1e-3
    assert abs(float(z.std()) - t / 3**0.5) < 2e-4  # nearly uniform on [-t, t] at this t
    assert torch.equal(sample_noise(8, 4, truncation=t, seed=3), sample_noise(8, 4, truncation=t, seed=3))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timer here")
def test_sample_with_a_tiny_truncation_writes_its_samples(trained, tmp_path):
    import torch

    with _ends_within(30):
        assert main(["sample", "--checkpoint", str(trained), "--num", "8", "--out", str(tmp_path / "z.pt"), "--truncation", "1e-6"]) == 0
    z = torch.load(tmp_path / "z.pt")
    assert z.shape == (8, 2) and bool(torch.isfinite(z).all())


# --- 6: a preset with another penalty -----------------------------------------------------------


@pytest.mark.parametrize(("preset", "penalty", "name", "optimizer"), [("wgan-clip", "gp", "wasserstein+gp+clip", "rmsprop"), ("wgan-gp", "clip", "wasserstein+gp+clip", "adam")])
def test_a_penalty_added_to_a_wgan_preset_is_kept_beside_its_own(tmp_path, caplog, preset, penalty, name, optimizer):
    import json
    import logging

    from ganlib.checkpoint import load_checkpoint

    out = tmp_path / "run"
    with caplog.at_level(logging.INFO, logger="ganlib.train"):
        assert _train(out, "--iterations", "2", "--objective", preset, "--penalty", penalty) == 0
    assert f"on ring: {name}, n_critic=5, {optimizer}(" in caplog.text  # both constraints; the preset's recipe
    first = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert "penalty/gp" in first  # the gradient penalty is trained
    critic = load_checkpoint(out)["critic"]
    assert max(float(w.abs().max()) for w in critic.values()) <= 0.01  # and the weights are clipped


# --- 7: a step schedule without its arguments ---------------------------------------------------


def test_the_adaptive_schedule_without_its_thresholds_names_them_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out, "--iterations", "2", "--step-schedule", "adaptive") == 2
    line = _one_line(capsys.readouterr().err)
    assert "step schedule 'adaptive' needs critic_threshold and generator_threshold, which have no default" in line
    assert not out.exists()
    assert _train(out, "--iterations", "2", "--step-schedule", "adaptive", "--step-schedule-arg", "critic_threshold=0.3") == 2
    assert "needs generator_threshold, which has no default" in _one_line(capsys.readouterr().err)


def test_the_step_schedule_example_of_the_help_trains(tmp_path):
    import json
    import re

    from ganlib.cli.train import build_parser

    help_text = next(a.help for a in build_parser()._actions if "--step-schedule-arg" in a.option_strings)
    example = re.findall(r"\b\w+=[-+.\d]+", help_text)
    assert example, help_text
    out = tmp_path / "run"
    assert _train(out, "--iterations", "2", "--step-schedule", "adaptive", *(f"--step-schedule-arg={pair}" for pair in example)) == 0
    assert "schedule/critic_steps" in json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])


def test_a_registry_build_names_every_argument_left_out():
    from ganlib.registry import Registry

    shapes = Registry("shape")

    @shapes.register("box")
    def box(width: float, height: float, *, depth: float, colour: str = "red") -> tuple:
        return width, height, depth, colour

    with pytest.raises(ValueError, match=r"shape 'box' \(from tests.reliability.test_round3\) needs width, height and depth, which have no default; its arguments are width, height, depth, colour"):
        shapes.build("box")
    with pytest.raises(ValueError, match=r"shape 'box' \(from tests.reliability.test_round3\) needs depth, which has no default"):
        shapes.build("box", width=1, height=2)
    assert shapes.build("box", width=1, height=2, depth=3) == (1, 2, 3, "red")
