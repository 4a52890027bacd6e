"""The R3GAN backbone equals the authors' networks.

brownvc/R3GAN at commit 19a7ddf463fbac2bd39b4c1c73d63f1c441c7403: ``R3GAN/Networks.py``
(``MSRInitializer``, ``ResidualBlock``, ``UpsampleLayer``, ``DownsampleLayer``, ``GenerativeBasis``,
``DiscriminativeBasis``, ``Generator``, ``Discriminator``), ``R3GAN/FusedOperators.py``
(``BiasedActivation``: a bias, then LeakyReLU(0.2) with gain 1), ``R3GAN/Resamplers.py``
(``CreateLowpassKernel([1, 2, 1])``, resampled with ``upfirdn2d``) and
``torch_utils/ops/upfirdn2d.py`` (the reference implementation ``_upfirdn2d_ref``: zero
insertion, padding, the filter times ``gain ** (ndim / 2)``, a depthwise convolution, every
``down``-th pixel), and ``train.py``'s CIFAR10 and FFHQ-64 presets.

The reference networks are rebuilt below in functional PyTorch over their own parameter table;
ganlib's weights are copied in and outputs and gradients compared in float64.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlib.models import R3GANCritic, R3GANGenerator, get_model
from ganlib.models.r3gan import lowpass_downsample, lowpass_upsample
from tests.reference._tools import assert_same_function, copy_into_reference, identity, parameter_count


def _kernel(dtype: torch.dtype) -> Tensor:
    taps = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64)
    taps = torch.nn.functional.conv1d(taps.view(1, 1, -1), torch.ones(1, 1, 2, dtype=torch.float64), padding=1).flatten()  # numpy.convolve(w, [1, 1])
    kernel = torch.outer(taps, taps)
    return (kernel / kernel.sum()).to(dtype)


def _upfirdn2d(x: Tensor, f: Tensor, up: int, down: int, pad: tuple[int, int, int, int], gain: float) -> Tensor:
    """``_upfirdn2d_ref``: upsample by zero insertion, pad (x0, x1, y0, y1), filter, downsample."""
    n, c, h, w = x.shape
    x = x.reshape(n, c, h, 1, w, 1)
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
    x = x.reshape(n, c, h * up, w * up)
    x = F.pad(x, [pad[0], pad[1], pad[2], pad[3]])
    f = (f * gain ** (f.ndim / 2)).flip([0, 1])
    x = F.conv2d(x, f[None, None].repeat(c, 1, 1, 1), groups=c)
    return x[:, :, ::down, ::down]


def _reference_upsample(x: Tensor) -> Tensor:  # upsample2d: padding [(fw + up - 1) // 2, (fw - up) // 2], gain * up * up
    return _upfirdn2d(x, _kernel(x.dtype), 2, 1, (2, 1, 2, 1), 4.0)


def _reference_downsample(x: Tensor) -> Tensor:  # downsample2d: padding [(fw - down + 1) // 2, (fw - down) // 2]
    return _upfirdn2d(x, _kernel(x.dtype), 1, 2, (1, 1, 1, 1), 1.0)


def test_the_low_pass_resamplers_equal_upfirdn2d():
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(lowpass_upsample(x), _reference_upsample(x), atol=1e-13, rtol=1e-12)
    torch.testing.assert_close(lowpass_downsample(x), _reference_downsample(x), atol=1e-13, rtol=1e-12)
    ones = lowpass_upsample(torch.ones(1, 1, 4, 4, dtype=torch.float64))[0, 0]
    assert (ones[0, 0].item(), ones[0, 3].item(), ones[3, 3].item()) == (0.5625, 0.75, 1.0)  # zero borders, as the reference


# --- the networks ---------------------------------------------------------------------------


def _residual_block(p: dict[str, Tensor], name: str, x: Tensor, cardinality: int) -> Tensor:
    y = F.conv2d(x, p[f"{name}.LL1"])
    y = F.leaky_relu(y + p[f"{name}.act1"].view(1, -1, 1, 1), 0.2)
    y = F.conv2d(y, p[f"{name}.LL2"], padding=1, groups=cardinality)
    y = F.leaky_relu(y + p[f"{name}.act2"].view(1, -1, 1, 1), 0.2)
    return x + F.conv2d(y, p[f"{name}.LL3"])


def _generator(p: dict[str, Tensor], z: Tensor, widths: list[int], blocks: int, cardinality: list[int]) -> Tensor:
    x = p["basis"].unsqueeze(0) * (z @ p["basis_linear"].t()).view(z.shape[0], -1, 1, 1)
    for stage, width in enumerate(widths):
        if stage:
            if widths[stage - 1] != width:
                x = F.conv2d(x, p[f"stage{stage}.transition"])
            x = _reference_upsample(x)
        for block in range(blocks):
            x = _residual_block(p, f"stage{stage}.block{block}", x, cardinality[stage])
    return F.conv2d(x, p["aggregation"])


def _critic(p: dict[str, Tensor], x: Tensor, widths: list[int], blocks: int, cardinality: list[int]) -> Tensor:
    x = F.conv2d(x, p["extraction"])
    for stage, width in enumerate(widths):
        for block in range(blocks):
            x = _residual_block(p, f"stage{stage}.block{block}", x, cardinality[stage])
        if stage < len(widths) - 1:
            x = _reference_downsample(x)
            if widths[stage + 1] != width:
                x = F.conv2d(x, p[f"stage{stage}.transition"])
    x = F.conv2d(x, p["basis_conv"], groups=widths[-1]).flatten(1)
    return (x @ p["basis_linear"].t()).view(x.shape[0])


def _shapes(widths: list[int], blocks: int, expansion: int, cardinality: list[int], channels: int, latent: int | None, generator: bool) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for stage, width in enumerate(widths):
        wide = width * expansion
        for block in range(blocks):
            name = f"stage{stage}.block{block}"
            shapes |= {f"{name}.LL1": (wide, width, 1, 1), f"{name}.act1": (wide,), f"{name}.LL2": (wide, wide // cardinality[stage], 3, 3), f"{name}.act2": (wide,), f"{name}.LL3": (width, wide, 1, 1)}
        neighbour = stage - 1 if generator else stage + 1
        if 0 <= neighbour < len(widths) and widths[neighbour] != width:
            source, target = (widths[neighbour], width) if generator else (width, widths[neighbour])
            shapes[f"stage{stage}.transition"] = (target, source, 1, 1)
    if generator:
        assert latent is not None
        shapes |= {"basis": (widths[0], 4, 4), "basis_linear": (widths[0], latent), "aggregation": (channels, widths[-1], 1, 1)}
    else:
        shapes |= {"extraction": (widths[0], channels, 1, 1), "basis_conv": (widths[-1], 1, 4, 4), "basis_linear": (1, widths[-1])}
    return shapes


_BLOCK_PARTS = {"expand.weight": "LL1", "expand.bias": "act1", "mix.weight": "LL2", "mix.bias": "act2", "project.weight": "LL3"}


def _names(generator: bool):
    def name_of(ours: str):
        parts = ours.split(".")
        if parts[0] == "stages":
            return f"stage{parts[1]}.block{parts[2]}.{_BLOCK_PARTS['.'.join(parts[3:])]}", identity
        if parts[0] == "transitions":
            return f"stage{int(parts[1]) + 1 if generator else parts[1]}.transition", identity
        single = {"basis": "basis", "modulation.weight": "basis_linear", "to_image.weight": "aggregation", "from_image.weight": "extraction"}
        if generator:
            return single[".".join(parts)], identity
        return {**single, "basis.weight": "basis_conv", "score.weight": "basis_linear"}[".".join(parts)], identity

    return name_of


def _perturbed(model: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():  # the residual branches start at zero; move them so that the comparison sees them
        for param in model.parameters():
            param.add_(0.05 * torch.randn_like(param))
    return model


@pytest.mark.parametrize("widths", [[8, 8, 8], [8, 8, 4]], ids=["one-width", "with-transitions"])
def test_the_generator_equals_the_reference(widths):
    torch.manual_seed(0)
    generator = _perturbed(R3GANGenerator(latent_dim=6, image_size=16, channels=3, width=8, blocks=2, group_width=4, output="none", widths=widths).double())
    cardinality = [w * 2 // 4 for w in widths]  # Cardinality per stage: groups of 4 channels
    params = copy_into_reference(generator, _shapes(widths, 2, 2, cardinality, 3, 6, True), _names(True))
    z = torch.randn(3, 6, dtype=torch.float64)
    ours = generator(z)
    assert_same_function(generator, params, _names(True), ours, _generator(params, z, widths, 2, cardinality))
    tanh = R3GANGenerator(latent_dim=6, image_size=16, channels=3, width=8, blocks=2, group_width=4, widths=widths).double()
    tanh.load_state_dict(generator.state_dict())
    torch.testing.assert_close(tanh(z), torch.tanh(ours.detach()))  # the deliberate difference: Tanh on the reference's output


@pytest.mark.parametrize("widths", [[8, 8, 8], [4, 8, 8]], ids=["one-width", "with-transitions"])
def test_the_critic_equals_the_reference(widths):
    torch.manual_seed(1)
    critic = _perturbed(R3GANCritic(image_size=16, channels=3, width=8, blocks=2, group_width=4, widths=widths).double())
    cardinality = [w * 2 // 4 for w in widths]
    params = copy_into_reference(critic, _shapes(widths, 2, 2, cardinality, 3, None, False), _names(False))
    x = torch.randn(3, 3, 16, 16, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    # with the input gradient, what R1 differentiates
    assert_same_function(critic, params, _names(False), critic(x), _critic(params, x_ref, widths, 2, cardinality), (x, x_ref))


@pytest.mark.parametrize(("name", "widths", "generator"), [
    ("r3gan-cifar10-generator", [768] * 4, True), ("r3gan-cifar10-critic", [768] * 4, False),
    ("r3gan-ffhq64-generator", [768, 768, 768, 768, 384], True), ("r3gan-ffhq64-critic", [384, 768, 768, 768, 768], False),
])
def test_the_presets_have_the_references_parameters(name, widths, generator):
    model = get_model(name)
    cardinality = [w * 2 // 16 for w in widths]  # train.py: Cardinality 96 at 768, 48 at 384
    shapes = _shapes(widths, 2, 2, cardinality, 3, 64, generator)
    assert sum(p.numel() for p in model.parameters()) == parameter_count(shapes)
    copy_into_reference(model, shapes, _names(generator))  # every reference parameter, once, with its shape


def test_initialization_is_msr_with_the_depth_scaling_and_zero_branch_ends():
    torch.manual_seed(2)
    critic = R3GANCritic(image_size=32, channels=3, width=64, blocks=2, group_width=16)
    total = 2 * 4
    gain = math.sqrt(2 / (1 + 0.2**2)) * total ** (-1 / 4)  # BiasedActivation.Gain * L ** (-1 / (2 * 3 - 2))
    block = critic.stages[0][0]
    for conv in (block.expand, block.mix):
        fan_in = conv.weight.shape[1] * conv.weight[0, 0].numel()
        assert conv.weight.std().item() == pytest.approx(gain / math.sqrt(fan_in), rel=0.05)
        assert torch.count_nonzero(conv.bias) == 0
    assert torch.count_nonzero(block.project.weight) == 0


# --- the recipe's schedules ---------------------------------------------------------------------


def _reference_cosine(cur_nimg: float, base_value: float, final_value: float, total_nimg: float, warmup_nimg: float = 0, hold_base_value_nimg: float = 0) -> float:
    """training_loop.py's ``cosine_decay_with_warmup`` (no warm-up or hold in any preset)."""
    decay = 0.5 * (1 + math.cos(math.pi * (cur_nimg - warmup_nimg - hold_base_value_nimg) / float(total_nimg - warmup_nimg - hold_base_value_nimg)))
    value = base_value + (1 - decay) * (final_value - base_value)
    return final_value if cur_nimg > total_nimg else value


