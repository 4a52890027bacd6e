"""PGGAN's networks, schedule and real-image fade equal the authors' code.

tkarras/progressive_growing_of_gans at commit 2504c3f3cb98ca58751610ad61fa1097313152bd:

* ``networks.py``: ``G_paper`` and ``D_paper`` in their ``linear`` structure (the readable one;
  ``recursive`` computes the same function), with the defaults ``fused_scale=True``
  (``upscale2d_conv2d``: the 3×3 weight padded and summed into a 4×4 transposed convolution of
  stride 2; ``conv2d_downscale2d``: the same, times 1/4, as a strided convolution),
  ``use_wscale``, ``pixel_norm``, ``minibatch_stddev_layer``, ``lerp_clip`` and the level of
  detail ``lod_in``;
* ``train.py``: ``TrainingSchedule`` (the ``lod`` from the images shown) and ``process_reals``
  (``FadeLOD`` and ``UpscaleLOD``).

The reference is rebuilt below in functional PyTorch over a parameter table in TensorFlow's
layouts and names; ganlib's weights are copied in, and outputs and gradients compared in float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlib.models.pggan import ProgressiveCritic, ProgressiveGenerator
from ganlib.train.growth import Growth, GrowthPlan

# --- the reference, functionally ---------------------------------------------------------------


def _wscale(w: Tensor, gain: float = math.sqrt(2), fan_in: int | None = None) -> Tensor:
    fan_in = int(np.prod(w.shape[:-1])) if fan_in is None else fan_in
    return w * (gain / math.sqrt(fan_in))


def _bias(x: Tensor, b: Tensor) -> Tensor:
    return x + (b if x.ndim == 2 else b.view(1, -1, 1, 1))


def _act(x: Tensor) -> Tensor:
    return torch.maximum(x * 0.2, x)


def _conv(x: Tensor, w: Tensor, gain: float = math.sqrt(2)) -> Tensor:  # conv2d, weight [k, k, in, out], SAME
    return F.conv2d(x, _wscale(w, gain).permute(3, 2, 0, 1), padding=w.shape[0] // 2)


def _dense(x: Tensor, w: Tensor, gain: float = math.sqrt(2)) -> Tensor:
    return x.reshape(len(x), -1) @ _wscale(w, gain)


def _summed(w: Tensor) -> Tensor:  # tf.pad by 1 then the four shifted sums
    w = F.pad(w.permute(2, 3, 0, 1), (1, 1, 1, 1)).permute(2, 3, 0, 1)
    return w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]


def _upscale_conv(x: Tensor, w: Tensor) -> Tensor:  # upscale2d_conv2d: weight [k, k, out, in], conv2d_transpose stride 2 SAME
    w = _summed(_wscale(w, fan_in=9 * x.shape[1]))
    return F.conv_transpose2d(x, w.permute(3, 2, 0, 1), stride=2, padding=1)


def _conv_downscale(x: Tensor, w: Tensor) -> Tensor:  # conv2d_downscale2d: weight [k, k, in, out], conv2d stride 2 SAME
    w = _summed(_wscale(w)) * 0.25
    return F.conv2d(x, w.permute(3, 2, 0, 1), stride=2, padding=1)


def _pixel_norm(x: Tensor) -> Tensor:
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


def _upscale(x: Tensor, factor: int = 2) -> Tensor:  # reshape and tile
    n, c, h, w = x.shape
    return x.reshape(n, c, h, 1, w, 1).repeat(1, 1, 1, factor, 1, factor).reshape(n, c, h * factor, w * factor)


def _downscale(x: Tensor, factor: int = 2) -> Tensor:
    return F.avg_pool2d(x, factor)


def _stddev(x: Tensor, group_size: int = 4) -> Tensor:
    g = min(group_size, x.shape[0])
    s = x.shape
    y = x.reshape(g, -1, s[1], s[2], s[3])
    y = y - y.mean(dim=0, keepdim=True)
    y = (y.square().mean(dim=0) + 1e-8).sqrt().mean(dim=(1, 2, 3), keepdim=True)
    return torch.cat([x, y.repeat(g, 1, s[2], s[3])], dim=1)


def _lerp_clip(a: Tensor, b: Tensor, t: float) -> Tensor:
    return a + (b - a) * min(max(t, 0.0), 1.0)


def _nf(stage: int, fmap_max: int) -> int:
    return min(int(8192 / 2.0**stage), fmap_max)


def reference_generator(p: dict[str, Tensor], z: Tensor, resolution_log2: int, lod_in: float) -> Tensor:
    def block(x: Tensor, res: int) -> Tensor:
        name = f"{2**res}x{2**res}"
        if res == 2:
            x = _pixel_norm(x)
            x = _dense(x, p[f"{name}/Dense/weight"], gain=math.sqrt(2) / 4).reshape(len(x), -1, 4, 4)
            x = _pixel_norm(_act(_bias(x, p[f"{name}/Dense/bias"])))
            return _pixel_norm(_act(_bias(_conv(x, p[f"{name}/Conv/weight"]), p[f"{name}/Conv/bias"])))
        x = _pixel_norm(_act(_bias(_upscale_conv(x, p[f"{name}/Conv0_up/weight"]), p[f"{name}/Conv0_up/bias"])))
        return _pixel_norm(_act(_bias(_conv(x, p[f"{name}/Conv1/weight"]), p[f"{name}/Conv1/bias"])))

    def torgb(x: Tensor, res: int) -> Tensor:
        name = f"ToRGB_lod{resolution_log2 - res}"
        return _bias(_conv(x, p[f"{name}/weight"], gain=1.0), p[f"{name}/bias"])

    x = block(z, 2)
    images = torgb(x, 2)
    for res in range(3, resolution_log2 + 1):
        lod = resolution_log2 - res
        x = block(x, res)
        images = _lerp_clip(torgb(x, res), _upscale(images), lod_in - lod)
    return images


def reference_critic(p: dict[str, Tensor], images: Tensor, resolution_log2: int, lod_in: float) -> Tensor:
    def fromrgb(x: Tensor, res: int) -> Tensor:
        name = f"FromRGB_lod{resolution_log2 - res}"
        return _act(_bias(_conv(x, p[f"{name}/weight"]), p[f"{name}/bias"]))

    def block(x: Tensor, res: int) -> Tensor:
        name = f"{2**res}x{2**res}"
        if res >= 3:
            x = _act(_bias(_conv(x, p[f"{name}/Conv0/weight"]), p[f"{name}/Conv0/bias"]))
            return _act(_bias(_conv_downscale(x, p[f"{name}/Conv1_down/weight"]), p[f"{name}/Conv1_down/bias"]))
        x = _stddev(x)
        x = _act(_bias(_conv(x, p[f"{name}/Conv/weight"]), p[f"{name}/Conv/bias"]))
        x = _act(_bias(_dense(x, p[f"{name}/Dense0/weight"]), p[f"{name}/Dense0/bias"]))
        return _bias(_dense(x, p[f"{name}/Dense1/weight"], gain=1.0), p[f"{name}/Dense1/bias"])

    img = images
    x = fromrgb(img, resolution_log2)
    for res in range(resolution_log2, 2, -1):
        lod = resolution_log2 - res
        x = block(x, res)
        img = _downscale(img)
        x = _lerp_clip(x, fromrgb(img, res - 1), lod_in - lod)
    return block(x, 2)[:, 0]


def reference_lod(cur_nimg: int, resolution_log2: int, training_kimg: float, transition_kimg: float, initial: int = 4) -> float:
    """``TrainingSchedule.__init__``'s level of detail."""
    kimg = cur_nimg / 1000.0
    phase_dur = training_kimg + transition_kimg
    phase_idx = int(np.floor(kimg / phase_dur)) if phase_dur > 0 else 0
    phase_kimg = kimg - phase_idx * phase_dur
    lod = resolution_log2 - np.floor(np.log2(initial)) - phase_idx
    if transition_kimg > 0:
        lod -= max(phase_kimg - training_kimg, 0.0) / transition_kimg
    return float(max(lod, 0.0))


