"""The training noise: one seeded generator on the device, and a buffer per batch size."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["NoiseSource"]


class NoiseSource:
    """Draws the training noise in place, into one buffer per batch size (no allocation per step).

    Under distribution every process draws the global batch's noise and keeps its own slice, so
    a run on W processes at batch B sees exactly the noise of one process at batch W * B.

    Args:
        latent_dim: Noise size.
        device: Where the noise lives.
        seed: Seed of its generator.
        rank: This process's rank.
        world_size: The number of processes.
    """

    def __init__(self, latent_dim: int, device: torch.device, seed: int, rank: int = 0, world_size: int = 1) -> None:
        self.latent_dim, self.device, self.rank, self.world_size = latent_dim, device, rank, world_size
        self.generator = torch.Generator(device).manual_seed(seed)
        self._buffers: dict[int, Tensor] = {}

    def draw(self, batch_size: int) -> Tensor:
        """Fresh noise ``(batch_size, latent_dim)``, this process's slice of the global draw.

        Args:
            batch_size: This process's batch size.

        Returns:
            A view of the buffer, refilled.
        """
        buffer = self._buffers.get(batch_size)
        if buffer is None:
            buffer = self._buffers[batch_size] = torch.empty(batch_size * self.world_size, self.latent_dim, device=self.device)
        buffer.normal_(generator=self.generator)
        return buffer[self.rank * batch_size : (self.rank + 1) * batch_size]
