"""Adaptive discriminator augmentation (ADA, Karras et al., 2020): the pixel-blitting and colour
ops of its pipeline, drawn as the authors' code draws them.

NVlabs/stylegan2-ada-pytorch, ``training/augment.py`` (``AugmentPipe``): each op draws its
parameter and then a gate, both per sample, and applies where the gate's uniform draw is below
:math:`p`:

* ``xflip``: a flip chosen with probability 1/2 *inside* the gate, so
  :math:`P(\\text{flip}) = p/2`;
* ``rotate90``: a multiple of 90 degrees, :math:`k = \\lfloor 4u \\rfloor`, counter-clockwise;
* ``translation``: a shift of :math:`\\operatorname{round}(t \\cdot \\text{side})` pixels per axis,
  :math:`t \\sim U[-0.125, 0.125]` (so the largest shifts have half the weight of the others),
  one gate for both axes, the image **reflected** at its borders;
* ``brightness``: :math:`b \\sim N(0, 0.2^2)`; ``contrast``: :math:`\\log_2 c \\sim N(0, 0.5^2)`,
  scaling **about 0**, mid-grey of images in [-1, 1]; together :math:`c\\,(x + b)`, the
  reference's colour matrix (for grey images too).

They run in that order (flip, rotation, translation, then colour), with the reference's
sequence of random draws, so the same seed gives the same augmentation
(``tests/reference/test_ada.py``). Deliberate differences: the reference performs every
geometric op in one resampling step (reflect padding, ×2 upsampling with a ``sym6`` wavelet
filter, bilinear ``grid_sample``, filtered ×2 downsampling), which makes its flips and
rotations slightly low-passed; ganlib moves whole pixels, exactly. It has only these five of
the reference pipeline's ops (ADA's default ``bgc`` adds scaling, arbitrary rotation,
anisotropy, fractional translation, luma flip, hue and saturation), and it clamps :math:`p`
to :math:`[0, 1]` where the reference clamps only at 0 (above 1 the gates cannot open wider, so
a :math:`p` past 1 only delays its way back down).

:math:`p` adapts to the critic's overfitting, measured by
:math:`r_t = \\mathbb{E}[\\operatorname{sign} D(x)]` on the real batches (reported by the objective as
``critic/sign_real``, averaged over every process under torchrun): every ``interval`` iterations
the mean :math:`r_t` over them is compared with ``target`` (0.6 in the paper), and :math:`p`
moves up when the critic is too sure of the reals and down otherwise, by as much as would take
it from 0 to 1 in ``kimg`` thousand real images (500 in the paper), counting the images every
process's critic saw (the reference's global batch):

.. math::

    p \\leftarrow \\operatorname{clip}_{[0, 1]}\\Big(p + \\operatorname{sign}(\\bar{r}_t - r^\\ast)\\,
        \\frac{\\text{images since the last adjustment}}{1000\\,\\text{kimg}}\\Big).

:math:`p` and the running sums live on the device and are updated with device operations
(no host synchronization; a captured graph reads :math:`p` from its tensor), and they are
saved in checkpoints with the module's state.

The heuristic assumes scores whose sign means "real" (the logistic, hinge and relativistic
losses); it is meaningless for a Wasserstein critic, whose scores are defined up to a shift.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.augment.base import Augment, register_augment
from ganlib.contract import PositiveFloat, PositiveInt, Probability
from ganlib.losses.objectives import SIGN_REAL

__all__ = ["SIGN_REAL", "AdaptiveAugment", "reflect_translate"]


_TRANSFORMS = ("xflip", "rotate90", "translation", "brightness", "contrast")
# AugmentPipe's defaults (training/augment.py): xint_max, brightness_std, contrast_std
_XINT_MAX = 0.125
_BRIGHTNESS_STD = 0.2
_CONTRAST_STD = 0.5


def _where(mask: Tensor, changed: Tensor, original: Tensor) -> Tensor:
    return torch.where(mask.view(-1, 1, 1, 1), changed, original)


def _reflect(index: Tensor, size: int) -> Tensor:
    """Positions reflected at the borders without repeating the edge (``F.pad(mode="reflect")``)."""
    index = index.abs()
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)


def reflect_translate(x: Tensor, shift_x: Tensor, shift_y: Tensor) -> Tensor:
    """Move each image by whole pixels, ``out[y, x] = in[y - dy, x - dx]``, reflected at the borders.

    Args:
        x: Images ``(N, C, H, W)``.
        shift_x: Shifts along the width, ``(N,)`` integers, at most ``W - 1`` in size.
        shift_y: Shifts along the height, ``(N,)``, at most ``H - 1``.

    Returns:
        The moved images.

    Example:
        >>> import torch
        >>> row = torch.arange(4.0).view(1, 1, 1, 4)
        >>> reflect_translate(row, torch.tensor([1]), torch.tensor([0])).flatten().tolist()
        [1.0, 0.0, 1.0, 2.0]
    """
    n, c, h, w = x.shape
    rows = _reflect(torch.arange(h, device=x.device).view(1, -1) - shift_y.view(-1, 1).long(), h)
    cols = _reflect(torch.arange(w, device=x.device).view(1, -1) - shift_x.view(-1, 1).long(), w)
    x = x.gather(2, rows.view(n, 1, h, 1).expand(n, c, h, w))
    return x.gather(3, cols.view(n, 1, 1, w).expand(n, c, h, w))


@register_augment("ada")
class AdaptiveAugment(Augment):
    """ADA's flips, 90-degree rotations, integer translation, brightness and contrast, at an adaptive probability.

    The ops and their draws are the reference pipeline's (see the module's notes for where
    ganlib deliberately differs: exact pixel moves, five ops, :math:`p` clamped at 1).

    Args:
        target: The :math:`r_t` to steer toward (0.6).
        interval: Iterations between adjustments of :math:`p` (ADA: every 4 minibatches).
        kimg: Thousands of real images for :math:`p` to go from 0 to 1 (500).
        p: The starting probability (0), or the fixed one with ``adaptive=False``.
        adaptive: Adjust :math:`p`; with ``False`` it stays at ``p`` (fixed augmentation).
        transforms: Comma-separated subset of ``xflip,rotate90,translation,brightness,contrast``.

    Raises:
        ValueError: If a value is out of range or a transform is unknown.

    Example:
        >>> import torch
        >>> ada = AdaptiveAugment(interval=1, kimg=1)
        >>> ada.after_iteration(("critic/sign_real",), torch.tensor([1.0]), images=100)  # the critic is sure: raise p
        >>> round(float(ada.p), 3)
        0.1
    """

    p: Tensor
    _sign_sum: Tensor
    _images: Tensor

    def __init__(
        self, target: Probability = 0.6, interval: PositiveInt = 4, kimg: PositiveFloat = 500.0, p: Probability = 0.0, adaptive: bool = True,
        transforms: str = "xflip,rotate90,translation,brightness,contrast",
    ) -> None:
        super().__init__()
        if not (isinstance(target, (int, float)) and -1 <= target <= 1):
            raise ValueError(f"target={target!r} is invalid; expected a value of r_t in [-1, 1] (the paper uses 0.6)")
        if not (isinstance(kimg, (int, float)) and kimg > 0):
            raise ValueError(f"kimg={kimg!r} is invalid; expected a positive number of thousands of images")
        if not (isinstance(p, (int, float)) and 0 <= p <= 1):
            raise ValueError(f"p={p!r} is invalid; expected a probability in [0, 1]")
        names = tuple(t.strip() for t in transforms.split(",") if t.strip())
        unknown = [t for t in names if t not in _TRANSFORMS]
        if unknown or not names:
            raise ValueError(f"transforms={transforms!r} is invalid; expected a comma-separated subset of {', '.join(_TRANSFORMS)}")
        self.target = float(target)
        self.interval = check_int("interval", interval, expected="a positive number of iterations")
        self.kimg = float(kimg)
        self.adaptive = bool(adaptive)
        self.transforms = names
        self.register_buffer("p", torch.tensor(float(p)))
        self.register_buffer("_sign_sum", torch.zeros(()))
        self.register_buffer("_images", torch.zeros((), dtype=torch.float64))
        self._iterations = 0  # host-side, saved as the module's extra state

    def forward(self, x: Tensor) -> Tensor:
        """Augment a batch ``(N, C, H, W)`` in [-1, 1], each op gated per sample at ``p`` as in the reference."""
        n, _, h, w = x.shape
        p = self.p

        def gate(shape: tuple[int, ...]) -> Tensor:
            return torch.rand(shape, device=x.device) < p

        if "xflip" in self.transforms:
            flip = torch.floor(torch.rand(n, device=x.device) * 2)
            x = _where(gate((n,)) & (flip == 1), x.flip(3), x)
        if "rotate90" in self.transforms:
            turns = torch.floor(torch.rand(n, device=x.device) * 4)
            turns = torch.where(gate((n,)), turns, torch.zeros_like(turns))
            if h == w:  # a quarter turn of a non-square image changes its shape
                rotated = x
                for k in (1, 2, 3):
                    rotated = _where(turns == k, torch.rot90(x, k, dims=(2, 3)), rotated)
                x = rotated
        if "translation" in self.transforms:
            t = (torch.rand(n, 2, device=x.device) * 2 - 1) * _XINT_MAX
            t = torch.where(gate((n, 1)), t, torch.zeros_like(t))
            x = reflect_translate(x, torch.round(t[:, 0] * w), torch.round(t[:, 1] * h))
        if "brightness" in self.transforms:
            b = torch.randn(n, device=x.device) * _BRIGHTNESS_STD
            b = torch.where(gate((n,)), b, torch.zeros_like(b))
            x = x + b.to(x.dtype).view(-1, 1, 1, 1)
        if "contrast" in self.transforms:
            c = torch.exp2(torch.randn(n, device=x.device) * _CONTRAST_STD)
            c = torch.where(gate((n,)), c, torch.ones_like(c))
            x = x * c.to(x.dtype).view(-1, 1, 1, 1)  # about 0: c (x + b) with the brightness above
        return x

    def after_iteration(self, names: tuple[str, ...], values: Tensor, images: int = 0) -> None:
        """Fold this iteration's :math:`r_t` in, and adjust :math:`p` every ``interval`` iterations.

        Args:
            names: The iteration's metric names.
            values: Their values (device).
            images: Real images the critic saw this iteration.
        """
        if not self.adaptive or SIGN_REAL not in names:
            return
        self._sign_sum.add_(values[names.index(SIGN_REAL)].detach().to(self._sign_sum.dtype))
        self._images.add_(images)
        self._iterations += 1
        if self._iterations % self.interval:  # a host-side count: no synchronization
            return
        mean = self._sign_sum / self.interval
        step = self._images / (self.kimg * 1000.0)
        self.p.copy_((self.p + torch.sign(mean - self.target) * step.to(self.p.dtype)).clamp(0.0, 1.0))
        self._sign_sum.zero_()
        self._images.zero_()

    def get_extra_state(self) -> dict[str, int]:  # noqa: D102 - saved with the buffers
        return {"iterations": self._iterations}

    def set_extra_state(self, state: dict[str, int]) -> None:  # noqa: D102
        self._iterations = int(state["iterations"])

    def report(self) -> Mapping[str, Tensor]:
        """``augment/p``, the current probability."""
        return {"augment/p": self.p}
