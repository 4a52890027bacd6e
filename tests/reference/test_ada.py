"""ADA's ops and its heuristic equal the authors' code.

NVlabs/stylegan2-ada-pytorch at commit d72cc7d041b42ec8e806021a205ed9349f87c6a4:
``training/augment.py`` (``AugmentPipe.forward``: the pixel-blitting ops build an inverse
geometric matrix ``G_inv``, the colour ops a matrix ``C``; each op draws its value, then a gate
``rand < multiplier * p``), ``training/training_loop.py`` (the adjustment every ``ada_interval``
minibatches, ``sign(r_t - target) * batch * interval / (kimg * 1000)``, clamped below at 0) and
``training/loss.py`` (``Loss/signs/real``).

The reference pipeline is rebuilt below for the ops ganlib has: the same draws in the same
order, the same matrices multiplied in the same order, applied to pixel centres. Its one
resampling step (a filtered upsampling, ``grid_sample`` and a filtered downsampling) is replaced
by reading the source pixel the matrix names, with the reference's reflect padding: ganlib
deliberately moves whole pixels exactly (see :mod:`ganlib.augment.ada`), and this is the
transform the reference's resampling approximates.
"""

from __future__ import annotations

import math

import pytest
import torch

from ganlib.augment import AdaptiveAugment
from ganlib.losses.objectives import SIGN_REAL


def _matrix(rows: list[list[torch.Tensor | float]], n: int) -> torch.Tensor:
    return torch.stack([torch.stack([torch.as_tensor(v, dtype=torch.float64).expand(n) for v in row], -1) for row in rows], -2)


def _scale2d_inv(sx: torch.Tensor, sy: torch.Tensor | float, n: int) -> torch.Tensor:
    return _matrix([[1 / sx, 0, 0], [0, 1 / torch.as_tensor(sy), 0], [0, 0, 1]], n)


def _rotate2d_inv(theta: torch.Tensor, n: int) -> torch.Tensor:
    theta = -theta  # rotate2d_inv(a) is rotate2d(-a)
    return _matrix([[torch.cos(theta), -torch.sin(theta), 0], [torch.sin(theta), torch.cos(theta), 0], [0, 0, 1]], n)


def _translate2d_inv(tx: torch.Tensor, ty: torch.Tensor, n: int) -> torch.Tensor:
    return _matrix([[1, 0, -tx], [0, 1, -ty], [0, 0, 1]], n)


def _reference_pipe(images: torch.Tensor, p: float, ops: tuple[str, ...]) -> torch.Tensor:
    n, channels, h, w = images.shape
    device = images.device
    g_inv = torch.eye(3, dtype=torch.float64).expand(n, 3, 3)
    if "xflip" in ops:
        i = torch.floor(torch.rand([n], device=device) * 2)
        i = torch.where(torch.rand([n], device=device) < 1 * p, i, torch.zeros_like(i))
        g_inv = g_inv @ _scale2d_inv(1 - 2 * i.double(), 1.0, n)
    if "rotate90" in ops:
        i = torch.floor(torch.rand([n], device=device) * 4)
        i = torch.where(torch.rand([n], device=device) < 1 * p, i, torch.zeros_like(i))
        g_inv = g_inv @ _rotate2d_inv(-math.pi / 2 * i.double(), n)
    if "translation" in ops:
        t = (torch.rand([n, 2], device=device) * 2 - 1) * 0.125
        t = torch.where(torch.rand([n, 1], device=device) < 1 * p, t, torch.zeros_like(t))
        g_inv = g_inv @ _translate2d_inv(torch.round(t[:, 0] * w).double(), torch.round(t[:, 1] * h).double(), n)
    # geometric step: each output pixel centre, relative to the image centre, reads G_inv of it
    cx, cy = (w - 1) / 2, (h - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64) - cy, torch.arange(w, dtype=torch.float64) - cx, indexing="ij")
    points = torch.stack([xs.flatten(), ys.flatten(), torch.ones(h * w, dtype=torch.float64)])
    source = g_inv @ points  # (n, 3, h*w)
    sx, sy = torch.round(source[:, 0] + cx).long(), torch.round(source[:, 1] + cy).long()
    sx = torch.where(sx < 0, -sx, torch.where(sx > w - 1, 2 * (w - 1) - sx, sx))  # reflect padding
    sy = torch.where(sy < 0, -sy, torch.where(sy > h - 1, 2 * (h - 1) - sy, sy))
    flat = images.flatten(2)
    out = flat.gather(2, (sy * w + sx).unsqueeze(1).expand(n, channels, h * w)).view(n, channels, h, w)
    # colour: C = scale3d(c) @ translate3d(b) @ I
    c_mat = torch.eye(4, dtype=torch.float64).expand(n, 4, 4)
    if "brightness" in ops:
        b = torch.randn([n], device=device) * 0.2
        b = torch.where(torch.rand([n], device=device) < 1 * p, b, torch.zeros_like(b)).double()
        c_mat = _matrix([[1, 0, 0, b], [0, 1, 0, b], [0, 0, 1, b], [0, 0, 0, 1]], n) @ c_mat
    if "contrast" in ops:
        c = torch.exp2(torch.randn([n], device=device) * 0.5)
        c = torch.where(torch.rand([n], device=device) < 1 * p, c, torch.ones_like(c)).double()
        c_mat = _matrix([[c, 0, 0, 0], [0, c, 0, 0], [0, 0, c, 0], [0, 0, 0, 1]], n) @ c_mat
    pixels = out.flatten(2)
    if channels == 3:
        pixels = c_mat[:, :3, :3] @ pixels + c_mat[:, :3, 3:]
    else:  # grey: the mean of the colour rows
        c_mat = c_mat[:, :3, :].mean(dim=1, keepdim=True)
        pixels = pixels * c_mat[:, :, :3].sum(dim=2, keepdim=True) + c_mat[:, :, 3:]
    return pixels.view(n, channels, h, w)


