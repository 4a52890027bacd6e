"""Adaptive discriminator augmentation (ADA, Karras et al., 2020), a subset of its pipeline.

Each transform is applied to each sample independently with probability :math:`p`:

* ``xflip``: a horizontal flip;
* ``rotate90``: a rotation by a random multiple of 90 degrees;
* ``translation``: an integer shift of up to 1/8 of the side, filled with zeros;
* ``brightness``: :math:`x + b`, :math:`b \\sim N(0, 0.2^2)`;
* ``contrast``: :math:`\\bar{x} + c (x - \\bar{x})`, :math:`\\log_2 c \\sim N(0, 0.5^2)`.

:math:`p` adapts to the critic's overfitting, measured by
:math:`r_t = \\mathbb{E}[\\operatorname{sign} D(x)]` on the real batches (reported by the objective as
``critic/sign_real``): every ``interval`` iterations the mean :math:`r_t` over them is
compared with ``target`` (0.6 in the paper), and :math:`p` moves up when the critic is too sure
of the reals and down otherwise, by as much as would take it from 0 to 1 in ``kimg`` thousand
real images (500 in the paper):

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
from ganlib.augment.diffaugment import translate
from ganlib.losses.objectives import SIGN_REAL

__all__ = ["SIGN_REAL", "AdaptiveAugment"]


_TRANSFORMS = ("xflip", "rotate90", "translation", "brightness", "contrast")


def _where(mask: Tensor, changed: Tensor, original: Tensor) -> Tensor:
    return torch.where(mask.view(-1, 1, 1, 1), changed, original)


@register_augment("ada")
class AdaptiveAugment(Augment):
    """ADA's flips, 90-degree rotations, integer translation, brightness and contrast, at an adaptive probability.

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
        self, target: float = 0.6, interval: int = 4, kimg: float = 500.0, p: float = 0.0, adaptive: bool = True,
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
        """Augment a batch ``(N, C, H, W)``: each transform applies to each sample with probability ``p``."""
        n = x.shape[0]
        p = self.p.to(x.dtype)

        def chosen() -> Tensor:
            return torch.rand(n, device=x.device) < p

        for name in self.transforms:
            if name == "xflip":
                x = _where(chosen(), x.flip(3), x)
            elif name == "rotate90":
                turns = torch.randint(0, 4, (n,), device=x.device)
                rotated = x
                for k in (1, 2, 3):
                    rotated = _where(turns == k, torch.rot90(x, k, dims=(2, 3)), rotated)
                x = _where(chosen(), rotated, x) if x.shape[2] == x.shape[3] else x
            elif name == "translation":
                x = _where(chosen(), translate(x, 0.125), x)
            elif name == "brightness":
                shift = torch.randn(n, 1, 1, 1, device=x.device, dtype=x.dtype) * 0.2
                x = _where(chosen(), x + shift, x)
            else:
                factor = torch.exp2(torch.randn(n, 1, 1, 1, device=x.device, dtype=x.dtype) * 0.5)
                mean = x.mean(dim=(1, 2, 3), keepdim=True)
                x = _where(chosen(), (x - mean) * factor + mean, x)
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
