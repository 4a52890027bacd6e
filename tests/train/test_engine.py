"""The step engine: what each step sees, metrics by name, accumulation, stateful objectives, callbacks."""

import json
import math
import signal

import pytest
import torch
from torch import nn

from ganlib.data import TensorBatches
from ganlib.losses import ComposedObjective, NonSaturatingLoss, Penalty, R1Penalty, WassersteinLoss, get_objective
from ganlib.losses.penalties import GradientPenalty
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import Callback, Checkpointer, Metrics, MetricsLogger, Trainer, load_checkpoint

from tests.train.helpers import parameters, same, tiny_trainer


def rebuild(trainer, **kwargs):
    """A Trainer over the same models and data with other settings."""
    settings = {"n_critic": trainer.n_critic, "seed": 0, **kwargs}
    objective = settings.pop("objective", trainer.objective)
    data = settings.pop("data", trainer.data)
    return Trainer(trainer.generator, trainer.critic, objective, trainer.generator_optimizer, trainer.critic_optimizer, data, **settings)


# --- metrics by name ---------------------------------------------------------------------------


def test_a_lazy_penalty_reports_on_its_steps_only_and_nothing_crashes():
    objective = get_objective("non-saturating", penalty="r1", penalty_weight=1.0, penalty_every=4)
    trainer = rebuild(tiny_trainer(), objective=objective, n_critic=2)
    names = [set(trainer.train_iteration().names) for _ in range(4)]
    # critic steps 0,1 | 2,3 | 4,5 | 6,7: r1 at 0 and 4
    assert ["penalty/r1" in n for n in names] == [True, False, True, False]


def test_a_term_is_averaged_over_the_steps_that_reported_it():
    seen = []

    class Recording(R1Penalty):
        def compute(self, step):
            terms = super().compute(step)
            seen.append(terms["r1"].item())
            return terms

    objective = ComposedObjective(NonSaturatingLoss(), [Recording(weight=1.0, every=2)])
    trainer = rebuild(tiny_trainer(), objective=objective, n_critic=4)
    metrics = trainer.train_iteration().to_dict()
    assert len(seen) == 2 and metrics["penalty/r1"] == pytest.approx(sum(seen) / 2, rel=1e-5)


def test_metrics_are_immutable_records():
    metrics = Metrics(1, ("a",), torch.tensor([1.0]), {"fid": 2.0})
    with pytest.raises(TypeError):
        metrics.extras["fid"] = 3.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        metrics.iteration = 2  # type: ignore[misc]


# --- what a step sees --------------------------------------------------------------------------


def test_relativistic_objectives_get_a_real_batch_in_the_generator_step():
    steps = []
    objective = get_objective("relativistic-average")
    original = objective.generator_loss
    objective.generator_loss = lambda step: steps.append(step) or original(step)
    trainer = rebuild(tiny_trainer(), objective=objective, n_critic=2)
    trainer.train_iteration()
    assert steps[0].phase == "generator" and steps[0].real is not None and steps[0].real.shape == steps[0].fake.shape


def test_other_objectives_get_no_real_batch_in_the_generator_step():
    steps = []
    trainer = tiny_trainer()
    original = trainer.objective.generator_loss
    trainer.objective.generator_loss = lambda step: steps.append(step) or original(step)
    trainer.train_iteration()
    assert steps[0].real is None


def test_critic_steps_are_counted_across_iterations():
    seen = []
    trainer = tiny_trainer(n_critic=3)
    original = trainer.objective.critic_loss
    trainer.objective.critic_loss = lambda step: seen.append((step.critic_step, step.iteration)) or original(step)
    trainer.fit(2)
    assert seen == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1), (5, 1)]


class ConditionalGenerator(nn.Module):
    num_classes = 3
    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(3, 4)
        self.net = nn.Linear(4, 16 * 16)

    def forward(self, z, labels):
        return torch.tanh(self.net(z + self.embed(labels))).view(-1, 1, 16, 16)


