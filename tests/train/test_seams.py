"""The Trainer's seams: critic forwards per step, LR schedules, stopping, the hook before each
optimizer step, the metric history, and checkpoints of ganlib 0.2.0."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from ganlib.checkpoint import save_checkpoint
from ganlib.losses import get_objective
from ganlib.train import (
    Callback,
    Checkpointer,
    EvaluateMNIST,
    GradientClip,
    History,
    LRSchedule,
    Metrics,
    Trainer,
    load_checkpoint,
)
from ganlib.train.state import CHECKPOINT_FORMAT, upgrade_state

from tests.train.helpers import parameters, same, tiny_trainer


def rebuild(trainer, **kwargs):
    settings = {"n_critic": trainer.n_critic, "seed": 0, **kwargs}
    objective = settings.pop("objective", trainer.objective)
    return Trainer(trainer.generator, trainer.critic, objective, trainer.generator_optimizer, trainer.critic_optimizer, trainer.data, **settings)


# --- each batch scored once ----------------------------------------------------------------------


def _count_forwards(objective_name: str, **kwargs) -> list[int]:
    trainer = tiny_trainer()
    trainer = rebuild(trainer, objective=get_objective(objective_name, **kwargs), n_critic=1, fuse_critic_forward=False)
    sizes: list[int] = []
    trainer.critic.register_forward_hook(lambda module, args, out: sizes.append(args[0].shape[0]))
    trainer.critic_step_log = sizes
    trainer._setup()
    trainer._steps.feed.prepare()
    trainer._steps.stats.reset()
    trainer.critic_step()
    return sizes


def test_hinge_with_r1_scores_the_real_and_the_fake_batch_once_each():
    assert len(_count_forwards("hinge", penalty="r1")) == 2  # was 3: R1 scored the reals again


def test_r1_and_lecam_together_add_no_critic_forward():
    assert len(_count_forwards("hinge", penalty=["r1", "lecam"])) == 2  # was 5 with 0.2's separate forwards


def test_the_wgan_gp_critic_adds_only_its_interpolates():
    assert len(_count_forwards("wgan-gp")) == 3  # real, fake, and the penalty's own points


def test_r1_reusing_the_scores_equals_r1_scoring_again():
    """The shared forward changes the number of forwards, not the penalty."""
    from ganlib.losses import ComposedObjective, HingeLoss, R1Penalty, Step

    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Flatten(0))
    real, fake = torch.randn(5, 4), torch.randn(5, 4)
    shared = ComposedObjective(HingeLoss(), [R1Penalty(weight=3.0)]).critic_loss(Step("critic", critic, real=real, fake=fake))
    alone = R1Penalty(weight=3.0)(Step("critic", critic, real=real, fake=fake))  # no scores: scores a marked copy
    torch.testing.assert_close(shared["penalty/r1"], alone["r1"].detach())


# --- learning-rate schedules ---------------------------------------------------------------------


def _scheduled(tmp_path=None, **kwargs):
    trainer = tiny_trainer(**kwargs)
    schedules = {
        role: torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        for role, optimizer in (("generator", trainer.generator_optimizer), ("critic", trainer.critic_optimizer))
    }
    callbacks = [LRSchedule(schedules), *([Checkpointer(tmp_path, every=2)] if tmp_path is not None else [])]
    return rebuild(trainer, callbacks=callbacks)


def test_a_step_schedule_changes_the_learning_rate_eagerly_on_the_cpu():
    trainer = _scheduled()
    rates = []
    for _ in range(5):
        trainer.fit(trainer.iteration + 1)
        rates.append(trainer.generator_optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4])
    trainer.history.flush()
    assert trainer.history.column("lr/critic") == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4])  # logged per iteration


def test_a_resumed_run_continues_the_schedule_exactly(tmp_path):
    straight = _scheduled()
    straight.fit(5)
    first = _scheduled(tmp_path)
    first.fit(3)
    resumed = _scheduled()
    resumed.load_state_dict(load_checkpoint(tmp_path))
    resumed.fit(5)
    assert resumed.generator_optimizer.param_groups[0]["lr"] == straight.generator_optimizer.param_groups[0]["lr"] == pytest.approx(2.5e-4)
    assert same(parameters(resumed.generator), parameters(straight.generator))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_schedule_reaches_a_captured_graph():
    from ganlib.data import TensorBatches
    from ganlib.models import DCGANCritic, DCGANGenerator

    def make(capture):
        torch.manual_seed(0)
        generator, critic = DCGANGenerator(8, 16, 1, 8).cuda(), DCGANCritic(16, 1, 8, norm="layer").cuda()
        adam = {"lr": 1e-3, "betas": (0.0, 0.9), "capturable": True}
        g, c = torch.optim.Adam(generator.parameters(), **adam), torch.optim.Adam(critic.parameters(), **adam)
        data = TensorBatches(torch.rand(128, 1, 16, 16, device="cuda") * 2 - 1, 16, seed=0)
        # A schedule that sets the rate to 0 after 5 iterations: the weights must then stop moving.
        schedule = LRSchedule({r: torch.optim.lr_scheduler.LambdaLR(o, lambda step: 1.0 if step < 5 else 0.0) for r, o in (("generator", g), ("critic", c))})
        return Trainer(generator, critic, get_objective("wgan-gp"), g, c, data, n_critic=2, callbacks=[schedule], capture=capture)

    trainer = make("cuda-graph")
    trainer.fit(6)
    assert trainer.captured
    before = parameters(trainer.critic)
    trainer.fit(9)
    assert same(parameters(trainer.critic), before)  # the graph read the new rate, 0
    assert trainer.generator_optimizer.param_groups[0]["lr"] == 0.0


# --- stopping -----------------------------------------------------------------------------------


class StopAt(Callback):
    def __init__(self, at: int) -> None:
        self.at = at
        self.ended = False

    def on_iteration_end(self, trainer, metrics):  # noqa: D102
        if trainer.iteration == self.at:
            trainer.should_stop = True

    def on_fit_end(self, trainer):  # noqa: D102
        self.ended = True


def test_a_callback_stops_training_with_should_stop(tmp_path):
    stop = StopAt(3)
    trainer = tiny_trainer(callbacks=[stop, Checkpointer(tmp_path, every=100)])
    trainer.fit(10)
    assert trainer.iteration == 3 and stop.ended and trainer.max_iterations == 10
    assert load_checkpoint(tmp_path)["iteration"] == 3  # ended normally: the final save ran
    trainer.fit(5)  # a new fit clears the request
    assert trainer.iteration == 5


def test_an_evaluation_before_the_time_budget_still_scores_the_last_iteration(monkeypatch):
    import itertools

    from ganlib.train import TimeBudget
    from ganlib.train import trainer as module

    clock = itertools.count(step=1.0)
    monkeypatch.setattr(module.time, "perf_counter", lambda: next(clock))
    evaluation = EvaluateMNIST(every=1000, num=20, kid_subsets=2)  # first in the list, on purpose
    trainer = tiny_trainer(callbacks=[evaluation, TimeBudget(2.5)])
    trainer.fit(100)
    trainer.history.flush()
    scored = [i for i, v in zip(trainer.history.iterations, trainer.history.column("score/fid"), strict=True) if not math.isnan(v)]
    assert scored == [trainer.iteration] and trainer.iteration < 100


# --- the hook before each optimizer step -----------------------------------------------------------


class GradientNorms(Callback):
    def __init__(self) -> None:
        self.seen: list[tuple[str, float]] = []

    def on_before_optimizer_step(self, trainer, role, optimizer):  # noqa: D102
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        self.seen.append((role, float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))))


def test_gradient_clipping_runs_before_each_step_and_after_the_gradients_are_complete():
    spy = GradientNorms()
    trainer = tiny_trainer(callbacks=[GradientClip(max_norm=1e-3), spy], n_critic=2)
    trainer.fit(2)
    assert [role for role, _ in spy.seen] == ["critic", "critic", "generator"] * 2
    assert all(norm <= 1e-3 * 1.0001 for _, norm in spy.seen)  # the spy runs after the clip
    unclipped = GradientNorms()
    tiny_trainer(callbacks=[unclipped], n_critic=2).fit(1)
    assert max(norm for _, norm in unclipped.seen) > 1e-2  # so the clip did something


def test_gradient_clipping_under_fp16_sees_unscaled_gradients():
    spy = GradientNorms()
    trainer = rebuild(tiny_trainer(), precision="fp16", callbacks=[GradientClip(max_norm=0.5), spy])
    trainer.fit(2)
    assert all(norm <= 0.5 * 1.001 or math.isinf(norm) or math.isnan(norm) for _, norm in spy.seen)
    assert any(0 < norm for _, norm in spy.seen)


# --- the metric history ------------------------------------------------------------------------


def test_the_history_converts_everything_queued_in_one_copy(monkeypatch):
    history = History()
    for i in range(1, 11):
        history.add(Metrics(i, ("loss/critic", "penalty/gp"), torch.tensor([float(i), 2.0 * i])))
    calls = []
    real_cat = torch.cat
    monkeypatch.setattr(torch, "cat", lambda tensors, *a, **k: calls.append(len(tensors)) or real_cat(tensors, *a, **k))
    assert history.flush() == 10 and calls == [10]
    assert history.column("penalty/gp") == [2.0 * i for i in range(1, 11)]
    assert history.flush() == 0 and calls == [10]  # nothing queued: no copy


def test_the_history_stays_bounded_and_so_does_its_checkpoint():
    history = History(max_rows=100, saved_rows=40)
    for i in range(1, 1001):
        history.append(i, {"loss/critic": float(i)})
    assert len(history) <= 100 and history.iterations[-1] == 1000
    assert history.column("loss/critic")[-1] == 1000.0  # the newest rows are kept as they are
    state = history.state_dict()
    assert len(state["iterations"]) <= 40
    restored = History()
    restored.load_state_dict(state)
    assert restored.iterations == state["iterations"].tolist()


def test_a_trainer_without_readers_keeps_its_queue_bounded():
    trainer = tiny_trainer()
    trainer.history.auto_flush = 4
    trainer.fit(10)
    assert trainer.history.pending < 4 and len(trainer.history) >= 8


# --- checkpoints of ganlib 0.2.0 ------------------------------------------------------------------


def _as_0_2_0(state: dict) -> dict:
    """A current state rewritten in ganlib 0.2.0's layout (format 2)."""
    old = {k: v for k, v in state.items() if k not in ("history", "time_spent", "extra", "augment")}
    old["format"] = 2
    old["callbacks"] = {
        **state["callbacks"],
        "LearningCurves": {
            "names": ["critic_loss", "gp", "acc_real"],
            "iterations": torch.tensor([1, 2]),
            "rows": torch.tensor([[1.0, 0.5, 0.25], [2.0, 0.75, 0.5]]),
            "extras": {"fid": [[2, 33.0]]},
        },
        "TimeBudget": {"spent": 12.5},
    }
    return old