def reference_process_reals(x: Tensor, lod: float) -> Tensor:
    """``process_reals``' FadeLOD and UpscaleLOD (reals given at the resolution of ``floor(lod)``)."""
    s = x.shape
    y = x.reshape(-1, s[1], s[2] // 2, 2, s[3] // 2, 2).mean(dim=(3, 5), keepdim=True)
    y = y.repeat(1, 1, 1, 2, 1, 2).reshape(-1, s[1], s[2], s[3])
    x = x + (y - x) * (lod - math.floor(lod))
    return _upscale(x, 2 ** math.floor(lod))


# --- ganlib's weights in the reference's table -------------------------------------------------


def _conv_layout(w: Tensor) -> Tensor:  # torch [out, in, k, k] -> TF conv2d [k, k, in, out]
    return w.permute(2, 3, 1, 0)


def generator_table(g: ProgressiveGenerator, log2: int) -> dict[str, Tensor]:
    table = {
        "4x4/Dense/weight": g.dense.weight.t(), "4x4/Dense/bias": g.dense_bias,
        "4x4/Conv/weight": _conv_layout(g.conv4.weight), "4x4/Conv/bias": g.conv4.bias,
    }
    for i, block in enumerate(g.blocks):
        name = f"{2 ** (i + 3)}x{2 ** (i + 3)}"
        # upscale2d_conv2d's [k, k, out, in], spatially flipped: its transposed convolution of the
        # padded-and-summed kernel is nearest upsampling and a convolution with the flipped kernel
        table[f"{name}/Conv0_up/weight"] = block.conv1.weight.flip(2, 3).permute(2, 3, 0, 1)
        table[f"{name}/Conv0_up/bias"] = block.conv1.bias
        table[f"{name}/Conv1/weight"], table[f"{name}/Conv1/bias"] = _conv_layout(block.conv2.weight), block.conv2.bias
    for j, rgb in enumerate(g.to_rgb):
        table[f"ToRGB_lod{log2 - j - 2}/weight"], table[f"ToRGB_lod{log2 - j - 2}/bias"] = _conv_layout(rgb.weight), rgb.bias
    assert len(table) == len(list(g.parameters()))  # every parameter of ganlib's has its place
    return table


def critic_table(d: ProgressiveCritic, log2: int) -> dict[str, Tensor]:
    table = {
        "4x4/Conv/weight": _conv_layout(d.conv4.weight), "4x4/Conv/bias": d.conv4.bias,
        "4x4/Dense0/weight": d.dense.weight.t(), "4x4/Dense0/bias": d.dense.bias,
        "4x4/Dense1/weight": d.score.weight.t(), "4x4/Dense1/bias": d.score.bias,
    }
    for j, rgb in enumerate(d.from_rgb):
        table[f"FromRGB_lod{log2 - j - 2}/weight"], table[f"FromRGB_lod{log2 - j - 2}/bias"] = _conv_layout(rgb.weight), rgb.bias
    current = int(math.log2(d.resolution))
    for k, block in enumerate(d.blocks):  # the newest, highest resolution first
        name = f"{2 ** (current - k)}x{2 ** (current - k)}"
        table[f"{name}/Conv0/weight"], table[f"{name}/Conv0/bias"] = _conv_layout(block.conv1.weight), block.conv1.bias
        table[f"{name}/Conv1_down/weight"], table[f"{name}/Conv1_down/bias"] = _conv_layout(block.conv2.weight), block.conv2.bias
    assert len(table) == len(list(d.parameters()))
    return table


def _unused_generator_layers(log2: int, grown: int, width: int, channels: int) -> dict[str, Tensor]:
    """Random weights for the blocks ganlib has not grown yet (the reference holds them all; lod_in hides them)."""
    extra: dict[str, Tensor] = {}
    for res in range(grown + 1, log2 + 1):
        cin, cout = _nf(res - 2, width), _nf(res - 1, width)
        name = f"{2**res}x{2**res}"
        extra[f"{name}/Conv0_up/weight"], extra[f"{name}/Conv0_up/bias"] = torch.randn(3, 3, cout, cin, dtype=torch.float64), torch.randn(cout, dtype=torch.float64)
        extra[f"{name}/Conv1/weight"], extra[f"{name}/Conv1/bias"] = torch.randn(3, 3, cout, cout, dtype=torch.float64), torch.randn(cout, dtype=torch.float64)
        extra[f"ToRGB_lod{log2 - res}/weight"] = torch.randn(1, 1, cout, channels, dtype=torch.float64)
        extra[f"ToRGB_lod{log2 - res}/bias"] = torch.randn(channels, dtype=torch.float64)
    return extra


def _grown(model: torch.nn.Module, times: int, alpha: float) -> None:
    for _ in range(times):
        model.grow()
        for p in model.parameters():  # give the fresh layers nonzero biases, so that they are seen
            if p.ndim == 1:
                torch.nn.init.normal_(p.data)
    model.alpha.fill_(alpha)


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("grown", "alpha"), [(2, 0.3), (2, 1.0), (1, 0.6), (0, 1.0)])
def test_the_generator_equals_g_paper_at_every_level_of_detail(grown: int, alpha: float):
    torch.manual_seed(grown)
    log2, width = 4, 16
    g = ProgressiveGenerator(latent_dim=16, image_size=16, channels=3, width=width).double()
    _grown(g, grown, alpha)
    lod_in = (log2 - 2 - grown) + (1.0 - alpha)
    table = {k: v.detach().clone().requires_grad_(True) for k, v in generator_table(g, log2).items()}
    table.update(_unused_generator_layers(log2, grown + 2, width, 3))
    z = torch.randn(4, 16, dtype=torch.float64)
    ours, theirs = g(z), reference_generator(table, z, log2, lod_in)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-9)
    weights = torch.randn_like(ours)
    (ours * weights).sum().backward()
    (theirs * weights).sum().backward()
    named = dict(g.named_parameters())
    for key in generator_table(g, log2):  # every parameter ganlib has, by its reference name
        param = named[_generator_name(key, log2)]
        grad = param.grad if param.grad is not None else torch.zeros_like(param)  # a path the fade has closed
        assert table[key].grad is not None, key
        torch.testing.assert_close(_to_tf(key, grad), table[key].grad, atol=1e-9, rtol=1e-8, msg=key)


