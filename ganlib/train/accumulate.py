"""Gradient accumulation: a batch split into micro-batches whose gradients add up before one step."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from torch import Tensor, nn

if TYPE_CHECKING:
    from ganlib.train.distributed import Distributed

__all__ = ["Accumulation"]


class Accumulation:
    """How one step's batch is split, and how its gradients are kept local until the last part.

    Args:
        parts: Micro-batches per step (1: no splitting).
        distributed: The strategy whose gradient synchronization waits for the last part.
    """

    def __init__(self, parts: int, distributed: Distributed | None = None) -> None:
        self.parts, self.distributed = parts, distributed

    def split(self, *tensors: Tensor | None) -> Iterator[tuple[Any, ...]]:
        """The micro-batches: each tensor chunked alike (``None`` stays ``None``).

        Args:
            *tensors: Batches of one size.

        Yields:
            One tuple per micro-batch.

        Raises:
            ValueError: If the parts do not divide the batch.
        """
        if self.parts == 1:
            yield tensors
            return
        size = next(len(t) for t in tensors if t is not None)
        if size % self.parts:
            raise ValueError(f"accumulate={self.parts} does not divide the batch of {size} samples; choose a divisor of the batch size")
        chunks = [None if t is None else t.chunk(self.parts) for t in tensors]
        for i in range(self.parts):
            yield tuple(None if c is None else c[i] for c in chunks)

    def sync(self, module: nn.Module, last: bool) -> contextlib.AbstractContextManager[Any]:
        """Hold ``module``'s gradient synchronization until the ``last`` micro-batch.

        Args:
            module: The (wrapped) module.
            last: Whether this is the last micro-batch.

        Returns:
            A context manager.
        """
        if self.distributed is None or last:
            return contextlib.nullcontext()
        return self.distributed.no_sync(module)

    def scaled(self, loss: Tensor) -> Tensor:
        """A micro-batch's loss, scaled so that the parts' gradients add up to the batch's.

        Args:
            loss: The micro-batch's loss.

        Returns:
            The loss divided by the number of parts.
        """
        return loss if self.parts == 1 else loss / self.parts
