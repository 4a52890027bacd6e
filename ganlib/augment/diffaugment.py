"""DiffAugment (Zhao et al., 2020): cheap differentiable augmentations of every batch the critic sees.

Three transforms, each with its own random draw for every sample, each differentiable with
respect to its input (so the generator's gradient flows back through them), each made of
device operations with fixed shapes (no host synchronization; a CUDA graph can record them):

* ``color``: brightness :math:`x + (u - 1/2)`, saturation :math:`\\bar{x}_c + 2u(x - \\bar{x}_c)`
  around the per-pixel channel mean, and contrast :math:`\\bar{x} + (u + 1/2)(x - \\bar{x})`
  around the image mean, :math:`u \\sim U[0, 1)` per sample for each;
* ``translation``: an integer shift of up to ``translation`` of the side in each direction,
  the uncovered border filled with zeros;
* ``cutout``: a square of ``cutout`` of the side, zeroed at a random place.

The reference implementation's amounts are the defaults (translation 1/8, cutout 1/2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlib.augment.base import Augment, register_augment
from ganlib.contract import Probability

__all__ = ["DiffAugment", "color", "cutout", "translate"]

_POLICY = ("color", "translation", "cutout")


def color(x: Tensor) -> Tensor:
    """Random brightness, saturation and contrast, per sample.

    Args:
        x: Images ``(N, C, H, W)``.

    Returns:
        The transformed images, same shape.
    """
    n = x.shape[0]
    shape = (n, 1, 1, 1)
    x = x + (torch.rand(shape, device=x.device, dtype=x.dtype) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(shape, device=x.device, dtype=x.dtype) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(shape, device=x.device, dtype=x.dtype) + 0.5) + mean


def _shifted_index(size: int, shift: Tensor) -> Tensor:
    # Positions in a copy padded by one on each side: out-of-range positions land on the padding (zero).
    grid = torch.arange(size, device=shift.device)
    return (grid.view(1, -1) + shift.view(-1, 1) + 1).clamp(0, size + 1)


def translate(x: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image by a random integer amount, up to ``ratio`` of its side, filling with zeros.

    Args:
        x: Images ``(N, C, H, W)``.
        ratio: The largest shift, as a fraction of the side.

    Returns:
        The shifted images, same shape.

    Example:
        >>> import torch
        >>> x = torch.ones(64, 1, 8, 8)
        >>> bool((translate(x, 0.25).flatten(1).sum(1) < 64).any())  # some were shifted, leaving zeros
        True
    """
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    rows = _shifted_index(h, torch.randint(-sh, sh + 1, (n,), device=x.device))
    cols = _shifted_index(w, torch.randint(-sw, sw + 1, (n,), device=x.device))
    padded = F.pad(x, [1, 1, 1, 1])
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    # (N, C, H+2, W+2) -> pick rows, then columns, per sample
    picked = padded.permute(0, 2, 3, 1)[batch, rows.view(n, h, 1), cols.view(n, 1, w)]
    return picked.permute(0, 3, 1, 2)


def cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    """Zero a square of ``ratio`` of the side at a random place in each image.

    Args:
        x: Images ``(N, C, H, W)``.
        ratio: The square's side, as a fraction of the image's.

    Returns:
        The images with a square cut out, same shape.

    Example:
        >>> import torch
        >>> zeros = (cutout(torch.ones(100, 1, 8, 8), 0.5) == 0).flatten(1).sum(1)
        >>> int(zeros.max()), bool((zeros > 0).all())  # a 4x4 square, clipped at the border
        (16, True)
    """
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
    left = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
    rows = (torch.arange(ch, device=x.device).view(1, ch, 1) + top - ch // 2).clamp(0, h - 1)
    cols = (torch.arange(cw, device=x.device).view(1, 1, cw) + left - cw // 2).clamp(0, w - 1)
    mask = torch.ones(n, h, w, device=x.device, dtype=x.dtype)
    mask[torch.arange(n, device=x.device).view(n, 1, 1), rows, cols] = 0
    return x * mask.unsqueeze(1)


@register_augment("diffaugment")
class DiffAugment(Augment):
    """DiffAugment (Zhao et al., 2020): ``color``, ``translation`` and ``cutout``, applied in that order.

    Args:
        policy: Comma-separated transforms, e.g. ``"color,translation,cutout"`` (the paper's
            choice with little data) or ``"translation"``.
        translation: The largest shift, as a fraction of the side (1/8).
        cutout: The cut square's side, as a fraction of the image's (1/2).

    Raises:
        ValueError: If the policy names an unknown transform.

    Example:
        >>> import torch
        >>> augment = DiffAugment("color,translation,cutout")
        >>> fake = torch.zeros(4, 3, 16, 16, requires_grad=True)
        >>> augment(fake).sum().backward()
        >>> fake.grad.shape  # differentiable with respect to the fakes
        torch.Size([4, 3, 16, 16])
    """

    def __init__(self, policy: str = "color,translation,cutout", translation: Probability = 0.125, cutout: Probability = 0.5) -> None:
        super().__init__()
        names = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = [name for name in names if name not in _POLICY]
        if unknown or not names:
            raise ValueError(f"policy={policy!r} is invalid; expected a comma-separated subset of {', '.join(_POLICY)}")
        for name, value in (("translation", translation), ("cutout", cutout)):
            if not (isinstance(value, (int, float)) and 0 < value <= 1):
                raise ValueError(f"{name}={value!r} is invalid; expected a fraction of the side in (0, 1]")
        self.policy = tuple(names)
        self.translation = float(translation)
        self.cutout = float(cutout)

    def forward(self, x: Tensor) -> Tensor:
        """Augment a batch ``(N, C, H, W)``, each sample with its own draw."""
        for name in self.policy:
            if name == "color":
                x = color(x)
            elif name == "translation":
                x = translate(x, self.translation)
            else:
                x = cutout(x, self.cutout)
        return x
