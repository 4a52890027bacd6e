"""Measures for the 2-D toys: how many modes a generator covers, how far its points lie from a curve."""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["distance_to_sine", "modes_covered"]


def modes_covered(samples: Tensor, centers: Tensor, std: float, *, within: float = 3.0, fraction: float | None = None) -> tuple[int, Tensor]:
    """Count the mixture components that hold at least ``fraction`` of the samples.

    A sample belongs to a component when it lies within ``within`` standard deviations of its
    center (per coordinate, as a radius of ``within * std``). This is the usual mode-coverage
    measure of the toy experiments.

    Args:
        samples: Points ``(N, 2)``.
        centers: The mixture's centers ``(K, 2)``.
        std: The components' standard deviation.
        within: Radius in standard deviations.
        fraction: Share of the samples a component needs to count as covered; half of a
            uniform share, ``0.5 / K``, when ``None`` (0.0625 for 8 modes, 0.02 for 25).

    Returns:
        ``(covered, shares)``: the count, and each component's share of the samples ``(K,)``.

    Example:
        >>> import torch
        >>> centers = torch.tensor([[0.0, 0.0], [5.0, 5.0]])
        >>> modes_covered(torch.zeros(10, 2), centers, std=0.1)[0]
        1
    """
    distance = torch.cdist(samples.float(), centers.float())
    nearest = distance.min(dim=1)
    close = nearest.values <= within * std
    shares = torch.bincount(nearest.indices[close], minlength=len(centers)).float() / max(len(samples), 1)
    threshold = 0.5 / len(centers) if fraction is None else fraction
    return int((shares >= threshold).sum()), shares


def distance_to_sine(points: Tensor, *, resolution: int = 20000) -> Tensor:
    """Euclidean distance of each point to the curve :math:`x_2 = \\sin x_1`, :math:`x_1 \\in [0, 2\\pi]`.

    The curve is sampled at ``resolution`` points; the error of that approximation is below
    :math:`2\\pi / \\text{resolution}`.

    Args:
        points: Points ``(N, 2)``.
        resolution: Samples of the curve.

    Returns:
        Distances ``(N,)``; 0 for points on the curve.

    Example:
        >>> import torch
        >>> float(distance_to_sine(torch.tensor([[0.0, 0.0], [0.0, 1.0]]))[1]) > 0.7
        True
    """
    x = torch.linspace(0.0, 2 * math.pi, resolution)
    curve = torch.stack([x, x.sin()], dim=1)
    distances = [torch.cdist(chunk.float(), curve).min(dim=1).values for chunk in points.cpu().split(2048)]
    return torch.cat(distances)
