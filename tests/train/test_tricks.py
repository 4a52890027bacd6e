"""The lecture's tricks as components: a buffer of earlier fakes, an adaptive step schedule,
per-network optimizers, and each new component picked by name from the command line."""

from __future__ import annotations

import json

import pytest
import torch

from ganlib.checkpoint import load_checkpoint
from ganlib.cli import main
from ganlib.train import AdaptiveSchedule, Checkpointer, ReplayBuffer, Trainer

from tests.train.helpers import parameters, same, tiny_trainer


def _with(trainer, **kwargs):
    settings = {"n_critic": trainer.n_critic, "seed": 0, **kwargs}
    return Trainer(trainer.generator, trainer.critic, trainer.objective, trainer.generator_optimizer, trainer.critic_optimizer, trainer.data, **settings)


# --- historical generator batches ---------------------------------------------------------------


def test_the_buffer_replaces_its_share_of_each_fake_batch():
    buffer = ReplayBuffer(capacity=32, share=0.25)
    first = torch.zeros(8, 1, 4, 4)
    assert torch.equal(buffer.on_critic_fakes(None, first), first)  # filled with the first batch: nothing older yet
    fresh = torch.ones(8, 1, 4, 4)
    mixed = buffer.on_critic_fakes(None, fresh)
    assert mixed.shape == fresh.shape
    assert torch.equal(mixed[2:], fresh[2:]) and (mixed[:2] == 0).all()  # 2 of 8 come from the buffer (all zeros so far)
    assert int((buffer.buffer == 1).flatten(1).all(1).sum()) <= 2  # and at most 2 new ones went in
    assert ReplayBuffer(share=0.0).on_critic_fakes(None, fresh) is fresh


def test_the_buffer_resumes_exactly(tmp_path):
    def make(callbacks=()):
        return _with(tiny_trainer(), callbacks=[ReplayBuffer(capacity=16, share=0.5), *callbacks])

    straight = make()
    straight.fit(4)
    make([Checkpointer(tmp_path, every=2)]).fit(2)
    resumed = make()
    resumed.load_state_dict(load_checkpoint(tmp_path))
    resumed.fit(4)
    assert torch.equal(resumed.callbacks[0].buffer, straight.callbacks[0].buffer)
    assert same(parameters(resumed.critic), parameters(straight.critic))


def test_share_and_capacity_are_checked():
    with pytest.raises(ValueError, match="share=1.5 is invalid"):
        ReplayBuffer(share=1.5)
    with pytest.raises(ValueError, match="capacity=0 is invalid"):
        ReplayBuffer(capacity=0)


# --- the adaptive schedule --------------------------------------------------------------------


@pytest.mark.parametrize(("thresholds", "expected"), [((-1e9, -1e9), (3, 2)), ((1e9, 1e9), (1, 1))])
def test_the_adaptive_schedule_stays_within_its_bounds(thresholds, expected):
    # A loss always above the threshold trains to the maximum; always below, to the minimum.
    schedule = AdaptiveSchedule(*thresholds, max_critic_steps=3, max_generator_steps=2)
    trainer = _with(tiny_trainer(), step_schedule=schedule)
    metrics = trainer.train_iteration().to_dict()
    assert (metrics["schedule/critic_steps"], metrics["schedule/generator_steps"]) == expected
    assert trainer.critic_steps == expected[0]


def test_the_adaptive_schedule_cannot_be_captured_and_says_why(monkeypatch):
    from ganlib.train import feed

    trainer = _with(tiny_trainer(), step_schedule=AdaptiveSchedule(0.5, 0.5))
    trainer.device = torch.device("cuda")  # pretend, to reach the schedule's reason
    monkeypatch.setattr(feed, "capturable", lambda data, device: True)
    assert "adaptive step schedule decides on the host" in trainer.capture_blocker()
    with pytest.raises(ValueError, match="min_critic_steps=4 is invalid"):
        AdaptiveSchedule(0.5, 0.5, max_critic_steps=3, min_critic_steps=4)


# --- from the command line ------------------------------------------------------------------------