class ConditionalCritic(nn.Module):
    num_classes = 3

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(16 * 16, 1)
        self.embed = nn.Embedding(3, 16 * 16)

    def forward(self, x, labels):
        flat = x.flatten(1)
        return self.net(flat).flatten() + (flat * self.embed(labels)).sum(dim=1)


def conditional_trainer(labels=True):
    torch.manual_seed(0)
    generator, critic = ConditionalGenerator(), ConditionalCritic()
    images = torch.rand(30, 1, 16, 16) * 2 - 1
    data = TensorBatches(images, 6, labels=torch.arange(30) % 3 if labels else None, seed=0)
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.0, 0.9))  # noqa: E731
    return Trainer(generator, critic, get_objective("wgan-gp"), adam(generator), adam(critic), data, n_critic=2)


def test_conditional_models_get_the_real_batchs_labels_for_fakes_and_scores():
    trainer = conditional_trainer()
    steps, generated_for = [], []
    for phase in ("critic_loss", "generator_loss"):
        original = getattr(trainer.objective, phase)
        setattr(trainer.objective, phase, lambda step, original=original: steps.append(step) or original(step))
    trainer.generator.register_forward_hook(lambda module, args, out: generated_for.append(args[1].clone()))
    trainer.train_iteration()
    assert [s.phase for s in steps] == ["critic", "critic", "generator"]
    assert all(s.conditional and s.labels is not None and s.labels.shape == (6,) for s in steps)
    # The fakes of each step were generated for that step's real labels.
    assert all(torch.equal(labels, step.labels) for labels, step in zip(generated_for, steps, strict=True))
    assert steps[2].real is not None  # the generator step draws a batch for its labels


def test_conditional_models_without_labels_are_explained():
    with pytest.raises(ValueError, match="conditional but the data has no labels"):
        conditional_trainer(labels=False).train_iteration()


def test_a_conditional_generator_needs_a_conditional_critic():
    t = conditional_trainer()
    with pytest.raises(ValueError, match="the critic is not"):
        Trainer(t.generator, DCGANCritic(16, width=2), t.objective, t.generator_optimizer, t.critic_optimizer, t.data)


class TextbookR1(Penalty):
    """R1 written the way papers write it: mark the real batch as requiring grad."""

    name = "r1"

    def compute(self, step):
        real = step.require_real()
        real.requires_grad_(True)
        (grad,) = torch.autograd.grad(step.score(real).sum(), real, create_graph=True)
        return {"r1": 0.5 * grad.flatten(1).square().sum(dim=1).mean()}


def test_the_textbook_r1_works_with_tensor_batches():
    objective = ComposedObjective(NonSaturatingLoss(), [TextbookR1(weight=1.0)])
    trainer = rebuild(tiny_trainer(), objective=objective, n_critic=3)
    trainer.fit(3)  # a shared buffer marked requires_grad would fail on the next batch
    assert trainer.critic_steps == 9


# --- accumulation ------------------------------------------------------------------------------


def _layer_norm_trainer(accumulate, batch=8):
    torch.manual_seed(0)
    generator = DCGANGenerator(latent_dim=4, image_size=16, width=4, norm="layer")  # no batch statistics
    critic = DCGANCritic(image_size=16, width=4, norm="layer")
    data = TensorBatches(torch.rand(32, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1, batch, seed=0)
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.0, 0.9))  # noqa: E731
    return Trainer(generator, critic, get_objective("wgan-gp"), adam(generator), adam(critic), data, n_critic=2, accumulate=accumulate)


