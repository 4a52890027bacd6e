"""Round two of users' misuse: run directories that cannot be clobbered, and one line for each error.

Each test is a case of the table in ``docs/guides/testing.rst`` (reliability): the input, and
what the user sees.
"""

import errno
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganlib.checkpoint import load_checkpoint
from ganlib.cli import main

TOY = ["--data", "ring", "--width", "8", "--device", "cpu", "--log-every", "1", "--sample-every", "1000", "--checkpoint-every", "20"]


def _train(out, *extra):
    return main(["train", *TOY, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy") / "run"
    assert _train(out, "--iterations", "2") == 0
    return out


@pytest.fixture
def copied_run(toy_run, tmp_path):
    """A copy of the module's two-iteration toy run, for a test to spoil."""
    return Path(shutil.copytree(toy_run, tmp_path / "run", symlinks=True))


# --- run directories ---------------------------------------------------------------------------


def test_two_trains_started_together_one_runs_one_is_refused_and_the_survivor_resumes_exactly(forked, tmp_path):
    from tests.reliability.tiny_run import command

    out, straight = tmp_path / "shared", tmp_path / "straight"
    argv = ["train", *TOY, "--iterations", "40", "--threads", "1", "--out", str(out)]
    processes = [forked.Process(target=command, args=(argv, tmp_path / f"err{i}")) for i in (1, 2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    results = [(p.exitcode, (tmp_path / f"err{i}").read_text()) for i, p in zip((1, 2), processes, strict=True)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "is in use" in refused or "already holds a run" in refused
    assert len(refused.strip().splitlines()[-1]) < 300 and "Traceback" not in refused
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == list(range(1, 41))  # one run's log, not two interleaved
    assert main(["train", "--resume", str(out), "--iterations", "60"]) == 0
    assert _train(straight, "--iterations", "60", "--threads", "1") == 0
    a, b = load_checkpoint(out), load_checkpoint(straight)
    assert all(torch.equal(a["generator"][k], b["generator"][k]) for k in a["generator"])


def test_a_held_lock_refuses_a_second_run_and_a_dead_holder_is_named(tmp_path, capsys):
    from ganlib.runs import LOCK, run_lock

    out = tmp_path / "run"
    with run_lock(out):
        assert _train(out, "--iterations", "2") == 2
        assert f"{out} is in use: process {os.getpid()} is training into it" in capsys.readouterr().err
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    out.mkdir(exist_ok=True)
    (out / LOCK).write_text(f"{dead}\n")  # a stale lock of a process that is gone
    assert _train(out, "--iterations", "2") == 0
    assert f"held a lock of process {dead}, which is gone" in capsys.readouterr().err


def test_resume_into_another_runs_directory_is_refused_and_changes_nothing(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _train(a, "--iterations", "2") == 0 and _train(b, "--iterations", "2", "--seed", "1") == 0
    before = {p.name: p.read_bytes() for p in (b / "checkpoints").iterdir()} | {"config": (b / "config.json").read_bytes()}
    assert main(["train", "--resume", str(a), "--out", str(b), "--iterations", "4"]) == 2
    assert f"{b} holds another run" in capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in (b / "checkpoints").iterdir()} | {"config": (b / "config.json").read_bytes()}
    assert after == before


@pytest.mark.parametrize("out", ["", "."])
def test_an_empty_or_dot_out_is_refused(tmp_path, monkeypatch, capsys, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "mine.png").write_bytes(b"the user's own file")
    assert main(["train", *TOY, "--iterations", "2", "--out", out, "--overwrite"]) == 2
    assert "names the current directory" in capsys.readouterr().err
    assert (tmp_path / "samples" / "mine.png").exists()


def test_overwrite_never_touches_folders_no_run_wrote(tmp_path, capsys):
    out = tmp_path / "photos"
    (out / "samples").mkdir(parents=True)
    (out / "samples" / "holiday.png").write_bytes(b"mine")
    assert _train(out, "--iterations", "2", "--overwrite") == 2
    assert "holds samples that no ganlib run wrote" in capsys.readouterr().err
    assert (out / "samples" / "holiday.png").read_bytes() == b"mine"


def test_overwrite_removes_a_runs_files_and_keeps_the_users(copied_run):
    out = copied_run
    (out / "notes.txt").write_text("my notes")
    assert _train(out, "--iterations", "3", "--overwrite") == 0
    assert (out / "notes.txt").read_text() == "my notes"
    assert [json.loads(line)["iteration"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3]


def test_a_run_that_died_before_its_first_checkpoint_says_how_to_start_again(copied_run, capsys):
    out = copied_run
    for checkpoint in (out / "checkpoints").iterdir():
        checkpoint.unlink()
    assert _train(out, "--iterations", "2") == 2
    assert "stopped before its first checkpoint (nothing to resume); pass --overwrite" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_shared_checkpoint_folder_keeps_other_peoples_files(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / ".other.pt.tmp").write_bytes(b"someone else's file being written")
    (shared / "iter_00000004.pt").write_bytes(b"someone else's checkpoint")
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoints").symlink_to(shared)
    (out / ".ganlib-run.json").write_text(json.dumps({"files": []}))  # a run directory prepared by hand
    assert main(["train", *TOY[:-2], "--checkpoint-every", "2", "--iterations", "8", "--keep-checkpoints", "1", "--out", str(out), "--overwrite"]) == 0
    assert (shared / ".other.pt.tmp").exists() and (shared / "iter_00000004.pt").read_bytes() == b"someone else's checkpoint"
    assert (out / "checkpoints").is_symlink()


# --- outputs -----------------------------------------------------------------------------------


def test_sample_onto_a_full_disk_keeps_the_previous_file(toy_run, tmp_path, monkeypatch, capsys):
    target = tmp_path / "samples.pt"
    assert main(["sample", "--checkpoint", str(toy_run), "--num", "4", "--out", str(target)]) == 0
    before = target.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(torch, "save", full)
    assert main(["sample", "--checkpoint", str(toy_run), "--num", "4", "--out", str(target)]) == 2
    assert "no space left on the device" in capsys.readouterr().err
    assert target.read_bytes() == before


class Payload:
    def __reduce__(self):
        return (print, ("code ran",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: pickle.dumps(Payload()), "cannot be read as a tensor file"),
        (lambda: b"\x89garbage bytes, not a file torch wrote", "cannot be read as a tensor file"),
        (lambda: None, "cannot be read as a tensor file"),  # truncated: written below
        (lambda: [1, 2, 3], "holds a list"),
        (lambda: torch.zeros(3, 28, 28), "holds a torch.float32 tensor of shape (3, 28, 28)"),
        (lambda: torch.zeros(4, 1, 8, 8, dtype=torch.long), "holds a torch.int64 tensor"),
    ],
    ids=["pickled-object", "garbage", "truncated", "list", "not-images", "integers"],
)
def test_evaluate_refuses_anything_but_images_in_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "x.pt"
    value = content()
    if isinstance(value, bytes):
        path.write_bytes(value)
    elif value is None:
        torch.save(torch.zeros(100, 1, 28, 28), path)
        path.write_bytes(path.read_bytes()[:5000])
    else:
        torch.save(value, path)
    assert main(["evaluate", "--samples", str(path)]) == 2
    err = capsys.readouterr()
    assert message in err.err and "Traceback" not in err.err and "code ran" not in err.out
    assert err.err.count("\n") == 1  # one line


def test_evaluate_of_a_missing_file_is_named(tmp_path, capsys):
    assert main(["evaluate", "--samples", str(tmp_path / "none.pt")]) == 2
    assert "none.pt: no such file" in capsys.readouterr().err


# --- recorded as they are ----------------------------------------------------------------------


def test_the_conditional_five_by_five_dcgan_is_refused_not_swapped(tmp_path, capsys):
    assert main(["train", "--data", "8gaussians", "--model", "dcgan5", "--conditional", "--out", str(tmp_path / "r")]) == 2
    assert "has no conditional models" in capsys.readouterr().err


def test_one_class_cannot_be_conditioned_on(mnist_root, tmp_path, capsys):
    argv = ["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--conditional", "--image-size", "16", "--width", "4", "--iterations", "1", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    assert "--conditional with --classes 3: one class leaves nothing to condition on" in capsys.readouterr().err


def test_a_toy_batch_of_a_billion_is_refused_before_allocating(tmp_path, capsys):
    assert _train(tmp_path / "r", "--iterations", "1", "--batch-size", "1000000000") == 2
    assert "batch_size=1000000000 is invalid; expected an integer from 1 to 1,000,000 points per batch" in capsys.readouterr().err


def test_an_mlp_has_no_autoencoder_critic_for_began(mnist_root, tmp_path, capsys):
    argv = ["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--model", "mlp", "--objective", "began", "--iterations", "1", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    assert "--objective began needs an autoencoder critic, and --model mlp has none" in capsys.readouterr().err


def test_download_without_a_network_is_one_line_and_cleans_up(tmp_path, monkeypatch, capsys):
    from torchvision import datasets

    def offline(self):
        raw = tmp_path / "data" / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        (raw / "train-images-idx3-ubyte.gz").write_bytes(b"partial")  # what a cut download leaves
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://ossci-datasets.s3.amazonaws.com/mnist/, got:\n<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    argv = ["train", "--data", "mnist", "--download", "--data-root", str(tmp_path / "data"), "--iterations", "1", "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--download could not fetch MNIST (<urlopen error [Errno -2] Name or service not known>)" in err
    assert "--data-root (or GANLIB_DATA)" in err and "train-images-idx3-ubyte.gz" in err
    assert not (tmp_path / "data").exists()  # the empty folders it made are gone, and the partial file
    assert not (tmp_path / "run").exists()



def test_an_offline_download_into_the_default_root_leaves_no_empty_cache(tmp_path, monkeypatch, capsys):
    """Without --data-root or GANLIB_DATA the files go under ~/.cache/ganlib/datasets; a failed
    download removes ~/.cache/ganlib as well when it made it (an empty one was left before)."""
    from torchvision import datasets

    def offline(self):
        raise RuntimeError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("GANLIB_DATA", raising=False)
    (tmp_path / ".cache").mkdir()  # a home with a cache folder, as most have
    monkeypatch.setattr(datasets.MNIST, "download", offline)
    assert main(["train", "--data", "mnist", "--download", "--iterations", "1", "--out", str(tmp_path / "run")]) == 2
    assert "--download could not fetch MNIST" in capsys.readouterr().err
    assert list((tmp_path / ".cache").iterdir()) == []


def test_a_cifar_download_without_a_network_is_one_line_and_cleans_up(tmp_path, monkeypatch, capsys):
    from torchvision import datasets

    root = tmp_path / "data"
    root.mkdir()
    (root / "notes.txt").write_text("mine")  # the user's file in the data root stays

    def offline(self):
        (root / "cifar-10-python.tar.gz").write_bytes(b"partial")  # what a cut download leaves
        raise RuntimeError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(datasets.CIFAR10, "download", offline)
    argv = ["train", "--data", "cifar10", "--download", "--data-root", str(root), "--iterations", "1", "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--download could not fetch CIFAR-10 (<urlopen error [Errno -2] Name or service not known>)" in err
    assert "cifar-10-python.tar.gz" in err and "--data-root (or GANLIB_DATA)" in err
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]  # the partial archive is gone
    assert not (tmp_path / "run").exists()


def test_data_not_found_keeps_its_old_name():
    from ganlib.data import DataNotFoundError, MNISTNotFoundError

    assert MNISTNotFoundError is DataNotFoundError and issubclass(DataNotFoundError, FileNotFoundError)

# --- ignored without a word, before this version -------------------------------------------------


def test_swapped_optimizers_are_refused():
    from tests.train.helpers import tiny_trainer
    from ganlib.train import Trainer

    t = tiny_trainer()
    with pytest.raises(ValueError, match="generator_optimizer holds the critic's parameters; were the two optimizers swapped"):
        Trainer(t.generator, t.critic, t.objective, t.critic_optimizer, t.generator_optimizer, t.data)


@pytest.mark.parametrize("shape", [(8, 2), ()], ids=["two-scores-per-sample", "a-scalar"])
def test_a_critic_must_return_one_score_per_sample(shape):
    from ganlib.losses import Step, get_objective

    class Bad(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1)[:, : shape[1]].sum() * torch.ones(shape) if shape else x.sum()

    with pytest.raises(ValueError, match="one score per sample"):
        get_objective("hinge").critic_loss(Step("critic", Bad(), real=torch.randn(8, 3), fake=torch.randn(8, 3)))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "mnist", "--channels", "3"], "--channels"),
        (["--data", "8gaussians", "--classes", "3"], "--classes"),
    ],
    ids=["channels-on-mnist", "classes-on-a-toy"],
)
def test_flags_that_cannot_apply_are_refused(mnist_root, tmp_path, capsys, argv, message):
    assert main(["train", *argv, "--data-root", str(mnist_root), "--iterations", "1", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_config_that_is_a_list_is_named(copied_run, capsys):
    out = copied_run
    (out / "config.json").write_text("[1, 2, 3]")
    assert main(["train", "--resume", str(out), "--iterations", "4"]) == 2
    assert "config.json" in capsys.readouterr().err


def test_a_checkpoint_missing_keys_is_named(copied_run, capsys):
    out = copied_run
    path = out / "checkpoints" / "latest.pt"
    state = torch.load(path, weights_only=False)
    del state["critic_optimizer"], state["history"]
    torch.save(state, path)
    assert main(["train", "--resume", str(out), "--iterations", "4"]) == 2
    err = capsys.readouterr().err
    assert "critic_optimizer" in err and "Traceback" not in err


def test_a_study_with_a_repeated_objective_is_refused(tmp_path, capsys):
    assert main(["study", "--data", "ring", "--objectives", "wgan-gp", "wgan-gp", "--out", str(tmp_path / "s")]) == 2
    assert "--objectives repeats wgan-gp" in capsys.readouterr().err


def _torchrun(out, *extra, env=()):
    from tests.conftest import torchrun

    command = torchrun("-m", "ganlib", "train", *TOY, "--out", str(out), *extra)
    return subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": "1", **dict(env)}, capture_output=True, text=True, timeout=180)


def test_under_torchrun_only_the_main_process_checks_the_run_directory(tmp_path):
    from ganlib.runs import run_lock

    # A run directory locked by someone else: every process refuses with the main process's
    # line (none hangs, none trains); then, unlocked, the same launch trains. Before, each
    # process checked for itself and a late one found the main process's own lock or files.
    out = tmp_path / "run"
    with run_lock(out):
        refused = _torchrun(out, "--iterations", "2")
    assert refused.returncode != 0
    assert refused.stderr.count(f"{out} is in use: process {os.getpid()} is training into it") == 2
    assert not (out / "metrics.jsonl").exists()
    # The second process made late on purpose: any check it made would now find the lock.
    late = tmp_path / "late"
    late.mkdir()
    (late / "sitecustomize.py").write_text(
        "import os, time\n"
        "if os.environ.get('RANK') == '1':\n"
        "    import ganlib.runs\n"
        "    planned = ganlib.runs.plan_run\n"
        "    def slow(*args, **kwargs):\n"
        "        time.sleep(3)\n"
        "        return planned(*args, **kwargs)\n"
        "    ganlib.runs.plan_run = slow\n"
    )
    path = os.pathsep.join([str(late), *filter(None, [os.environ.get("PYTHONPATH")])])
    trained = _torchrun(out, "--iterations", "3", env={"PYTHONPATH": path})
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert load_checkpoint(out)["iteration"] == 3
