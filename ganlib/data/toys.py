"""Two-dimensional toy distributions, generated on the fly from a seeded generator.

* ``harmonic``: the course's curve, :math:`x_1 \\sim U[0, 2\\pi]`, :math:`x_2 = \\sin x_1`;
* ``8gaussians``: eight Gaussians on a circle, and ``25gaussians``: a 5x5 grid of Gaussians,
  both as in the WGAN-GP paper's toy experiments (Gulrajani et al., 2017, Figure 1);
* ``swissroll``: the 2-D Swiss roll of the same experiments;
* ``ring``: a continuous ring of radius 1 with a little radial noise.

Each is a :class:`Toy` in the :data:`TOYS` registry: a sampler, a plotting window, the
mixture's centers where it has them, and the measures that judge generated points.
:func:`~ganlib.data.register_toy` adds a new one (from a plugin, say), which then works
everywhere a toy does: ``python -m ganlib train --data NAME``, the critic's landscape, the toy
measures.
:class:`ToyStream` serves endless batches of fresh samples and checkpoints its position.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.metrics.toy import curve_coverage, distance_to_sine, modes_covered, sliced_wasserstein
from ganlib.registry import Registry

__all__ = ["TOYS", "Sampler", "Toy", "ToyStream", "toy_bounds", "toy_centers", "toy_samples"]

Sampler = Callable[[int, "torch.Generator | None"], Tensor]
"""Draws ``n`` points ``(n, 2)`` on the CPU from a generator (``None``: the global one)."""

_EIGHT_SCALE, _EIGHT_STD = 2.0 / 1.414, 0.02 / 1.414
_GRID_SCALE, _GRID_STD = 2.0 / 2.828, 0.05 / 2.828


@dataclass(frozen=True)
class Toy:
    """A 2-D toy distribution.

    Attributes:
        name: Its name.
        sample: ``(n, generator) -> (n, 2)`` points on the CPU.
        bounds: A plotting window ``(x_min, x_max, y_min, y_max)`` that holds it with a margin.
        centers: A Gaussian mixture's centers ``(K, 2)`` and per-coordinate standard
            deviation, or ``None``.
        measure: ``points -> {name: value}``: scores of generated points (logged under
            ``score/``), besides the sliced Wasserstein distance every toy reports; a mixture
            without one has the modes it covers counted.
    """

    name: str
    sample: Sampler
    bounds: tuple[float, float, float, float]
    centers: tuple[Tensor, float] | None = None
    measure: Callable[[Tensor], dict[str, float]] | None = None

    def evaluate(self, points: Tensor) -> dict[str, float]:
        """Score generated points ``(N, 2)``.

        Every toy reports ``sliced_wasserstein``, the sliced Wasserstein distance to as many
        points of the toy (a fixed sample); then its own :attr:`measure`, or for a mixture the
        modes it covers.

        Args:
            points: Generated points.

        Returns:
            Named scores.
        """
        reference = self.sample(len(points), torch.Generator().manual_seed(20_17))
        scores = {"sliced_wasserstein": sliced_wasserstein(points.float(), reference.float())}
        if self.measure is not None:
            return {**scores, **self.measure(points)}
        if self.centers is not None:
            centers, std = self.centers
            covered, _ = modes_covered(points, centers, std)
            at_5pct, _ = modes_covered(points, centers, std, fraction=0.05)
            scores.update(modes_covered=float(covered), modes_share_5pct=float(at_5pct))
        return scores


TOYS: Registry[Toy] = Registry("toy")
"""The 2-D toys by name."""


def _toy(name: str) -> Toy:
    if name not in TOYS:
        raise ValueError(f"toy {name!r} is unknown; valid names are {', '.join(map(repr, TOYS.names()))}")
    return TOYS[name]


def toy_centers(name: str) -> tuple[Tensor, float] | None:
    """The centers of a Gaussian-mixture toy.

    Args:
        name: A toy's name.

    Returns:
        The mixture's centers ``(K, 2)`` and its per-coordinate standard deviation, or ``None``
        for the continuous toys (``harmonic``, ``swissroll``, ``ring``).

    Raises:
        ValueError: If ``name`` is not a toy.

    Example:
        >>> centers, std = toy_centers("8gaussians")
        >>> tuple(centers.shape), round(std, 4)
        ((8, 2), 0.0141)
    """
    return _toy(name).centers


def toy_samples(name: str, n: int, generator: torch.Generator | None = None) -> Tensor:
    """``n`` samples of a toy distribution.

    Args:
        name: A name in :data:`TOYS`.
        n: Number of points.
        generator: A CPU generator for reproducible draws.

    Returns:
        Points ``(n, 2)`` on the CPU.

    Raises:
        ValueError: If ``name`` is unknown.

    Example:
        >>> import torch
        >>> points = toy_samples("harmonic", 5, torch.Generator().manual_seed(0))
        >>> bool(torch.allclose(points[:, 1], points[:, 0].sin()))
        True
    """
    toy = _toy(name)
    check_int("n", n)
    return toy.sample(n, generator)


def toy_bounds(name: str) -> tuple[float, float, float, float]:
    """A plotting window that holds the distribution with a margin.

    Args:
        name: A toy's name.

    Returns:
        ``(x_min, x_max, y_min, y_max)``.

    Raises:
        ValueError: If ``name`` is not a toy.
    """
    return _toy(name).bounds


MAX_TOY_BATCH = 1_000_000
"""The largest batch of fresh toy points (16 MB of float64 points); more is a typing error."""


class ToyStream:
    """Endless batches of fresh toy samples, resumable.

    Args:
        name: A name in :data:`TOYS`.
        batch_size: Points per batch.
        seed: Seed of the stream's own generator.
        device: Where batches are put.

    Example:
        >>> stream = ToyStream("8gaussians", batch_size=4)
        >>> next(stream).shape
        torch.Size([4, 2])
    """

    def __init__(self, name: str, batch_size: int, *, seed: int = 0, device: torch.device | str | None = None) -> None:
        self.toy = _toy(name)
        self.name = name
        self.batch_size = check_int("batch_size", batch_size, maximum=MAX_TOY_BATCH, expected=f"an integer from 1 to {MAX_TOY_BATCH:,} points per batch")
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self._rng = torch.Generator().manual_seed(seed)

    def __iter__(self) -> ToyStream:
        return self

    def __next__(self) -> Tensor:
        return self.toy.sample(self.batch_size, self._rng).to(self.device)

    def state_dict(self) -> dict[str, Any]:
        """The stream's generator state."""
        return {"rng": self._rng.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the generator state."""
        self._rng.set_state(state["rng"].cpu())


# --- The built-in toys ------------------------------------------------------------------------


def _eight_centers() -> tuple[Tensor, float]:
    angles = torch.arange(8) * (math.pi / 4)
    return torch.stack([angles.cos(), angles.sin()], dim=1) * _EIGHT_SCALE, _EIGHT_STD


def _grid_centers() -> tuple[Tensor, float]:
    grid = torch.arange(-2, 3, dtype=torch.float32)
    xs, ys = torch.meshgrid(grid, grid, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], dim=1) * _GRID_SCALE, _GRID_STD


def _mixture(centers: tuple[Tensor, float], summary: str) -> Sampler:
    points, std = centers

    def sample(n: int, generator: torch.Generator | None = None) -> Tensor:
        which = torch.randint(len(points), (n,), generator=generator)
        return points[which] + std * torch.randn(n, 2, generator=generator)

    sample.__doc__ = summary
    return sample


def _harmonic(n: int, generator: torch.Generator | None = None) -> Tensor:
    """The course's curve: x1 ~ U[0, 2 pi], x2 = sin x1."""
    x = torch.rand(n, generator=generator) * (2 * math.pi)
    return torch.stack([x, x.sin()], dim=1)


def _ring(n: int, generator: torch.Generator | None = None) -> Tensor:
    """A ring of radius 1 with a little radial noise."""
    angle = torch.rand(n, generator=generator) * (2 * math.pi)
    radius = 1.0 + 0.05 * torch.randn(n, generator=generator)
    return torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)