@pytest.mark.parametrize(("start", "end"), [(2e-4, 5e-5), (0.05, 0.005), (0.9, 0.99)])
def test_the_schedule_shape_is_the_references(start, end):
    from ganlib.schedules import half_cosine

    for t in (0, 1, 17, 50, 99, 100, 101, 250):
        expected = _reference_cosine(t, start, end, 100)
        assert half_cosine(t, start, end, 100) == pytest.approx(expected, rel=1e-12)
        assert float(half_cosine(torch.tensor(t, dtype=torch.float64), start, end, 100)) == pytest.approx(expected, rel=1e-12)


def test_the_r3gan_recipe_carries_the_references_cifar10_schedules():
    from ganlib.recipes import RECIPES

    recipe = RECIPES["r3gan"]
    assert (recipe.lr, recipe.betas, recipe.penalty_weight, recipe.penalties) == (2e-4, (0.0, 0.9), 0.05, ("r1", "r2"))
    assert recipe.settings["lr_schedule"] == "cosine" and recipe.settings["lr_schedule_arg"] == {"eta_min": 5e-5}
    assert recipe.settings["penalty_arg"] == {"weight_end": 0.005} and recipe.settings["callback"] == ["beta2-schedule"]


def test_gamma_lr_and_beta2_follow_the_schedule_through_the_trainer():
    from ganlib.losses import get_objective
    from ganlib.train import Beta2Schedule, LRSchedule, Trainer, build_lr_schedule

    from tests.train.helpers import tiny_trainer

    base = tiny_trainer("relativistic")
    objective = get_objective("relativistic", penalty=["r1", "r2"], penalty_weight=0.05, penalty_args={"weight_end": 0.005})
    generator_opt = torch.optim.Adam(base.generator.parameters(), lr=2e-4, betas=(0.0, 0.9))
    critic_opt = torch.optim.Adam(base.critic.parameters(), lr=2e-4, betas=(0.0, 0.9))
    schedules = LRSchedule({role: build_lr_schedule("cosine", opt, 8, eta_min=5e-5) for role, opt in (("generator", generator_opt), ("critic", critic_opt))})
    trainer = Trainer(base.generator, base.critic, objective, generator_opt, critic_opt, base.data, n_critic=1, callbacks=[schedules, Beta2Schedule()])
    r1 = objective.penalties[0]
    seen: list[tuple[int, float]] = []
    scheduled = r1.weight_at
    r1.weight_at = lambda step: (seen.append((step.iteration, float(scheduled(step)))) or scheduled(step))  # type: ignore[method-assign]
    trainer.fit(8)
    assert trainer.max_iterations == 8 and [t for t, _ in seen] == list(range(8))
    for t, weight in seen:
        assert weight == pytest.approx(_reference_cosine(t, 0.05, 0.005, 8), rel=1e-6)
    # after 8 of 8 iterations both are at their ends; the optimizers saw every value on the way
    assert critic_opt.param_groups[0]["lr"] == pytest.approx(5e-5) and critic_opt.param_groups[0]["betas"][1] == pytest.approx(_reference_cosine(7, 0.9, 0.99, 8))
    assert Beta2Schedule().capture_blocker() is not None and trainer.callbacks.capture_blocker() is not None  # it trains eagerly