FLAGS = ["--image-size", "16", "--width", "4", "--latent-dim", "8", "--batch-size", "16", "--device", "cpu",
         "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "2", "--iterations", "2"]


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_per_network_optimizers_from_the_command_line(mnist_root, tmp_path):
    run = tmp_path / "run"
    argv = ["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--objective", "hinge",
            "--critic-optimizer", "sgd", "--critic-lr", "0.01", "--generator-optimizer", "adam", "--generator-lr", "3e-4",
            "--generator-betas", "0.5", "0.99", "--out", str(run), *FLAGS]
    assert main(argv) == 0
    state = load_checkpoint(run)
    critic, generator = state["critic_optimizer"]["param_groups"][0], state["generator_optimizer"]["param_groups"][0]
    assert critic["lr"] == 0.01 and "betas" not in critic and "momentum" in critic  # SGD
    assert generator["lr"] == 3e-4 and tuple(generator["betas"]) == (0.5, 0.99)


def test_betas_for_an_optimizer_without_them_are_refused(mnist_root, tmp_path, capsys):
    argv = ["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--objective", "wgan-clip",
            "--betas", "0.5", "0.9", "--out", str(tmp_path / "run"), *FLAGS]
    assert main(argv) == 2
    assert "--generator-betas / --betas apply to adam and adamw, not to --generator-optimizer rmsprop" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        (["--model", "sngan-resnet", "--objective", "hinge"], {"critic_model": "resnet-critic"}),
        # the paper's variant fixes its width (128): a smaller one is set as the builders' argument,
        # since a typed --width that the variant fixes is refused
        (["--model", "wgangp-resnet", "--generator-arg", "width=4", "--critic-arg", "width=4"], {"generator_model": "resnet-generator"}),
        (["--objective", "r3gan", "--width", "8", "--generator-arg", "group_width=4", "--critic-arg", "group_width=4"], {"critic_model": "r3gan-critic"}),
        (["--objective", "hinge", "--augment", "diffaugment", "--augment-arg", "policy=translation,cutout"], {"metric": "critic/sign_real"}),
        (["--objective", "non-saturating", "--augment", "ada", "--augment-arg", "interval=1"], {"metric": "augment/p"}),
        (["--objective", "hinge", "--penalty", "lecam"], {"metric": "penalty/lecam"}),
        (["--objective", "hinge", "--callback", "replay-buffer", "--callback-arg", "capacity=64"], {"callback": "ReplayBuffer"}),
        (["--objective", "hinge", "--callback", "gradient-clip", "--callback-arg", "max_norm=1.0"], {}),
        (["--objective", "hinge", "--step-schedule", "adaptive", "--step-schedule-arg", "critic_threshold=1.5", "--step-schedule-arg", "generator_threshold=0.5"], {"metric": "schedule/critic_steps"}),
        (["--objective", "hinge", "--lr-schedule", "step", "--lr-schedule-arg", "step_size=1"], {"metric": "lr/critic"}),
    ],
    ids=["sngan", "wgangp-resnet", "r3gan", "diffaugment", "ada", "lecam", "replay", "clip", "adaptive", "lr-step"],
)
def test_each_new_component_is_picked_by_name_and_resumes(mnist_root, tmp_path, extra, expect):
    run = tmp_path / "run"
    flags = list(FLAGS)
    if any(a.startswith("width=") for a in extra):  # the width goes to the builders, not --width
        del flags[flags.index("--width") : flags.index("--width") + 2]
    base = ["train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--out", str(run), *flags]
    assert main([*base, *extra]) == 0
    assert main(["train", "--resume", str(run), "--iterations", "3"]) == 0
    state = load_checkpoint(run)
    assert state["iteration"] == 3
    for key, value in expect.items():
        if key == "metric":
            assert value in _records(run)[-1]
        elif key == "callback":
            assert state["callbacks"][value]
        else:
            assert state[key] == value


def test_a_study_grids_over_the_new_models_and_augmentation(mnist_root, tmp_path):
    argv = [
        "study", "--data-root", str(mnist_root), "--objectives", "hinge", "--models", "dcgan", "sngan-resnet", "--critic-norms", "spectral",
        "--seeds", "1", "--image-size", "16", "--width", "4", "--batch-size", "16", "--iterations", "2", "--eval-every", "1",
        "--eval-samples", "20", "--device", "cpu", "--out", str(tmp_path), "--train-arg", "--augment diffaugment", "--workers", "1",
    ]
    assert main(argv) == 0
    rows = json.loads((tmp_path / "table.json").read_text())
    assert sorted(row["config"] for row in rows) == ["hinge-dcgan-spectral", "hinge-sngan-resnet-spectral"]
    config = json.loads((tmp_path / "runs" / "hinge-sngan-resnet-spectral-s0" / "config.json").read_text())
    assert (config["model"], config["augment"]) == ("sngan-resnet", "diffaugment")
