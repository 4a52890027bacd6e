"""Mode coverage and reverse KL: how many of a data set's classes a generator draws, and how evenly.

The protocol of VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018) for Stacked
MNIST, which :class:`StackedMNISTEvaluator` follows:

* **samples**: 26,000 generated images, each of three channels;
* **classifier**: each channel is classified separately by a pretrained MNIST classifier
  (here ganlib's shipped judge, :func:`~ganlib.metrics.load_mnist_classifier`); the image's
  *mode* is the triple of digits, ``100 * d0 + 10 * d1 + d2``, one of 1,000;
* **modes covered**: the number of modes with at least one sample;
* **KL**: :math:`\\mathrm{KL}(p \\,\\|\\, u) = \\sum_m p_m \\log(p_m / u_m)`, from the generated
  mode distribution :math:`p` to the uniform one :math:`u_m = 1/1000`, in nats (natural log),
  terms with :math:`p_m = 0` left out: 0 for a perfectly even generator, :math:`\\log 1000 = 6.91`
  for one that draws a single mode.

The same statistics apply to plain MNIST with 10 modes (the digit).

The papers' count credits poor samples: the judge's argmax names a digit for any blot, so a
mode is "covered" by a sample that no reader would call those three digits. Beside it,
:func:`confident_modes` reports the share of samples the judge recognizes confidently on every
channel (its probability above 0.9 on each) and the modes covered by those samples alone;
``evaluate --metrics modes`` and ``bench`` give both with their real-data ceilings (real triples
of test digits score the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["CONFIDENT", "ModeStatistics", "StackedMNISTEvaluator", "confident_modes", "mode_statistics"]

CONFIDENT = 0.9
"""The judge's probability above which a channel counts as recognized."""


@dataclass(frozen=True)
class ModeStatistics:
    """Mode coverage of a set of samples.

    Attributes:
        num_samples: Samples counted.
        num_modes: Modes there are (1,000 for Stacked MNIST).
        covered: Modes with at least one sample.
        kl: :math:`\\mathrm{KL}(p \\,\\|\\, \\text{uniform})` in nats.
        histogram: Each mode's share of the samples ``(num_modes,)``.
    """

    num_samples: int
    num_modes: int
    covered: int
    kl: float
    histogram: Tensor

    def to_dict(self) -> dict[str, float | int]:
        """The scalars, JSON-ready."""
        return {"num_samples": self.num_samples, "num_modes": self.num_modes, "modes_covered": self.covered, "kl_to_uniform": self.kl}


def mode_statistics(modes: Tensor, num_modes: int) -> ModeStatistics:
    """Modes covered and :math:`\\mathrm{KL}(p \\,\\|\\, \\text{uniform})` of a set of mode labels.

    Args:
        modes: The mode of each sample ``(N,)``, integers in ``[0, num_modes)``.
        num_modes: The number of modes.

    Returns:
        The :class:`ModeStatistics`.

    Raises:
        ValueError: If there are no samples or a label is out of range.

    Example:
        >>> import torch
        >>> s = mode_statistics(torch.tensor([0, 0, 0, 0]), 1000)  # one mode: KL = log 1000
        >>> s.covered, round(s.kl, 4)
        (1, 6.9078)
        >>> mode_statistics(torch.arange(1000), 1000).kl  # each once: uniform
        0.0
    """
    modes = modes.reshape(-1).long().cpu()
    if modes.numel() == 0:
        raise ValueError("no samples to count modes of")
    if int(modes.min()) < 0 or int(modes.max()) >= num_modes:
        raise ValueError(f"mode labels range over [{int(modes.min())}, {int(modes.max())}]; expected [0, {num_modes})")
    counts = torch.bincount(modes, minlength=num_modes).double()
    p = counts / counts.sum()
    present = p > 0
    kl = float((p[present] * torch.log(p[present] * num_modes)).sum())
    return ModeStatistics(int(modes.numel()), num_modes, int(present.sum()), max(kl, 0.0), p)


