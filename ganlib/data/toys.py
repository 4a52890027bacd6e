"""Two-dimensional toy distributions, generated on the fly from a seeded generator.

* ``harmonic``: the course's curve, :math:`x_1 \\sim U[0, 2\\pi]`, :math:`x_2 = \\sin x_1`;
* ``8gaussians``: eight Gaussians on a circle, and ``25gaussians``: a 5x5 grid of Gaussians,
  both as in the WGAN-GP paper's toy experiments (Gulrajani et al., 2017, Figure 1);
* ``swissroll``: the 2-D Swiss roll of the same experiments;
* ``ring``: a continuous ring of radius 1 with a little radial noise.

:class:`ToyStream` serves endless batches of fresh samples and checkpoints its position.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from ganlib._validation import check_int

__all__ = ["TOYS", "ToyStream", "toy_bounds", "toy_centers", "toy_samples"]

TOYS: tuple[str, ...] = ("harmonic", "8gaussians", "25gaussians", "swissroll", "ring")
"""The toy distributions."""

_EIGHT_SCALE, _EIGHT_STD = 2.0 / 1.414, 0.02 / 1.414
_GRID_SCALE, _GRID_STD = 2.0 / 2.828, 0.05 / 2.828


def _check(name: str) -> None:
    if name not in TOYS:
        raise ValueError(f"toy {name!r} is unknown; valid names are {', '.join(map(repr, TOYS))}")


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
    _check(name)
    if name == "8gaussians":
        angles = torch.arange(8) * (math.pi / 4)
        return torch.stack([angles.cos(), angles.sin()], dim=1) * _EIGHT_SCALE, _EIGHT_STD
    if name == "25gaussians":
        grid = torch.arange(-2, 3, dtype=torch.float32)
        xs, ys = torch.meshgrid(grid, grid, indexing="ij")
        return torch.stack([xs.flatten(), ys.flatten()], dim=1) * _GRID_SCALE, _GRID_STD
    return None


def toy_samples(name: str, n: int, generator: torch.Generator | None = None) -> Tensor:
    """``n`` samples of a toy distribution.

    Args:
        name: One of :data:`TOYS`.
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
    _check(name)
    check_int("n", n)
    if name == "harmonic":
        x = torch.rand(n, generator=generator) * (2 * math.pi)
        return torch.stack([x, x.sin()], dim=1)
    if name == "ring":
        angle = torch.rand(n, generator=generator) * (2 * math.pi)
        radius = 1.0 + 0.05 * torch.randn(n, generator=generator)
        return torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
    if name == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        roll = torch.stack([t * t.cos(), t * t.sin()], dim=1) + 0.25 * torch.randn(n, 2, generator=generator)
        return roll / 7.5
    centers, std = toy_centers(name)  # type: ignore[misc]
    which = torch.randint(len(centers), (n,), generator=generator)
    return centers[which] + std * torch.randn(n, 2, generator=generator)


def toy_bounds(name: str) -> tuple[float, float, float, float]:
    """A plotting window that holds the distribution with a margin.

    Args:
        name: A toy's name.

    Returns:
        ``(x_min, x_max, y_min, y_max)``.

    Raises:
        ValueError: If ``name`` is not a toy.
    """
    _check(name)
    if name == "harmonic":
        return (-0.5, 2 * math.pi + 0.5, -1.6, 1.6)
    return {"8gaussians": (-2.0, 2.0, -2.0, 2.0), "25gaussians": (-2.0, 2.0, -2.0, 2.0), "swissroll": (-2.0, 2.0, -2.0, 2.0), "ring": (-1.6, 1.6, -1.6, 1.6)}[name]


class ToyStream:
    """Endless batches of fresh toy samples, resumable.

    Args:
        name: One of :data:`TOYS`.
        batch_size: Points per batch.
        seed: Seed of the stream's own generator.
        device: Where batches are put.

    Example:
        >>> stream = ToyStream("8gaussians", batch_size=4)
        >>> next(stream).shape
        torch.Size([4, 2])
    """

    def __init__(self, name: str, batch_size: int, *, seed: int = 0, device: torch.device | str | None = None) -> None:
        _check(name)
        self.name = name
        self.batch_size = check_int("batch_size", batch_size)
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self._rng = torch.Generator().manual_seed(seed)

    def __iter__(self) -> ToyStream:
        return self

    def __next__(self) -> Tensor:
        return toy_samples(self.name, self.batch_size, self._rng).to(self.device)

    def state_dict(self) -> dict[str, Any]:
        """The stream's generator state."""
        return {"rng": self._rng.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the generator state."""
        self._rng.set_state(state["rng"].cpu())