def test_a_checkpoint_of_ganlib_0_2_0_resumes(tmp_path):
    straight = tiny_trainer()
    straight.fit(4)
    first = tiny_trainer()
    first.fit(2)
    save_checkpoint(_as_0_2_0(first.state_dict()), tmp_path / "old.pt")
    resumed = tiny_trainer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing unexpected to say
        resumed.load_state_dict(load_checkpoint(tmp_path / "old.pt"))
    assert resumed.time_spent == 12.5
    assert resumed.history.iterations == [1, 2] and resumed.history.column("penalty/gp") == [0.5, 0.75]
    assert math.isnan(resumed.history.column("score/fid")[0]) and resumed.history.column("score/fid")[1] == 33.0
    resumed.fit(4)
    assert same(parameters(resumed.generator), parameters(straight.generator))


def test_every_format_is_read_and_a_newer_one_is_refused():
    state = tiny_trainer().state_dict()
    assert upgrade_state(state)["format"] == CHECKPOINT_FORMAT
    newer = {**state, "format": CHECKPOINT_FORMAT + 1}
    with pytest.raises(ValueError, match=f"format {CHECKPOINT_FORMAT + 1}, written by a newer ganlib"):
        upgrade_state(newer)
    with pytest.raises(ValueError, match="lacks critic_optimizer"):
        upgrade_state({k: v for k, v in state.items() if k != "critic_optimizer"})