def _swissroll(n: int, generator: torch.Generator | None = None) -> Tensor:
    """The 2-D Swiss roll of the WGAN-GP paper's toy experiments."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    roll = torch.stack([t * t.cos(), t * t.sin()], dim=1) + 0.25 * torch.randn(n, 2, generator=generator)
    return roll / 7.5


def _curve_measures(points: Tensor) -> dict[str, float]:
    return {"distance_to_curve": float(distance_to_sine(points).mean()), "curve_coverage": curve_coverage(points)}


BUILTIN_TOYS: tuple[Toy, ...] = (
    Toy("harmonic", _harmonic, (-0.5, 2 * math.pi + 0.5, -1.6, 1.6), measure=_curve_measures),
    Toy("8gaussians", _mixture(_eight_centers(), "Eight Gaussians on a circle (Gulrajani et al. 2017)."), (-2.0, 2.0, -2.0, 2.0), centers=_eight_centers()),
    Toy("25gaussians", _mixture(_grid_centers(), "A 5x5 grid of Gaussians (Gulrajani et al. 2017)."), (-2.0, 2.0, -2.0, 2.0), centers=_grid_centers()),
    Toy("swissroll", _swissroll, (-2.0, 2.0, -2.0, 2.0)),
    Toy("ring", _ring, (-1.6, 1.6, -1.6, 1.6)),
)
"""The built-in toys, registered (with their data sources) by :mod:`ganlib.data.registry`."""