def _generator_name(key: str, log2: int) -> str:
    scope, _, leaf = key.rpartition("/")
    if scope == "4x4/Dense":
        return "dense.weight" if leaf == "weight" else "dense_bias"
    if scope == "4x4/Conv":
        return f"conv4.{leaf}"
    if scope.startswith("ToRGB_lod"):
        return f"to_rgb.{log2 - int(scope[9:]) - 2}.{leaf}"
    res, layer = scope.split("/")
    index = int(math.log2(int(res.split("x")[0]))) - 3
    return f"blocks.{index}.{'conv1' if layer == 'Conv0_up' else 'conv2'}.{leaf}"


def _to_tf(key: str, grad: Tensor) -> Tensor:
    if grad.ndim == 1:
        return grad
    if grad.ndim == 2:
        return grad.t()
    return grad.flip(2, 3).permute(2, 3, 0, 1) if "Conv0_up" in key else _conv_layout(grad)


@pytest.mark.parametrize(("grown", "alpha"), [(2, 0.3), (2, 1.0), (1, 0.6), (0, 1.0)])
def test_the_critic_equals_d_paper_at_every_level_of_detail(grown: int, alpha: float):
    torch.manual_seed(10 + grown)
    log2, width = 4, 16
    d = ProgressiveCritic(image_size=16, channels=3, width=width).double()
    _grown(d, grown, alpha)
    lod_in = (log2 - 2 - grown) + (1.0 - alpha)
    table = {k: v.detach().clone().requires_grad_(True) for k, v in critic_table(d, log2).items()}
    for res in range(grown + 3, log2 + 1):  # the levels ganlib has not grown: lod_in hides them
        cin, cout = _nf(res - 1, width), _nf(res - 2, width)
        name = f"{2**res}x{2**res}"
        table[f"FromRGB_lod{log2 - res}/weight"] = torch.randn(1, 1, 3, cin, dtype=torch.float64)
        table[f"FromRGB_lod{log2 - res}/bias"] = torch.randn(cin, dtype=torch.float64)
        table[f"{name}/Conv0/weight"], table[f"{name}/Conv0/bias"] = torch.randn(3, 3, cin, cin, dtype=torch.float64), torch.randn(cin, dtype=torch.float64)
        table[f"{name}/Conv1_down/weight"] = torch.randn(3, 3, cin, cout, dtype=torch.float64)
        table[f"{name}/Conv1_down/bias"] = torch.randn(cout, dtype=torch.float64)
    images = torch.randn(8, 3, 16, 16, dtype=torch.float64, requires_grad=True)
    ours = d(images)
    theirs = reference_critic(table, images, log2, lod_in)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-9)
    (g_ours,) = torch.autograd.grad(ours.sum(), images, retain_graph=True)
    (g_theirs,) = torch.autograd.grad(theirs.sum(), images, retain_graph=True)
    torch.testing.assert_close(g_ours, g_theirs, atol=1e-10, rtol=1e-9)  # what the gradient penalty reads
    ours.sum().backward()
    theirs.sum().backward()
    named = dict(d.named_parameters())
    for key in critic_table(d, log2):
        assert table[key].grad is not None, key
        torch.testing.assert_close(_critic_grad(key, named, d, log2), table[key].grad, atol=1e-9, rtol=1e-8, msg=key)