def confident_modes(modes: Tensor, probabilities: Sequence[Tensor], threshold: float = CONFIDENT) -> tuple[float, int]:
    """The share of samples recognized confidently on every channel, and the modes those samples cover.

    Args:
        modes: Each sample's mode ``(N,)``.
        probabilities: Each channel's class probabilities, ``(N, 10)`` each.
        threshold: A channel is recognized when its largest probability is above this.

    Returns:
        ``(share, covered)``.

    Example:
        >>> import torch
        >>> sure, unsure = torch.tensor([[0.95] + [0.05 / 9] * 9]), torch.full((1, 10), 0.1)
        >>> confident_modes(torch.tensor([0, 0]), [torch.cat([sure, sure]), torch.cat([sure, unsure]), torch.cat([sure, sure])])
        (0.5, 1)
    """
    if not probabilities:
        raise ValueError("no channel probabilities given")
    sure = torch.stack([p.max(dim=1).values for p in probabilities], dim=1).min(dim=1).values > threshold
    return float(sure.double().mean()), int(torch.unique(modes.reshape(-1)[sure.cpu()]).numel())


class StackedMNISTEvaluator:
    """Count the modes of generated Stacked-MNIST images with the shipped MNIST judge.

    Each of the three channels is classified on its own; the mode is ``100 * d0 + 10 * d1 + d2``.

    Args:
        device: Device of the classifier.
        batch_size: Images per classifier forward pass.

    Example:
        >>> import torch
        >>> result = StackedMNISTEvaluator().evaluate(torch.rand(8, 3, 28, 28) * 2 - 1)
        >>> result.num_modes, result.num_samples
        (1000, 8)
    """

    num_modes = 1000

    def __init__(self, device: torch.device | str = "cpu", batch_size: int = 500) -> None:
        from ganlib.metrics.mnist import MNISTEvaluator

        self.judge = MNISTEvaluator(device, batch_size=batch_size)

    def classify(self, images: Tensor, *, probabilities: bool = False) -> Any:
        """Per-channel digits and features of stacked images.

        Args:
            images: ``(N, 3, H, H)`` in [-1, 1].
            probabilities: Also return each channel's class probabilities.

        Returns:
            Modes ``(N,)`` and features ``(N, 3 * 64)`` (each channel's judge features, side by
            side); with ``probabilities``, also a list of three ``(N, 10)`` tensors.

        Raises:
            ValueError: If the images do not have three channels (or are malformed).
        """
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images have shape {tuple(images.shape)}; expected (N, 3, H, H) stacked digits")
        features, predictions = [], []
        for channel in range(3):
            f, p, _ = self.judge.embed(images[:, channel : channel + 1])
            features.append(f)
            predictions.append(p)
        digits = [p.argmax(1) for p in predictions]
        modes = digits[0] * 100 + digits[1] * 10 + digits[2]
        if probabilities:
            return modes, torch.cat(features, dim=1), predictions
        return modes, torch.cat(features, dim=1)

    def real_ceiling(self, size: int, num: int, *, seed: int = 0) -> tuple[float, int]:
        """:func:`confident_modes` of ``num`` real triples of test digits, from the judge's shipped reference.

        Args:
            size: The generated images' side (selects the reference features of that size).
            num: Triples to draw (as many as generated samples, for a like-for-like count).
            seed: Seed of the draw.

        Returns:
            ``(share, covered)`` on real data.
        """
        judge = self.judge
        at = judge.reference_index(size)
        raw = judge.reference["features"][at] / judge.reference["feature_scale"]
        head = judge.classifier.head
        with torch.no_grad():
            probabilities = head(raw.to(next(head.parameters()))).softmax(dim=1).cpu()
        index = torch.randint(0, len(raw), (num, 3), generator=torch.Generator().manual_seed(seed))
        channels = [probabilities[index[:, j]] for j in range(3)]
        digits = [c.argmax(dim=1) for c in channels]
        return confident_modes(digits[0] * 100 + digits[1] * 10 + digits[2], channels)

    def evaluate(self, images: Tensor) -> ModeStatistics:
        """Modes covered and KL to uniform of generated stacked images.

        Args:
            images: ``(N, 3, H, H)`` in [-1, 1] (26,000 in the protocol).

        Returns:
            The :class:`ModeStatistics` over 1,000 modes.
        """
        modes, _ = self.classify(images)
        return mode_statistics(modes, self.num_modes)