_ALL = ("xflip", "rotate90", "translation", "brightness", "contrast")


@pytest.mark.parametrize("ops", [_ALL, ("xflip",), ("rotate90",), ("translation",), ("brightness", "contrast"), ("xflip", "translation", "contrast")])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("p", [0.3, 1.0])
def test_the_ops_equal_the_reference_pipe_with_the_same_draws(ops, channels, p):
    images = torch.rand(64, channels, 16, 16, dtype=torch.float64) * 2 - 1
    ada = AdaptiveAugment(p=p, adaptive=False, transforms=",".join(ops))
    torch.manual_seed(7)
    ours = ada(images)
    torch.manual_seed(7)
    theirs = _reference_pipe(images, p, ops)
    torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=1e-12)
    if p == 1.0 and ops == ("xflip",):  # the flip's coin inside the gate: about half the batch
        flipped = (ours != images).flatten(1).any(1).double().mean()
        assert 0.25 < flipped < 0.75


def test_the_flip_rate_is_half_of_p_and_translations_of_four_pixels_have_half_weight():
    torch.manual_seed(0)
    n = 20_000
    x = torch.arange(32.0).view(1, 1, 1, 32).expand(n, 1, 1, 32).contiguous()  # a ramp: a flip or a shift is visible
    flipped = AdaptiveAugment(p=0.5, adaptive=False, transforms="xflip")(x)
    rate = (flipped[:, 0, 0, 0] == 31).double().mean()
    assert abs(rate - 0.25) < 0.015  # p / 2, not p
    moved = AdaptiveAugment(p=1.0, adaptive=False, transforms="translation")(torch.arange(32.0).view(1, 1, 32, 1).expand(n, 1, 32, 32).contiguous())
    shift = 16 - moved[:, 0, 16, 0]  # out[16] = in[16 - dy]
    counts = torch.stack([(shift == k).double().mean() for k in range(-4, 5)])
    assert counts[0] / counts[4] == pytest.approx(0.5, abs=0.1) and counts[8] / counts[4] == pytest.approx(0.5, abs=0.1)


def test_contrast_scales_about_zero_not_the_images_mean():
    torch.manual_seed(1)
    x = torch.full((8, 1, 4, 4), 0.5)
    out = AdaptiveAugment(p=1.0, adaptive=False, transforms="contrast")(x)
    assert not torch.allclose(out, x)  # a constant image's mean is the image: about the mean it would not change


def _reference_heuristic(signs: list[float], *, batch: int, interval: int, kimg: float, target: float, upper: float = math.inf) -> list[float]:
    """training_loop.py's adjustment; ``upper`` adds ganlib's clamp at 1 (the reference has none)."""
    p, trace, pending = 0.0, [], []
    for batch_idx, sign in enumerate(signs, start=1):
        pending.append(sign)
        if batch_idx % interval == 0:
            mean = sum(pending) / len(pending)
            pending = []
            sign_of = (mean > target) - (mean < target)  # np.sign
            p = min(max(p + sign_of * (batch * interval) / (kimg * 1000), 0.0), upper)
        trace.append(p)
    return trace


def test_the_heuristic_follows_the_reference_and_differs_only_where_ganlib_clamps_at_one():
    torch.manual_seed(2)
    signs = [float(s) for s in torch.rand(400) * 0.6 + 0.35]  # mostly above the target: p climbs past 1
    reference = _reference_heuristic(signs, batch=64, interval=4, kimg=2.0, target=0.6)
    ada = AdaptiveAugment(interval=4, kimg=2.0, target=0.6)
    ours = []
    for sign in signs:
        ada.after_iteration((SIGN_REAL,), torch.tensor([sign]), images=64)
        ours.append(float(ada.p))
    first = next(i for i, r in enumerate(reference) if r > 1.0)  # the case the clamp is for
    assert ours[:first] == pytest.approx(reference[:first], abs=1e-6) and ours[first] == 1.0
    assert ours == pytest.approx(_reference_heuristic(signs, batch=64, interval=4, kimg=2.0, target=0.6, upper=1.0), abs=1e-6)


class _TwoProcesses:
    """A stand-in for two identical torchrun processes: the metrics they average are this one's."""

    world_size = 2
    rank = 0

    def average(self, metrics):
        return metrics

    def no_sync(self, module):
        import contextlib

        return contextlib.nullcontext()


def test_under_torchrun_p_counts_every_processs_images_like_the_references_global_batch():
    from ganlib.train import Trainer

    from tests.train.helpers import tiny_trainer

    def p_after_one_iteration(distributed) -> float:
        base = tiny_trainer("hinge", n_critic=2)
        ada = AdaptiveAugment(interval=1, kimg=1.0, target=-1.0)  # any r_t is above -1: p rises by images / 1000
        trainer = Trainer(base.generator, base.critic, base.objective, base.generator_optimizer, base.critic_optimizer, base.data, n_critic=2, augment=ada)
        trainer.distributed = distributed
        trainer.train_iteration()
        return float(ada.p)

    alone, two = p_after_one_iteration(None), p_after_one_iteration(_TwoProcesses())
    assert alone == pytest.approx(2 * 8 / 1000) and two == pytest.approx(2 * alone)  # 2 critic steps of 8 images, times 2 processes