def _critic_grad(key: str, named: dict[str, torch.nn.Parameter], d: ProgressiveCritic, log2: int) -> Tensor:
    scope, _, leaf = key.rpartition("/")
    current = int(math.log2(d.resolution))
    if scope.startswith("FromRGB_lod"):
        name = f"from_rgb.{log2 - int(scope[11:]) - 2}.{leaf}"
    elif scope.startswith("4x4/"):
        name = {"4x4/Conv": "conv4", "4x4/Dense0": "dense", "4x4/Dense1": "score"}[scope] + f".{leaf}"
    else:
        res, layer = scope.split("/")
        name = f"blocks.{current - int(math.log2(int(res.split('x')[0])))}.{'conv1' if layer == 'Conv0' else 'conv2'}.{leaf}"
    grad = named[name].grad if named[name].grad is not None else torch.zeros_like(named[name])  # a closed path
    return grad if grad.ndim == 1 else grad.t() if grad.ndim == 2 else _conv_layout(grad)


def test_the_plan_is_the_reference_training_schedule():
    # 32x32 (log2 5), 1.2k stable and 0.8k fade images: every image count of 8 phases and beyond
    plan = GrowthPlan(final=32, stable_images=1200, fade_images=800)
    for images in range(0, 13_000, 37):
        lod = reference_lod(images, 5, 1.2, 0.8)
        assert plan.lod(images) == pytest.approx(lod, abs=1e-12), images
        assert plan.resolution(images) == 2 ** (5 - math.floor(lod))  # TrainingSchedule.resolution
    assert GrowthPlan(final=32, stable_images=0, fade_images=0).lod(5) == 3.0  # the reference's phase_dur 0: no growth


@pytest.mark.parametrize("lod", [2.0, 1.75, 1.5, 1.0, 0.4, 0.0])
def test_the_real_images_are_faded_and_enlarged_as_process_reals_does(lod: float):
    torch.manual_seed(3)
    final = 16
    resolution = final // 2 ** math.floor(lod)
    real = torch.randn(4, 3, resolution, resolution, dtype=torch.float64)
    growth = Growth()
    growth.plan = GrowthPlan(final=final)
    growth._alpha = torch.tensor(1.0 - (lod - math.floor(lod)), dtype=torch.float64)
    torch.testing.assert_close(growth.on_real_batch(None, real), reference_process_reals(real, lod), atol=1e-12, rtol=1e-12)  # type: ignore[arg-type]
