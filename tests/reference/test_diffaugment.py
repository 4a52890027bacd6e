"""DiffAugment equals the authors' PyTorch code, draw for draw.

Reference: mit-han-lab/data-efficient-gans at commit 0b6339510be1e3859d360cbf464d0a425514a6b4,
``DiffAugment_pytorch.py`` (the same file as ``DiffAugment-biggan-cifar/DiffAugment_pytorch.py``):

* ``color`` = brightness, saturation, contrast, each with one ``torch.rand(N, 1, 1, 1)``: add
  ``u - 0.5``; scale about the per-pixel mean over channels by ``2u``; scale about the mean over
  C, H, W by ``u + 0.5``;
* ``translation`` (ratio 1/8): shifts ``int(H * ratio + 0.5)`` and ``int(W * ratio + 0.5)``; one
  integer shift per sample for the rows (drawn first) and one for the columns, each uniform over
  ``[-s, s]`` inclusive (``randint(-s, s + 1)``); output pixel ``(i, j)`` reads input pixel
  ``(i + t_rows, j + t_cols)``, zero where that is outside (a one-pixel zero pad and a clamped gather);
* ``cutout`` (ratio 1/2): a ``int(H * ratio + 0.5)`` by ``int(W * ratio + 0.5)`` square per sample,
  its centre drawn over ``randint(0, H + (1 - size % 2))`` rows (first) and likewise columns, the
  square's rows ``centre - size // 2`` onward clipped to the image, zeroed by a mask.

The transforms run in the order the policy names them. The reference is rebuilt below in
functional PyTorch (translation and cutout written per sample with slices rather than the
reference's gathers), float64. With the same seed both make the same calls to ``torch.rand`` and
``torch.randint`` (recorded and compared: same bounds, same number of values, same order), so
outputs and input gradients must be equal; extreme draws (shifts of exactly ``-s`` and ``+s``,
squares at the corners) are also fed to both directly.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from ganlib.augment import DiffAugment

# --- the reference, in functional PyTorch -------------------------------------------------------


def _brightness(x: Tensor) -> Tensor:
    return x + (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype) - 0.5)


def _saturation(x: Tensor) -> Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype) * 2) + mean


def _contrast(x: Tensor) -> Tensor:
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype) + 0.5) + mean


def _translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    n, _, h, w = x.shape
    sr, sc = int(h * ratio + 0.5), int(w * ratio + 0.5)
    t_rows = torch.randint(-sr, sr + 1, size=[n, 1, 1]).view(n)
    t_cols = torch.randint(-sc, sc + 1, size=[n, 1, 1]).view(n)
    out = []
    for k in range(n):
        a, b = int(t_rows[k]), int(t_cols[k])
        shifted = torch.zeros_like(x[k])
        # output (i, j) <- input (i + a, j + b), where that lies inside the image
        rows_out = slice(max(0, -a), min(h, h - a))
        cols_out = slice(max(0, -b), min(w, w - b))
        rows_in = slice(max(0, a), min(h, h + a))
        cols_in = slice(max(0, b), min(w, w + b))
        shifted[:, rows_out, cols_out] = x[k][:, rows_in, cols_in]
        out.append(shifted)
    return torch.stack(out)


def _cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    centre_rows = torch.randint(0, h + (1 - ch % 2), size=[n, 1, 1]).view(n)
    centre_cols = torch.randint(0, w + (1 - cw % 2), size=[n, 1, 1]).view(n)
    mask = torch.ones(n, h, w, dtype=x.dtype)
    for k in range(n):
        top, left = int(centre_rows[k]) - ch // 2, int(centre_cols[k]) - cw // 2
        mask[k, max(0, top) : min(h, top + ch), max(0, left) : min(w, left + cw)] = 0
    return x * mask.unsqueeze(1)


_REFERENCE = {"color": (_brightness, _saturation, _contrast), "translation": (_translation,), "cutout": (_cutout,)}


def _reference(x: Tensor, policy: str) -> Tensor:
    for name in policy.split(","):
        for op in _REFERENCE[name]:
            x = op(x)
    return x


# --- recording the draws ----------------------------------------------------------------------


def _recording(monkeypatch, given: dict[str, list[Tensor]] | None = None) -> list[tuple]:
    """Record every torch.rand / torch.randint call as (function, bounds, number of values);
    with ``given``, return those values (in call order) instead of drawing."""
    calls: list[tuple] = []
    rand, randint = torch.rand, torch.randint

    def numel(size) -> int:
        return int(torch.Size(size).numel())

    def fake_rand(*size, **kwargs):
        size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
        calls.append(("rand", numel(size)))
        if given and given.get("rand"):
            return given["rand"].pop(0).to(kwargs.get("dtype") or torch.float32).reshape(size)
        return rand(*size, **kwargs)

    def fake_randint(low, high, size, **kwargs):
        calls.append(("randint", low, high, numel(size)))
        if given and given.get("randint"):
            return given["randint"].pop(0).reshape(tuple(size))
        return randint(low, high, size, **kwargs)

    monkeypatch.setattr(torch, "rand", fake_rand)
    monkeypatch.setattr(torch, "randint", fake_randint)
    return calls


_POLICIES = ["color", "translation", "cutout", "color,translation,cutout", "translation,cutout", "cutout,color"]
_SHAPES = [(8, 3, 32, 32), (6, 3, 24, 40), (5, 1, 18, 26), (4, 3, 9, 7)]


@pytest.mark.parametrize("shape", _SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("policy", _POLICIES)
def test_outputs_gradients_and_draws_equal_the_reference(policy, shape, monkeypatch):
    gen = torch.Generator().manual_seed(sum(shape))
    x = (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    weights = torch.randn(shape, generator=gen, dtype=torch.float64)

    ours_calls = _recording(monkeypatch)
    torch.manual_seed(123)
    ours = DiffAugment(policy)(x)
    monkeypatch.undo()
    reference_calls = _recording(monkeypatch)
    torch.manual_seed(123)
    reference = _reference(x_ref, policy)
    monkeypatch.undo()

    assert ours_calls == reference_calls
    torch.testing.assert_close(ours, reference, atol=1e-15, rtol=0)
    (ours * weights).sum().backward()
    (reference * weights).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-15, rtol=0)


def test_every_shift_and_cutout_place_is_drawn_over_the_references_range(monkeypatch):
    """Over many samples the drawn shifts cover [-s, s] inclusive, as ``randint(-s, s + 1)`` does."""
    x = torch.ones(400, 1, 24, 40, dtype=torch.float64)
    calls = _recording(monkeypatch)
    DiffAugment("translation,cutout")(x)
    assert calls == [("randint", -3, 4, 400), ("randint", -5, 6, 400), ("randint", 0, 25, 400), ("randint", 0, 41, 400)]


def test_extreme_draws_equal_the_reference(monkeypatch):
    n, h, w = 4, 16, 12  # shifts of up to 2 rows and 2 columns, a cutout of 8 x 6
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(n, 3, h, w, generator=gen, dtype=torch.float64)
    draws = {
        "randint": [
            torch.tensor([-2, 2, 0, -2]), torch.tensor([2, -2, 0, -2]),  # translation: rows, columns
            torch.tensor([0, 16, 8, 16]), torch.tensor([0, 12, 0, 6]),  # cutout centres: rows, columns (upper bounds included)
        ],
    }
    ours = (_recording(monkeypatch, {k: list(v) for k, v in draws.items()}), DiffAugment("translation,cutout")(x))[1]
    monkeypatch.undo()
    reference = (_recording(monkeypatch, {k: list(v) for k, v in draws.items()}), _reference(x, "translation,cutout"))[1]
    assert torch.equal(ours, reference)
    # Sample 2: no shift; the square centred on row 8 (rows 4-11) and on column 0 (columns -3 to 2, clipped to 0-2).
    cut = (torch.arange(h).view(-1, 1) >= 4) & (torch.arange(h).view(-1, 1) < 12) & (torch.arange(w).view(1, -1) < 3)
    assert torch.equal(ours[2], x[2] * (~cut).double())
    # Sample 0: shifted by -2 rows and +2 columns: output (i, j) reads input (i - 2, j + 2).
    assert torch.equal(ours[0, :, 2:, :10][:, 4:, 3:], x[0, :, :-2, 2:][:, 4:, 3:])


def test_color_with_given_draws_equals_the_reference(monkeypatch):
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(3, 3, 5, 5, generator=gen, dtype=torch.float64)
    u = [torch.tensor([0.0, 0.5, 0.999]), torch.tensor([0.0, 0.25, 0.9]), torch.tensor([0.0, 0.5, 0.999])]
    ours = (_recording(monkeypatch, {"rand": [t.clone() for t in u]}), DiffAugment("color")(x))[1]
    monkeypatch.undo()
    reference = (_recording(monkeypatch, {"rand": [t.clone() for t in u]}), _reference(x, "color"))[1]
    torch.testing.assert_close(ours, reference, atol=1e-15, rtol=0)
    # Sample 0: saturation 0 leaves each pixel's channel mean, contrast 1/2 halves its spread.
    bright = x[0] - 0.5
    grey = bright.mean(0, keepdim=True).expand_as(bright)
    torch.testing.assert_close(ours[0], (grey - grey.mean()) * 0.5 + grey.mean(), atol=1e-15, rtol=0)


def test_defaults_are_the_references():
    augment = DiffAugment()
    assert augment.policy == ("color", "translation", "cutout")
    assert (augment.translation, augment.cutout) == (0.125, 0.5)
