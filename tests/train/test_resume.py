"""Exact resume: k iterations, save, rebuild from scratch, load, continue to 2k."""

import pytest
import torch

from ganlib.train import Checkpointer, LearningCurves, SampleGrid, load_checkpoint

from tests.train.helpers import parameters, same, tiny_trainer


@pytest.mark.parametrize(("objective", "ema"), [("wgan-gp", None), ("wgan-clip", 0.9), ("non-saturating", 0.9)])
def test_stop_and_resume_matches_the_uninterrupted_run_exactly(tmp_path, objective, ema):
    k = 3
    straight = tiny_trainer(objective, ema=ema)
    straight.fit(2 * k)

    first = tiny_trainer(objective, ema=ema, callbacks=[Checkpointer(tmp_path, every=k)])
    first.fit(k)
    # Disturb every global RNG, as a new process would have different states.
    torch.manual_seed(12345)
    resumed = tiny_trainer(objective, ema=ema, seed=0, callbacks=[Checkpointer(tmp_path, every=k)])
    torch.manual_seed(999)
    resumed.load_state_dict(load_checkpoint(tmp_path))
    assert resumed.iteration == k
    resumed.fit(2 * k)

    assert same(parameters(straight.generator), parameters(resumed.generator))
    assert same(parameters(straight.critic), parameters(resumed.critic))
    for a, b in zip(straight.generator.buffers(), resumed.generator.buffers(), strict=True):
        assert torch.equal(a, b)
    if ema:
        assert same(parameters(straight.ema), parameters(resumed.ema))
    assert straight.critic_steps == resumed.critic_steps


def test_without_the_saved_state_the_continuation_differs(tmp_path):
    # Guards the test above: resuming from weights alone (no RNG or data position) diverges.
    straight = tiny_trainer()
    straight.fit(4)
    partial = tiny_trainer(callbacks=[Checkpointer(tmp_path, every=2)])
    partial.fit(2)
    state = load_checkpoint(tmp_path)
    resumed = tiny_trainer()
    resumed.generator.load_state_dict(state["generator"])
    resumed.critic.load_state_dict(state["critic"])
    resumed.generator_optimizer.load_state_dict(state["generator_optimizer"])
    resumed.critic_optimizer.load_state_dict(state["critic_optimizer"])
    resumed.iteration = 2
    resumed.fit(4)
    assert not same(parameters(straight.generator), parameters(resumed.generator))


def test_callback_state_round_trips(tmp_path):
    grid, curves = SampleGrid(tmp_path, every=100), LearningCurves(tmp_path, every=100)
    trainer = tiny_trainer(callbacks=[grid, curves, Checkpointer(tmp_path, every=2)])
    trainer.fit(2)
    grid2, curves2 = SampleGrid(tmp_path, every=100, seed=7), LearningCurves(tmp_path, every=100)
    resumed = tiny_trainer(callbacks=[grid2, curves2, Checkpointer(tmp_path, every=2)])
    resumed.load_state_dict(load_checkpoint(tmp_path))
    assert torch.equal(grid2.state_dict()["noise"], grid.state_dict()["noise"])
    assert resumed.history.iterations == trainer.history.iterations == [1, 2]
    assert resumed.history.columns.keys() == trainer.history.columns.keys()
    for name, column in trainer.history.columns.items():
        assert resumed.history.column(name) == pytest.approx(column, nan_ok=True)


def test_ema_mismatch_is_explained(tmp_path):
    tiny_trainer(ema=0.9, callbacks=[Checkpointer(tmp_path, every=1)]).fit(1)
    with pytest.raises(ValueError, match="disagree about the EMA"):
        tiny_trainer().load_state_dict(load_checkpoint(tmp_path))
