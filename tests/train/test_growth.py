"""Progressive growing through the loop's seams: every phase's networks, optimizers, EMA and data,
the fade, resume in the middle of a fade, and the command line."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlib.checkpoint import load_checkpoint
from ganlib.cli import main
from ganlib.data import TensorBatches
from ganlib.losses import get_objective
from ganlib.models import DCGANGenerator
from ganlib.models.pggan import ProgressiveCritic, ProgressiveGenerator
from ganlib.train import EMA, Checkpointer, Trainer
from ganlib.train.growth import Growth, GrowthPlan, parse_batch_sizes
from tests.train.helpers import parameters, same

# 8 images a batch: 4 iterations of 4x4, then 8x8 fades in over 4 and stays 4, then 16x16.
STABLE, FADE = 32, 32


def _trainer(*, seed: int = 0, optimizer: str = "reset", repeats: int = 1, callbacks=(), batch_sizes: str | None = None) -> Trainer:
    torch.manual_seed(seed)
    generator = ProgressiveGenerator(latent_dim=8, image_size=16, width=8)
    critic = ProgressiveCritic(image_size=16, width=8)
    data = torch.rand(48, 1, 16, 16, generator=torch.Generator().manual_seed(7)) * 2 - 1
    growth = Growth(stable_images=STABLE, fade_images=FADE, optimizer=optimizer, repeats=repeats, batch_sizes=batch_sizes)
    return Trainer(
        generator, critic, get_objective("pggan"),
        torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.0, 0.99)),
        torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.99)),
        TensorBatches(data, 8, seed=seed), n_critic=1, ema=EMA(generator, 0.999, warmup=False), seed=seed,
        callbacks=[growth, *callbacks],
    )


def _growth(trainer: Trainer) -> Growth:
    return next(cb for cb in trainer.callbacks if isinstance(cb, Growth))


def test_a_run_grows_through_every_phase_with_its_batch_sizes():
    trainer = _trainer(batch_sizes="16:4")
    trainer.fit(20)
    g, d, ema = trainer.generator, trainer.critic, trainer.ema
    assert g.resolution == d.resolution == ema.module.resolution == 16
    assert len(trainer.generator_optimizer.param_groups) == len(trainer.critic_optimizer.param_groups) == 3
    assert trainer.data.batch_size == 4 and trainer.data.data.shape[-1] == 16  # the last phase's batch, at full size
    trainer.history.flush()
    resolutions = trainer.history.column("growth/resolution")
    alphas = trainer.history.column("growth/alpha")
    # the plan reads the images shown before each iteration: 8x8 fades in from 40 images (alpha 1/4)
    assert resolutions[:5] == [4.0] * 5 and resolutions[5:13] == [8.0] * 8 and set(resolutions[13:]) == {16.0}
    assert alphas[4:10] == pytest.approx([1.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    assert _growth(trainer).images == 13 * 8 + 7 * 4


def test_the_data_of_a_phase_is_averaged_down_once_and_each_batch_faded_and_enlarged():
    trainer = _trainer()
    trainer.fit(6)  # 8x8, fading in, alpha 0.5 after 40 images
    growth = _growth(trainer)
    full = growth._full
    assert full is not None and trainer.data.data.shape[-1] == 8
    torch.testing.assert_close(trainer.data.data, torch.nn.functional.avg_pool2d(full, 2))
    real = trainer.data.data[:4]
    faded = growth.on_real_batch(trainer, real)
    assert faded.shape == (4, 1, 16, 16)
    coarse = torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(real, 2), scale_factor=2)
    expected = torch.nn.functional.interpolate(coarse + float(growth._alpha) * (real - coarse), scale_factor=2)
    torch.testing.assert_close(faded, expected)


@pytest.mark.parametrize("mode", ["keep", "reset"])
def test_a_growth_adds_fresh_parameters_and_keeps_or_resets_the_old_state(mode: str):
    trainer = _trainer(optimizer=mode)
    trainer.fit(5)  # 40 images: the next iteration starts the fade of 8x8
    optimizer = trainer.generator_optimizer
    before = {id(p): {k: v.clone() for k, v in optimizer.state[p].items()} for p in trainer.generator.parameters()}
    old = list(trainer.generator.parameters())
    ema_old = {name: p.detach().clone() for name, p in trainer.ema.module.named_parameters()}
    _growth(trainer).on_iteration_start(trainer)
    new = optimizer.param_groups[-1]["params"]
    assert trainer.generator.resolution == 8 and len(optimizer.param_groups) == 2
    assert {id(p) for p in new} == {id(p) for p in trainer.generator.parameters()} - {id(p) for p in old}
    assert all(p not in optimizer.state for p in new)
    if mode == "keep":
        for p in old:
            assert all(torch.equal(optimizer.state[p][k], v) for k, v in before[id(p)].items())
    else:
        assert not optimizer.state and not trainer.critic_optimizer.state  # the reference's reset_opt_for_new_lod
    # the EMA grew with the generator: its new layers are the generator's, its old ones untouched
    ema = trainer.ema.module
    assert ema.resolution == 8 and float(ema.alpha) == float(trainer.generator.alpha) == 0.25
    theirs = dict(trainer.generator.named_parameters())
    for name, p in ema.named_parameters():
        assert torch.equal(p, ema_old[name] if name in ema_old else theirs[name]), name


def test_the_reset_happens_at_the_start_and_at_the_end_of_each_fade_only():
    trainer = _trainer(optimizer="reset")
    cleared = []
    for _ in range(12):
        had = bool(trainer.generator_optimizer.state)
        trainer.fit(trainer.iteration + 1)
        cleared.append(had and int(next(iter(trainer.generator_optimizer.state.values()))["step"]) == 1)
    # a step count back at 1: the state was cleared before that iteration (the fade runs from 6 to 8)
    assert [i + 1 for i, c in enumerate(cleared) if c] == [6, 9]


@pytest.mark.parametrize(("repeats", "stop"), [(1, 6), (1, 7), (2, 7)])
def test_resume_in_the_middle_of_a_fade_is_exact(tmp_path, repeats: int, stop: int):
    straight = _trainer(repeats=repeats)
    straight.fit(14)

    first = _trainer(repeats=repeats, callbacks=[Checkpointer(tmp_path, every=stop)])
    first.fit(stop)
    assert 0.0 < float(first.generator.alpha) < 1.0  # stopped during the fade of 8x8
    torch.manual_seed(12345)  # a new process: other global random states
    resumed = _trainer(repeats=repeats, seed=0, callbacks=[Checkpointer(tmp_path, every=stop)])
    assert resumed.generator.resolution == 4
    resumed.load_state_dict(load_checkpoint(tmp_path))
    assert resumed.generator.resolution == 8 and len(resumed.critic_optimizer.param_groups) == 2
    resumed.fit(14)
    for a, b in ((straight.generator, resumed.generator), (straight.critic, resumed.critic), (straight.ema, resumed.ema)):
        assert same(parameters(a), parameters(b))
        assert all(torch.equal(x, y) for x, y in zip(a.buffers(), b.buffers(), strict=True))
    for key in ("generator_optimizer", "critic_optimizer"):
        sa, sb = getattr(straight, key).state_dict(), getattr(resumed, key).state_dict()
        assert sa["param_groups"] == sb["param_groups"]
        assert all(torch.equal(sa["state"][i][k], sb["state"][i][k]) for i in sa["state"] for k in sa["state"][i])
    def untimed(growth: Growth) -> dict:
        state = growth.state_dict()  # the host seconds of each change are timings, the rest must agree
        return {**state, "changes": [{k: v for k, v in c.items() if k != "seconds"} for c in state["changes"]]}

    assert untimed(_growth(straight)) == untimed(_growth(resumed))
    straight.history.flush(), resumed.history.flush()
    assert len(straight.history) == 14 and straight.history.column("loss/critic") == resumed.history.column("loss/critic")


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=10**5), st.integers(min_value=1, max_value=10**5))
def test_the_plan_never_shrinks_and_its_fade_stays_in_0_1(images: int, stable: int, fade: int):
    plan = GrowthPlan(final=64, stable_images=stable, fade_images=fade)
    later = images + stable + fade // 2
    assert 0.0 < plan.alpha(images) <= 1.0
    assert plan.resolution(images) <= plan.resolution(later) <= 64
    assert plan.lod(images) >= plan.lod(later)
    # with no fade the resolution doubles at once: alpha is 1 at every count
    assert GrowthPlan(final=64, stable_images=stable + 1, fade_images=0).alpha(images) == 1.0


def test_bad_settings_and_parts_are_named():
    with pytest.raises(ValueError, match="optimizer='forget' is invalid; expected 'reset'"):
        Growth(optimizer="forget")
    with pytest.raises(ValueError, match=r"batch_sizes='4-8' is invalid; expected RES:BATCH pairs"):
        parse_batch_sizes("4-8")
    with pytest.raises(ValueError, match="resolutions are powers of two"):
        parse_batch_sizes("12:8")
    trainer = _trainer()
    trainer.generator = DCGANGenerator(latent_dim=8, image_size=16, width=2)
    with pytest.raises(ValueError, match="DCGANGenerator cannot grow .* train it with --model pggan"):
        trainer.fit(1)
    trainer = _trainer()
    trainer.data = [torch.zeros(8, 1, 16, 16)]
    with pytest.raises(ValueError, match="serves each phase's resolution from a TensorBatches; the data is a list"):
        trainer.fit(1)


def test_the_command_line_grows_pggan_and_samples_any_phase(tmp_path, mnist_root):
    run = tmp_path / "run"
    flags = [
        "train", "--data", "mnist", "--data-root", str(mnist_root), "--classes", "3", "--image-size", "16", "--model", "pggan",
        "--width", "8", "--latent-dim", "8", "--batch-size", "8", "--callback-arg", "stable_images=24", "--callback-arg", "fade_images=24",
        "--device", "cpu", "--log-every", "2", "--sample-every", "4", "--checkpoint-every", "4", "--out", str(run),
    ]
    assert main([*flags, "--iterations", "8"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["objective"], config["callback"], config["n_critic"], config["lr"], config["ema"]) == ("pggan", ["growth"], 1, 1e-3, 0.999)
    state = load_checkpoint(run)
    # recomputed every 4 iterations: at 32 images, 8 into the fade of 8x8 over 24
    saved = state["callbacks"]["Growth"]
    assert (saved["images"], saved["lod"]) == (64, pytest.approx(2.0 - 8 / 24))
    assert [(c["iteration"], c["resolution"]) for c in saved["changes"]] == [(0, 4), (4, 8)]
    assert main(["train", "--resume", str(run), "--iterations", "12"]) == 0
    assert load_checkpoint(run)["iteration"] == 12
    assert main(["sample", "--checkpoint", str(run), "--num", "4", "--out", str(tmp_path / "s.pt")]) == 0
    samples = torch.load(tmp_path / "s.pt")
    assert samples.shape == (4, 1, 16, 16) and math.isfinite(float(samples.abs().sum()))
