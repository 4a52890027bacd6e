"""Run directories under misuse: nothing overwritten, resumes validated, logs and checkpoints robust."""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from ganlib.checkpoint import load_checkpoint, save_checkpoint
from tests.train.helpers import tiny_trainer
from tests.examples.helpers import load_example


@pytest.fixture(scope="module")
def flagship():
    return load_example("mnist_wgan_gp")


def tiny(root, out, *extra):
    return [
        "--data-root", str(root), "--digits", "3", "--image-size", "16", "--width", "4", "--latent-dim", "8",
        "--batch-size", "16", "--n-critic", "1", "--device", "cpu", "--sample-every", "100", "--checkpoint-every", "2",
        "--log-every", "1", "--out", str(out), *extra,
    ]


@pytest.fixture(scope="module")
def trained(flagship, mnist_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("trained") / "run"
    assert flagship.main(tiny(mnist_root, out, "--iterations", "2")) == 0
    return out


@pytest.fixture
def run(trained, tmp_path):
    """A copy of one two-iteration run, trained once for the module: each test may spoil its own."""
    return Path(shutil.copytree(trained, tmp_path / "run", symlinks=True))


def test_running_the_same_command_twice_keeps_the_first_run(flagship, mnist_root, run, capsys):
    before = (run / "checkpoints" / "latest.pt").read_bytes(), (run / "metrics.jsonl").read_text()
    assert flagship.main(tiny(mnist_root, run, "--iterations", "2")) == 2
    assert "already holds a run; continue it with --resume" in capsys.readouterr().err
    assert ((run / "checkpoints" / "latest.pt").read_bytes(), (run / "metrics.jsonl").read_text()) == before


def test_overwrite_replaces_the_old_run(flagship, mnist_root, run):
    assert flagship.main(tiny(mnist_root, run, "--iterations", "1", "--overwrite")) == 0
    assert load_checkpoint(run)["iteration"] == 1 and len((run / "metrics.jsonl").read_text().splitlines()) == 1


def test_resume_and_overwrite_contradict(flagship, run, capsys):
    assert flagship.main(["--resume", str(run), "--overwrite", "--iterations", "3"]) == 2
    assert "--overwrite and --resume contradict each other" in capsys.readouterr().err


def test_resuming_nothing_names_what_was_expected(flagship, tmp_path, capsys):
    assert flagship.main(["--resume", str(tmp_path / "nowhere")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "listed"),
    [
        (["--width", "8"], "width: saved 4, now 8"),
        (["--image-size", "32"], "image_size: saved 16, now 32"),
        (["--critic-norm", "spectral"], "critic_norm: saved 'layer', now 'spectral'"),
        (["--digits", "5"], "classes: saved [3], now [5]"),
        (["--batch-size", "8"], "batch_size: saved 16, now 8"),
        (["--seed", "7"], "seed: saved 0, now 7"),
        (["--ema", "0.9"], "ema: saved 0.999, now 0.9"),
    ],
)
def test_a_resume_that_changes_the_run_is_refused_and_writes_nothing(flagship, run, capsys, change, listed):
    config = (run / "config.json").read_text()
    assert flagship.main(["--resume", str(run), "--iterations", "4", *change]) == 2
    err = capsys.readouterr().err
    assert listed in err and "cannot change" in err and "Traceback" not in err
    assert (run / "config.json").read_text() == config


def test_iterations_below_the_done_count_are_refused(flagship, run, capsys):
    assert flagship.main(["--resume", str(run), "--iterations", "1"]) == 2
    assert "--iterations 1 is below the 2 iterations the run has done" in capsys.readouterr().err


def test_a_changed_learning_rate_is_applied_and_reported(flagship, run, caplog):
    caplog.set_level("INFO")
    assert flagship.main(["--resume", str(run), "--iterations", "3", "--lr", "2e-4", "--betas", "0.5", "0.99"]) == 0
    assert "lr changed from 0.0001 to 0.0002" in caplog.text and "betas changed from [0.0, 0.9] to [0.5, 0.99]" in caplog.text
    group = load_checkpoint(run)["critic_optimizer"]["param_groups"][0]
    assert group["lr"] == 2e-4 and tuple(group["betas"]) == (0.5, 0.99)
    assert json.loads((run / "config.json").read_text())["lr"] == 2e-4


def test_a_torn_last_metrics_line_is_dropped_with_a_warning(flagship, run):
    with (run / "metrics.jsonl").open("a") as handle:
        handle.write('{"iteration": 3, "critic_lo')
    with pytest.warns(RuntimeWarning, match="dropped a torn last line"):
        assert flagship.main(["--resume", str(run), "--iterations", "3"]) == 0
    assert [json.loads(line)["iteration"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3]


def test_a_corrupt_metrics_line_in_the_middle_is_named(flagship, run, capsys):
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text("\n".join(["{broken", *lines]) + "\n")
    assert flagship.main(["--resume", str(run), "--iterations", "3"]) == 2
    assert "metrics.jsonl, line 1, is not valid JSON" in capsys.readouterr().err


def test_an_unreadable_config_is_named(flagship, run, capsys):
    (run / "config.json").write_text("{not json")
    assert flagship.main(["--resume", str(run), "--iterations", "3"]) == 2
    assert "config.json cannot be read" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_checkpoint_is_named_not_a_traceback(flagship, run, capsys, damage):
    path = run / "checkpoints" / "latest.pt"
    data = path.read_bytes()
    path.write_bytes(b"not a checkpoint at all" if damage == "garbage" else data[: len(data) // 2])
    assert flagship.main(["--resume", str(run), "--iterations", "3"]) == 2
    err = capsys.readouterr().err
    assert "is not a readable checkpoint" in err and "Traceback" not in err


def test_leftover_temporary_files_are_removed_at_the_next_save(flagship, run):
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    orphan = run / "checkpoints" / f".latest.pt.{int(gone.stdout)}.{'d' * 32}.tmp"  # left by a process that has exited
    orphan.write_bytes(b"half a checkpoint from a killed save")
    alive = run / "checkpoints" / f".latest.pt.{os.getpid()}.{'e' * 32}.tmp"  # another live writer's
    alive.write_bytes(b"being written")
    assert flagship.main(["--resume", str(run), "--iterations", "4"]) == 0
    assert not orphan.exists() and alive.exists()


def test_a_full_disk_is_said_in_one_line(flagship, run, capsys, monkeypatch):
    import shutil
    from collections import namedtuple

    from ganlib import checkpoint

    def full(obj, handle):
        handle.write(b"part")
        raise RuntimeError("[enforce fail at inline_container.cc] . unexpected pos 64 vs 4")

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(checkpoint.torch, "save", full)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(100, 100, 0))
    before = (run / "checkpoints" / "latest.pt").read_bytes()
    assert flagship.main(["--resume", str(run), "--iterations", "4"]) == 2
    assert "no space left on the device while writing" in capsys.readouterr().err
    assert (run / "checkpoints" / "latest.pt").read_bytes() == before


def test_a_run_directory_that_cannot_be_written_is_said_in_one_line(flagship, mnist_root, tmp_path, capsys):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("a file where the run directory should go")
    assert flagship.main(tiny(mnist_root, blocked / "run", "--iterations", "1")) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "file-not-dir" in err and "Traceback" not in err


def test_a_read_only_run_directory_is_said_in_one_line(flagship, mnist_root, tmp_path, capsys, monkeypatch):
    from ganlib import runs

    def refuse(path, config):
        raise PermissionError(13, "Permission denied", str(path / "config.json"))

    from ganlib.cli import train

    monkeypatch.setattr(runs, "write_config", refuse)
    monkeypatch.setattr(train, "write_config", refuse)
    assert flagship.main(tiny(mnist_root, tmp_path / "run", "--iterations", "1")) == 2
    assert "Permission denied" in capsys.readouterr().err


def test_metrics_stay_strict_json_when_a_value_is_not_finite(tmp_path):
    from ganlib.train import MetricsLogger, Metrics

    trainer = tiny_trainer()
    logger = MetricsLogger(tmp_path, every=1, tensorboard=False)
    trainer.history.add(Metrics(1, ("loss/critic", "penalty/gp"), torch.tensor([float("-inf"), float("inf")])))
    logger._flush(trainer)
    record = json.loads((tmp_path / "metrics.jsonl").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in strict JSON"))
    assert record["loss/critic"] is None and record["penalty/gp"] is None


def test_a_checkpoint_resumes_across_devices_with_a_warning(tmp_path):
    from tests.train.helpers import tiny_trainer

    trainer = tiny_trainer()
    trainer.fit(1)
    state = trainer.state_dict()
    state["noise_rng"], state["noise_rng_device"] = torch.zeros(16, dtype=torch.uint8), "cuda"  # as a CUDA run saves it
    for group in state["critic_optimizer"]["param_groups"] + state["generator_optimizer"]["param_groups"]:
        group["capturable"] = True  # as a captured CUDA run saves it
    save_checkpoint(state, tmp_path / "c.pt")
    resumed = tiny_trainer()
    with pytest.warns(RuntimeWarning, match="noise generator ran on cuda and this run is on cpu"):
        resumed.load_state_dict(load_checkpoint(tmp_path / "c.pt"))
    resumed.fit(2)  # capturable=True from the checkpoint would fail on the CPU
    assert all(not g["capturable"] for g in resumed.critic_optimizer.param_groups)
    assert os.path.exists(tmp_path / "c.pt")
