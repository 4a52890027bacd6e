import pytest
import torch

from ganlib.train import Callback, Metrics, Trainer

from tests.train.helpers import parameters, same, tiny_trainer


@pytest.mark.parametrize("n_critic", [1, 2, 5])
def test_step_counts(n_critic):
    trainer = tiny_trainer(n_critic=n_critic)
    critic_steps, generator_steps = [], []
    trainer.critic_optimizer.register_step_post_hook(lambda *a: critic_steps.append(1))
    trainer.generator_optimizer.register_step_post_hook(lambda *a: generator_steps.append(1))
    trainer.fit(3)
    assert (len(critic_steps), len(generator_steps)) == (3 * n_critic, 3)
    assert (trainer.critic_steps, trainer.iteration) == (3 * n_critic, 3)


def test_each_critic_step_draws_a_fresh_real_batch():
    trainer = tiny_trainer(n_critic=3)
    seen = []
    original = trainer.objective.critic_loss
    trainer.objective.critic_loss = lambda step: seen.append(step.real.clone()) or original(step)
    trainer.train_iteration()
    assert len(seen) == 3 and not torch.equal(seen[0], seen[1]) and not torch.equal(seen[1], seen[2])


def test_critic_phase_changes_only_the_critic_and_generator_phase_only_the_generator():
    trainer = tiny_trainer(n_critic=2)
    snapshots = [(parameters(trainer.generator), parameters(trainer.critic))]
    record = lambda *args: snapshots.append((parameters(trainer.generator), parameters(trainer.critic)))  # noqa: E731
    trainer.critic_optimizer.register_step_post_hook(record)
    trainer.generator_optimizer.register_step_post_hook(record)
    trainer.train_iteration()
    (g0, d0), (g1, d1), (g2, d2), (g3, d3) = snapshots  # start, critic step 1, critic step 2, generator step
    assert same(g0, g1) and same(g1, g2) and not same(d0, d1) and not same(d1, d2)
    assert same(d2, d3) and not same(g2, g3)


def test_fakes_for_the_critic_carry_no_generator_graph_and_the_generator_step_computes_no_critic_grads():
    trainer = tiny_trainer(n_critic=1)
    fakes, critic_grads = [], []
    original = trainer.objective.critic_loss
    trainer.objective.critic_loss = lambda step: fakes.append(step.fake) or original(step)
    trainer.critic_optimizer.register_step_post_hook(lambda opt, *a: opt.zero_grad(set_to_none=True))
    trainer.generator_optimizer.register_step_pre_hook(lambda *a: critic_grads.append([p.grad for p in trainer.critic.parameters()]))
    trainer.train_iteration()
    assert fakes[0].grad_fn is None and not fakes[0].requires_grad
    assert all(g is None for g in critic_grads[0])  # no critic gradient computed in the generator step
    assert all(p.requires_grad for p in trainer.critic.parameters())  # thawed again


def test_frozen_critic_parameters_stay_frozen():
    trainer = tiny_trainer()
    frozen = next(trainer.critic.parameters())
    frozen.requires_grad_(False)
    trainer = Trainer(trainer.generator, trainer.critic, trainer.objective, trainer.generator_optimizer, trainer.critic_optimizer, trainer.data, n_critic=1)
    trainer.train_iteration()
    assert not frozen.requires_grad


def test_clipping_holds_after_every_critic_step():
    # A large learning rate pushes weights far past c in one step: only clipping *after*
    # the step keeps them inside. The pre-forward hook sees the state left by every step.
    trainer = tiny_trainer("wgan-clip", n_critic=3, lr=0.5)
    c = trainer.objective.clip.clip
    worst = []

    def check(module, args):
        if trainer.critic_steps > 0:  # forwards before the first step see the unclipped init
            worst.append(max(p.abs().max().item() for p in module.parameters()))

    trainer.critic.register_forward_pre_hook(check)
    trainer.fit(2)
    assert len(worst) > 5 and max(worst) <= c
    assert any(w == pytest.approx(c) for w in worst)  # and clipping was needed


def test_same_seed_same_result_and_different_seed_different_result():
    # tiny_trainer seeds the global RNG (the penalty's eps uses it) before building.
    runs = []
    for seed in (3, 3, 4):
        runs.append(tiny_trainer(seed=seed))
        runs[-1].fit(2)
    a, b, c = runs
    assert same(parameters(a.generator), parameters(b.generator))
    assert same(parameters(a.critic), parameters(b.critic))
    assert not same(parameters(a.generator), parameters(c.generator))


