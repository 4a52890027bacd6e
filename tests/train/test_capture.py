"""CUDA-graph capture: when it applies, why it falls back, and that captured training equals eager.

The CUDA tests skip without a GPU; the fallback logic and the static-slot data path are
tested on the CPU.
"""

import warnings

import pytest
import torch

from ganlib.data import TensorBatches
from ganlib.losses import WGANGP, get_objective, gradient_penalty
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import CapturePlan, Trainer, capture_blocker, make_capturable
from ganlib.train import feed as feeds
from ganlib.train.feed import IndexFeed

from tests.train.helpers import tiny_trainer

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _pretend_cuda(trainer):
    trainer.device = trainer._steps.device = torch.device("cuda")
    return trainer


def _with(trainer, **parts):
    """A Trainer over the same parts but those given (its components are fixed at construction)."""
    built = {"generator_optimizer": trainer.generator_optimizer, "critic_optimizer": trainer.critic_optimizer, "objective": trainer.objective, **parts}
    return Trainer(trainer.generator, trainer.critic, data=trainer.data, n_critic=trainer.n_critic, **built)


def test_capture_on_the_cpu_falls_back_with_one_warning_that_says_why():
    trainer = tiny_trainer()
    trainer.capture = "cuda-graph"
    with pytest.warns(RuntimeWarning, match=r"models are on cpu; CUDA graphs need a CUDA device\); training eagerly"):
        trainer.fit(2)
    assert trainer.iteration == 2 and not trainer.captured


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: setattr(t, "data", [torch.zeros(8, 1, 16, 16)]), "TensorBatches on the models' CUDA device"),
        (lambda t: setattr(t.precision, "precision", "fp16"), "fp16 loss scaling"),
        (lambda t: _with(t, objective=get_objective("hinge", penalty="r1", penalty_every=4)), "lazy penalty"),
        (lambda t: _with(t, critic_optimizer=torch.optim.LBFGS(t.critic.parameters())), "LBFGS"),
    ],
)
def test_each_blocker_is_named(change, reason, monkeypatch):
    trainer = tiny_trainer(n_critic=2)
    trainer = _pretend_cuda(change(trainer) or trainer)
    monkeypatch.setattr(feeds, "capturable", lambda data, device: not isinstance(data, list))
    assert reason in trainer.capture_blocker()


def test_a_lazy_penalty_whose_interval_divides_n_critic_can_be_captured(monkeypatch):
    trainer = _pretend_cuda(tiny_trainer(n_critic=4))
    trainer.objective = get_objective("hinge", penalty="r1", penalty_every=2)
    monkeypatch.setattr(feeds, "capturable", lambda data, device: True)
    reason = trainer.capture_blocker()
    assert reason is None or "lazy" not in reason


def test_the_capture_plan_names_each_blocker_without_a_trainer():
    optimizer = torch.optim.Adam(torch.nn.Linear(1, 1).parameters())
    plan = CapturePlan(torch.device("cuda"), (("critic", optimizer),), feed_capturable=True, varying_work="the work varies")
    assert capture_blocker(plan) == "the work varies"
    assert "CUDA device" in capture_blocker(CapturePlan(torch.device("cpu"), ()))


def test_make_capturable_moves_step_counters_to_the_parameters_device():
    net = torch.nn.Linear(2, 2)
    optimizer = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    assert make_capturable(optimizer)
    assert all(group["capturable"] for group in optimizer.param_groups)
    assert not make_capturable(torch.optim.LBFGS(net.parameters()))


def test_index_feed_draws_exactly_the_batches_of_the_stream():
    data = torch.arange(40.0).reshape(40, 1)
    labels = torch.arange(40)
    reference = TensorBatches(data, 4, labels=labels, seed=3)
    feed = IndexFeed(TensorBatches(data, 4, labels=labels, seed=3), slots=3)
    for _ in range(5):  # crosses epoch boundaries
        feed.prepare()
        for _ in range(3):
            images, y = feed.draw()
            expected_images, expected_labels = next(reference)
            assert torch.equal(images, expected_images) and torch.equal(y, expected_labels)
    with pytest.raises(RuntimeError, match="more than the 3 batches"):
        feed.draw()


# --- on a GPU ---------------------------------------------------------------------------------


@pytest.fixture
def deterministic_cudnn():
    # Eager CUDA training is not bit-reproducible (atomic adds in some backward kernels), and
    # GAN dynamics amplify the differences. The equality tests below therefore compare a
    # captured run with an eager run *relative to two eager runs*, with cuDNN's deterministic
    # kernels to keep that baseline small.
    old = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    yield
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old