def test_accumulating_two_micro_batches_equals_one_batch_penalty_included():
    whole, split = _layer_norm_trainer(1), _layer_norm_trainer(2)
    torch.manual_seed(3)
    whole.fit(2)
    torch.manual_seed(3)  # the same interpolation weights: U[0,1] draws of 8 equal two draws of 4
    split.fit(2)
    for a, b in zip(parameters(whole.generator) + parameters(whole.critic), parameters(split.generator) + parameters(split.critic), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_accumulation_that_does_not_divide_the_batch_is_explained():
    with pytest.raises(ValueError, match="accumulate=3 does not divide the batch of 8"):
        _layer_norm_trainer(3).train_iteration()


# --- objectives with state ---------------------------------------------------------------------


class BalancedWasserstein(ComposedObjective):
    """A test objective with tensor state: a running balance updated after every critic step."""

    def __init__(self):
        super().__init__(WassersteinLoss(), [GradientPenalty()])
        self.balance = torch.zeros(())

    def critic_loss(self, step):
        terms = super().critic_loss(step)
        terms["loss"] = terms["loss"] + self.balance * terms["critic/d_fake"]
        self._last = terms["critic/d_real"] - terms["critic/d_fake"]
        return terms

    def after_critic_step(self, critic):
        self.balance.add_(0.1 * self._last.abs()).clamp_(0, 1)

    def state_dict(self):
        return {"balance": self.balance.clone()}

    def load_state_dict(self, state):
        self.balance.copy_(state["balance"])


def test_an_objective_with_state_resumes_exactly(tmp_path):
    def make(callbacks=()):
        trainer = tiny_trainer(callbacks=callbacks)
        trainer.objective = BalancedWasserstein()
        return trainer

    straight = make()
    straight.fit(4)
    make(callbacks=[Checkpointer(tmp_path, every=2)]).fit(2)
    resumed = make()
    resumed.load_state_dict(load_checkpoint(tmp_path))
    assert resumed.objective.balance.item() != 0.0
    resumed.fit(4)
    assert same(parameters(resumed.critic), parameters(straight.critic))
    assert resumed.objective.balance.item() == straight.objective.balance.item()


def test_objective_state_without_a_home_is_refused(tmp_path):
    trainer = tiny_trainer()
    trainer.objective = BalancedWasserstein()
    trainer.fit(1)
    with pytest.raises(ValueError, match=r"holds state for \['balance'\], which objective 'wasserstein\+gp' does not have"):
        tiny_trainer().load_state_dict(trainer.state_dict())


# --- callbacks ---------------------------------------------------------------------------------


def test_on_exception_sees_the_error_and_where_it_struck(tmp_path):
    events = []

    class Watch(Callback):
        def on_exception(self, trainer, error):
            events.append((type(error).__name__, trainer.in_iteration, trainer.iteration))

    class Explode(Callback):
        def on_iteration_end(self, trainer, metrics):
            if metrics.iteration == 2:
                raise RuntimeError("boom")

    trainer = tiny_trainer(callbacks=[Watch(), Explode(), Checkpointer(tmp_path, every=100)])
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(5)
    assert events == [("RuntimeError", False, 2)]
    assert load_checkpoint(tmp_path)["iteration"] == 2  # between iterations the state is consistent: saved


def test_an_error_inside_an_iteration_saves_no_checkpoint(tmp_path):
    trainer = tiny_trainer(callbacks=[Checkpointer(tmp_path, every=100)])
    original = trainer.objective.critic_loss
    calls = []

    def failing(step):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("mid-iteration")
        return original(step)

    trainer.objective.critic_loss = failing
    with pytest.raises(RuntimeError, match="mid-iteration"):
        trainer.fit(5)
    assert not (tmp_path / "checkpoints" / "latest.pt").exists()


def test_a_crash_leaves_no_hole_in_the_metrics_log(tmp_path):
    # Log every 10, checkpoint every 25, crash at 27: records 21-27 must reach the file, and a
    # resume from 25 continues at 26 with nothing missing.
    class CrashAt(Callback):
        def on_iteration_end(self, trainer, metrics):
            if metrics.iteration == 27:
                raise RuntimeError("crash")

    logger = MetricsLogger(tmp_path, every=10, tensorboard=False)
    trainer = tiny_trainer(n_critic=1, callbacks=[logger, Checkpointer(tmp_path, every=25), CrashAt()])
    with pytest.raises(RuntimeError):
        trainer.fit(40)
    state = load_checkpoint(tmp_path)
    state["iteration"] = 25  # the newest periodic checkpoint (the crash handler also saved at 27)
    resumed = tiny_trainer(n_critic=1, callbacks=[MetricsLogger(tmp_path, every=10, tensorboard=False)])
    resumed.load_state_dict(state)
    resumed.fit(30)
    iterations = [json.loads(line)["iteration"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert iterations == list(range(1, 31))


def test_two_stateful_callbacks_of_one_class_need_their_own_state_keys(tmp_path):
    from ganlib.train import SampleGrid

    with pytest.raises(ValueError, match=r"share the state key\(s\) \['SampleGrid'\]"):
        tiny_trainer(callbacks=[SampleGrid(tmp_path / "a"), SampleGrid(tmp_path / "b")])

    class Keyed(SampleGrid):
        def __init__(self, run_dir, key):
            super().__init__(run_dir)
            self.key = key

        @property
        def state_key(self):
            return f"grid-{self.key}"

    trainer = tiny_trainer(callbacks=[Keyed(tmp_path / "a", "a"), Keyed(tmp_path / "b", "b")])
    assert set(trainer.state_dict()["callbacks"]) == {"grid-a", "grid-b"}


def test_checkpoints_of_ganlib_0_1_0_restore_callback_state(tmp_path):
    from ganlib.train import SampleGrid

    grid = SampleGrid(tmp_path)
    trainer = tiny_trainer(callbacks=[grid])
    trainer.fit(1)
    state = trainer.state_dict()
    state["callbacks"] = {"SampleGrid.1": state["callbacks"]["SampleGrid"]}  # the 0.1.0 key
    del state["format"]  # 0.1.0 wrote no format number
    other = SampleGrid(tmp_path, seed=99)
    tiny_trainer(callbacks=[other]).load_state_dict(state)
    assert torch.equal(other.state_dict()["noise"], grid.state_dict()["noise"])


def test_a_missing_callback_state_is_said(tmp_path):
    from ganlib.train import SampleGrid

    trainer = tiny_trainer()
    trainer.fit(1)
    with pytest.warns(RuntimeWarning, match="no state for callback 'SampleGrid'; it starts fresh"):
        tiny_trainer(callbacks=[SampleGrid(tmp_path)]).load_state_dict(trainer.state_dict())


def test_measured_scores_reach_a_logger_that_runs_earlier(tmp_path):
    class Judge(Callback):
        def measure(self, trainer):
            return {"score": float(trainer.iteration)}

    tiny_trainer(callbacks=[MetricsLogger(tmp_path, every=1, tensorboard=False), Judge()]).fit(2)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["score"] for r in records] == [1.0, 2.0]


def test_empty_data_is_explained():
    t = tiny_trainer()
    with pytest.raises(ValueError, match="data yielded no batches"):
        Trainer(t.generator, t.critic, t.objective, t.generator_optimizer, t.critic_optimizer, []).fit(1)


@pytest.mark.parametrize(("kwargs", "match"), [({"capture": "graph"}, "capture='graph' is invalid"), ({"accumulate": 0}, "accumulate=0")])
def test_bad_trainer_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rebuild(tiny_trainer(), **kwargs)


def test_an_objective_must_be_an_objective():
    t = tiny_trainer()
    with pytest.raises(TypeError, match="ganlib.losses.Objective"):
        Trainer(t.generator, t.critic, lambda step: {}, t.generator_optimizer, t.critic_optimizer, t.data)


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    import os

    from ganlib.train import TrainingInterrupted

    class Term(Callback):
        def on_iteration_end(self, trainer, metrics):
            if metrics.iteration == 2:
                os.kill(os.getpid(), signal.SIGTERM)

    trainer = tiny_trainer(callbacks=[Term(), Checkpointer(tmp_path, every=100)])
    with pytest.raises(TrainingInterrupted) as stop:
        trainer.fit(10)
    assert (stop.value.iteration, stop.value.exit_code) == (2, 143)
    assert load_checkpoint(tmp_path)["iteration"] == 2
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_non_finite_scores_do_not_reach_the_log_as_nan(tmp_path):
    from ganlib.train.metrics import finite_or_none

    assert finite_or_none(math.nan) is None and finite_or_none(1.5) == 1.5