def test_metrics_average_the_critic_terms_over_the_critic_steps():
    trainer = tiny_trainer("wgan-gp", n_critic=3)
    recorded = []
    original = trainer.objective.critic_loss

    def spy(step):
        terms = original(step)
        recorded.append({k: v.detach().clone() for k, v in terms.items()})
        return terms

    trainer.objective.critic_loss = spy
    metrics = trainer.train_iteration()
    values = metrics.to_dict()
    assert metrics.iteration == 1
    for name, term in (("critic/d_real", "critic/d_real"), ("penalty/gp", "penalty/gp"), ("critic/wasserstein", "critic/wasserstein"), ("accuracy/fake", "accuracy/fake")):
        assert values[name] == pytest.approx(torch.stack([r[term] for r in recorded]).mean().item(), rel=1e-5)
    assert values["loss/critic"] == pytest.approx(torch.stack([r["loss"] for r in recorded]).mean().item(), rel=1e-5)
    assert {"loss/generator", "generator/d_fake"} <= set(values)


def test_hooks_run_in_order():
    events = []

    class Recorder(Callback):
        def __init__(self, name):
            self.name = name

        def on_fit_start(self, trainer):
            events.append((self.name, "start", trainer.iteration))

        def on_iteration_end(self, trainer, metrics):
            assert isinstance(metrics, Metrics)
            events.append((self.name, "iteration", metrics.iteration))

        def on_fit_end(self, trainer):
            events.append((self.name, "end", trainer.iteration))

    tiny_trainer(callbacks=[Recorder("a"), Recorder("b")]).fit(2)
    assert events == [
        ("a", "start", 0), ("b", "start", 0),
        ("a", "iteration", 1), ("b", "iteration", 1),
        ("a", "iteration", 2), ("b", "iteration", 2),
        ("a", "end", 2), ("b", "end", 2),
    ]


def test_fit_counts_iterations_in_total():
    trainer = tiny_trainer()
    trainer.fit(2)
    trainer.fit(3)
    assert trainer.iteration == 3
    with pytest.raises(ValueError, match="iterations=1 is invalid.*at least the 3 already done"):
        trainer.fit(1)


def test_bad_n_critic_is_named():
    t = tiny_trainer()
    with pytest.raises(ValueError, match="n_critic=0"):
        Trainer(t.generator, t.critic, t.objective, t.generator_optimizer, t.critic_optimizer, t.data, n_critic=0)


def test_unknown_latent_dim_is_explained():
    t = tiny_trainer()
    generator = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="latent_dim is unknown"):
        Trainer(generator, t.critic, t.objective, t.generator_optimizer, t.critic_optimizer, t.data)


def test_ema_is_updated_after_each_generator_step():
    trainer = tiny_trainer(ema=0.9)
    updates = []
    original = trainer.ema.update
    trainer.ema.update = lambda model: updates.append(1) or original(model)
    trainer.fit(3)
    assert len(updates) == 3 and int(trainer.ema.n_averaged) == 3
    assert trainer.sampling_generator is trainer.ema.module


def test_a_callback_can_stop_training_early():
    class StopAtTwo(Callback):
        def on_iteration_end(self, trainer, metrics):
            if metrics.iteration == 2:
                trainer.max_iterations = trainer.iteration

    trainer = tiny_trainer(callbacks=[StopAtTwo()])
    trainer.fit(10)
    assert trainer.iteration == 2


def test_a_dataloader_of_labelled_batches_is_cycled_across_passes():
    from torch.utils.data import DataLoader, TensorDataset

    t = tiny_trainer()
    images = torch.rand(16, 1, 16, 16) * 2 - 1
    loader = DataLoader(TensorDataset(images, torch.zeros(16)), batch_size=8, shuffle=True, drop_last=True)
    trainer = Trainer(t.generator, t.critic, t.objective, t.generator_optimizer, t.critic_optimizer, loader, n_critic=3)
    trainer.fit(2)  # 6 critic steps over a loader of 2 batches per pass: 3 passes
    assert trainer.critic_steps == 6 and trainer.state_dict()["data"] is None
