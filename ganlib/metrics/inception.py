"""Optional Inception-based FID for RGB data, through torchmetrics (and torch-fidelity).

For MNIST use :class:`~ganlib.metrics.MNISTEvaluator`, which needs no download. For RGB data
the usual FID is computed on Inception-v3 pool features; ganlib delegates that to
:class:`torchmetrics.image.fid.FrechetInceptionDistance` rather than reimplementing the
feature extractor, and explains what is missing when it cannot run.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

__all__ = ["INCEPTION_HELP", "inception_fid"]

INCEPTION_HELP = (
    "Inception FID needs torchmetrics with its image extra (pip install 'torchmetrics[image]', "
    "which brings torch-fidelity) and the FID Inception-v3 weights, which torch-fidelity "
    "downloads on first use into $TORCH_HOME/hub/checkpoints (default ~/.cache/torch/hub/"
    "checkpoints). Offline, copy the file pt_inception-2015-12-05-6726825d.pth there from a "
    "machine that has it. For MNIST, use ganlib.metrics.MNISTEvaluator, which needs neither."
)
"""How to make :func:`inception_fid` work; part of its error messages."""


def _batches(images: Tensor | Iterable[Tensor], batch_size: int) -> Iterable[Tensor]:
    return images.split(batch_size) if isinstance(images, Tensor) else images


def inception_fid(
    real: Tensor | Iterable[Tensor],
    fake: Tensor | Iterable[Tensor],
    *,
    device: torch.device | str = "cpu",
    batch_size: int = 64,
) -> float:
    """FID on Inception-v3 features (Heusel et al., 2017) via torchmetrics.

    Args:
        real: Real images ``(N, 3, H, W)`` in [-1, 1], or an iterable of such batches.
        fake: Generated images in the same format.
        device: Where to run the Inception network.
        batch_size: Batch size when a tensor is given.

    Returns:
        The FID.

    Raises:
        ImportError: If torchmetrics (with torch-fidelity) is not installed; the message
            says what to install.
        RuntimeError: If the Inception weights cannot be loaded (e.g. offline); the message
            says where to put them.
        ValueError: If the images are not 3-channel.
    """
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance
    except ImportError as error:
        raise ImportError(f"{INCEPTION_HELP} ({error})") from None
    try:
        metric = FrechetInceptionDistance(feature=2048, normalize=True).to(device)
    except Exception as error:  # noqa: BLE001 - any failure to fetch or load the weights
        raise RuntimeError(f"could not load the FID Inception weights: {error}. {INCEPTION_HELP}") from None
    for images, is_real in ((real, True), (fake, False)):
        for batch in _batches(images, batch_size):
            if batch.ndim != 4 or batch.shape[1] != 3:
                raise ValueError(f"images have shape {tuple(batch.shape)}; Inception FID expects (N, 3, H, W) RGB")
            metric.update(((batch.to(device) + 1) / 2).clamp(0, 1), real=is_real)
    return float(metric.compute())
