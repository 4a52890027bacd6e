"""An endless, resumable stream of shuffled batches from a tensor held in memory."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ganlib._validation import check_int

__all__ = ["TensorBatches"]


class TensorBatches:
    """Endless shuffled mini-batches from a preprocessed tensor, with a resumable position.

    Each epoch draws a fresh permutation from the stream's own generator, so the order
    depends only on ``seed``; ``state_dict`` records the permutation, the position in it and
    the generator, so a resumed stream continues with exactly the batches an uninterrupted
    one would have produced. The last incomplete batch of an epoch is dropped, which keeps
    every batch the same shape.

    Batches are gathered into one buffer allocated up front: each ``next()`` overwrites the
    previous batch. That is safe in a training loop, where a batch's graph is freed before
    the next batch is drawn; autograd's version counter raises if a graph still needs it.
    Call ``.clone()`` to keep a batch.

    Args:
        data: Samples of shape ``(M, *)``, already on the training device.
        batch_size: Samples per batch, at most ``M``.
        seed: Seed of the shuffling generator.

    Raises:
        ValueError: If ``batch_size`` is not in ``[1, M]``.

    Example:
        >>> import torch
        >>> stream = TensorBatches(torch.arange(10.0).unsqueeze(1), batch_size=4, seed=0)
        >>> next(stream).shape
        torch.Size([4, 1])
    """

    def __init__(self, data: Tensor, batch_size: int, *, seed: int = 0) -> None:
        check_int("batch_size", batch_size, maximum=len(data), expected=f"an integer from 1 to the number of samples ({len(data)})")
        self.data = data
        self.batch_size = batch_size
        self._rng = torch.Generator().manual_seed(seed)
        self._buffer = torch.empty_like(data[:batch_size])
        self._order = self._shuffle()
        self._position = 0

    @property
    def batches_per_epoch(self) -> int:
        """Number of full batches in one pass over the data."""
        return len(self.data) // self.batch_size

    def _shuffle(self) -> Tensor:
        return torch.randperm(len(self.data), generator=self._rng).to(self.data.device)

    def __iter__(self) -> TensorBatches:
        return self

    def __next__(self) -> Tensor:
        if self._position + self.batch_size > len(self.data):
            self._order = self._shuffle()
            self._position = 0
        index = self._order[self._position : self._position + self.batch_size]
        self._position += self.batch_size
        return torch.index_select(self.data, 0, index, out=self._buffer)

    def state_dict(self) -> dict[str, Any]:
        """The stream's position: permutation, offset and generator state."""
        return {"order": self._order.cpu(), "position": self._position, "rng": self._rng.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a position saved by :meth:`state_dict`.

        Raises:
            ValueError: If the saved permutation does not fit this stream's data.
        """
        if len(state["order"]) != len(self.data):
            raise ValueError(
                f"the saved batch order covers {len(state['order'])} samples but this stream "
                f"has {len(self.data)}; resume with the same data selection"
            )
        self._order = state["order"].to(self.data.device)
        self._position = int(state["position"])
        self._rng.set_state(state["rng"])