def _cuda_trainer(capture, *, seed=0, precision="fp32", objective=None):
    torch.manual_seed(seed)
    generator = DCGANGenerator(latent_dim=8, image_size=16, width=8).cuda()
    critic = DCGANCritic(image_size=16, width=8, norm="layer").cuda()
    data = (torch.rand(256, 1, 16, 16, generator=torch.Generator().manual_seed(99)) * 2 - 1).cuda()
    # Capturable Adam in both modes, so eager and captured runs take the same optimizer code path.
    adam = {"lr": 1e-4, "betas": (0.0, 0.9), "capturable": True}
    return Trainer(
        generator,
        critic,
        objective or WGANGP(),
        torch.optim.Adam(generator.parameters(), **adam),
        torch.optim.Adam(critic.parameters(), **adam),
        TensorBatches(data, 32, seed=seed),
        n_critic=5,
        seed=seed,
        capture=capture,
        precision=precision,
    )


def _difference(a, b):
    """Largest absolute parameter difference between two trainers' models."""
    pairs = [*zip(a.generator.parameters(), b.generator.parameters(), strict=True), *zip(a.critic.parameters(), b.critic.parameters(), strict=True)]
    return max((x - y).abs().max().item() for x, y in pairs)


def _noise_trace(trainer, iterations):
    traces = []
    for _ in range(iterations):
        trainer.train_iteration()
        traces.append(trainer._noise_source._buffers[32].clone())
    return traces


@cuda
def test_captured_replays_draw_exactly_the_eager_noise(deterministic_cudnn):
    eager, captured = _cuda_trainer("none"), _cuda_trainer("cuda-graph")
    noise_eager, noise_captured = _noise_trace(eager, 8), _noise_trace(captured, 8)
    assert captured.captured
    assert all(torch.equal(a, b) for a, b in zip(noise_eager, noise_captured, strict=True))


@cuda
def test_captured_and_eager_runs_from_one_seed_agree(deterministic_cudnn):
    iterations = 8  # 3 eager warm-up iterations, the recording, then replays
    runs = {}
    for name, capture in (("eager", "none"), ("eager again", "none"), ("captured", "cuda-graph")):
        runs[name] = _cuda_trainer(capture)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback
            runs[name].fit(iterations)
    assert runs["captured"].captured
    baseline = _difference(runs["eager again"], runs["eager"])
    difference = _difference(runs["captured"], runs["eager"])
    print(f"after {iterations} iterations: captured vs eager {difference:.3g}, eager vs eager {baseline:.3g}")
    assert difference <= 2 * baseline + 1e-6


@cuda
def test_replays_draw_new_noise_and_data_every_iteration():
    trainer = _cuda_trainer("cuda-graph")
    values = [trainer.train_iteration().values.clone() for _ in range(6)]
    assert trainer.captured
    assert not torch.equal(values[-1], values[-2])  # two replays, different numbers


@cuda
def test_the_penalty_inside_a_graph_equals_the_eager_penalty():
    torch.manual_seed(0)
    critic = DCGANCritic(image_size=16, width=8, norm="layer").cuda()
    real, fake = torch.randn(16, 1, 16, 16, device="cuda"), torch.randn(16, 1, 16, 16, device="cuda")
    eps = torch.rand(16, device="cuda")
    out = torch.zeros((), device="cuda")

    def penalty():
        out.copy_(gradient_penalty(critic, real, fake, eps=eps))

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        penalty()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        penalty()
    real.normal_()  # new inputs in the same buffers
    graph.replay()
    torch.cuda.synchronize()
    torch.testing.assert_close(out, gradient_penalty(critic, real, fake, eps=eps).detach(), rtol=1e-5, atol=1e-6)


@cuda
def test_a_resumed_captured_run_equals_an_uninterrupted_one(deterministic_cudnn):
    straight, again = _cuda_trainer("cuda-graph"), _cuda_trainer("cuda-graph")
    straight.fit(10)
    again.fit(10)
    first = _cuda_trainer("cuda-graph")
    first.fit(5)
    state = first.state_dict()
    resumed = _cuda_trainer("cuda-graph", seed=5)  # other weights and streams until loaded
    resumed.load_state_dict(state)
    resumed.fit(10)  # warms up and records again from the restored state
    baseline, difference = _difference(again, straight), _difference(resumed, straight)
    print(f"resumed vs uninterrupted {difference:.3g}, two uninterrupted runs {baseline:.3g}")
    assert resumed.captured and difference <= 2 * baseline + 1e-6


@cuda
def test_bf16_captures_and_fp16_falls_back():
    trainer = _cuda_trainer("cuda-graph", precision="bf16")
    trainer.fit(5)
    assert trainer.captured
    fp16 = _cuda_trainer("cuda-graph", precision="fp16")
    with pytest.warns(RuntimeWarning, match="fp16 loss scaling"):
        fp16.fit(2)
    assert not fp16.captured
