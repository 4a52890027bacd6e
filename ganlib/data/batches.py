"""An endless, resumable stream of shuffled batches from tensors held in memory."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ganlib._validation import check_int

__all__ = ["TensorBatches"]


class TensorBatches:
    """Endless shuffled mini-batches from preprocessed tensors, with a resumable position.

    Each epoch draws a fresh permutation from the stream's own generator, so the order
    depends only on ``seed``; ``state_dict`` records the permutation, the position in it and
    the generator, so a resumed stream continues with exactly the batches an uninterrupted
    one would have produced. The last incomplete batch of an epoch is dropped, which keeps
    every batch the same shape.

    With ``reshuffle=False`` the first permutation is kept for every epoch: the set is shuffled
    once and then cycled through in that order, as the WGAN-GP paper's toy code serves its
    fixed 100,000 points.

    **Several processes.** With ``world_size > 1`` every process walks the same permutation
    (same seed) in steps of ``batch_size * world_size`` and takes its own ``batch_size``-slice
    of each step: process ``rank`` sees exactly its share of the batches one process with
    batch ``batch_size * world_size`` would see.

    **Memory.** Batches are gathered into one buffer allocated up front; each ``next()``
    overwrites the previous batch and returns a fresh view of the buffer (``detach()``), so
    code that marks a batch ``requires_grad_(True)``, as the textbook R1 penalty does, marks
    its own view and never the buffer. A batch's graph must be freed before the next batch is
    drawn (autograd's version counter raises otherwise); call ``.clone()`` to keep a batch.
    The Trainer draws through :meth:`next_index` and :meth:`gather` instead, which lets it
    gather inside a captured CUDA graph.

    Args:
        data: Samples of shape ``(M, *)``, already on the training device.
        batch_size: Samples per batch (per process), with ``batch_size * world_size <= M``.
        labels: Optional class labels of shape ``(M,)``, or any condition per sample
            ``(M, *)`` (a LAPGAN level's coarse images); batches are then ``(samples, labels)`` pairs.
        seed: Seed of the shuffling generator.
        rank: This process's rank.
        world_size: Number of processes sharing the stream.
        reshuffle: Draw a fresh permutation for each epoch (the default), or keep the first.

    Raises:
        ValueError: If a size does not fit the data or ``labels`` does not match ``data``.

    Example:
        >>> import torch
        >>> stream = TensorBatches(torch.arange(10.0).unsqueeze(1), batch_size=4, seed=0)
        >>> next(stream).shape
        torch.Size([4, 1])
    """

    def __init__(
        self,
        data: Tensor,
        batch_size: int,
        *,
        labels: Tensor | None = None,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        reshuffle: bool = True,
    ) -> None:
        check_int("world_size", world_size)
        check_int("rank", rank, minimum=0, maximum=world_size - 1, expected=f"an integer from 0 to world_size - 1 = {world_size - 1}")
        most = len(data) // world_size
        check_int("batch_size", batch_size, maximum=most, expected=f"an integer from 1 to {most} (the number of samples, {len(data)}, over world_size {world_size})")
        if labels is not None and (labels.ndim == 0 or len(labels) != len(data)):
            raise ValueError(f"labels has shape {tuple(labels.shape)}; expected ({len(data)}, ...), one label (or condition) per sample")
        self.data = data
        self.labels = labels
        self.batch_size = batch_size
        self.rank = rank
        self.world_size = world_size
        self.reshuffle = bool(reshuffle)
        self._rng = torch.Generator().manual_seed(seed)
        self._buffer = torch.empty_like(data[:batch_size])
        self._label_buffer = None if labels is None else torch.empty_like(labels[:batch_size])
        self._order = self._shuffle()
        self._position = 0

    @property
    def batches_per_epoch(self) -> int:
        """Number of full (global) batches in one pass over the data."""
        return len(self.data) // (self.batch_size * self.world_size)

    @property
    def device(self) -> torch.device:
        """Where the samples live."""
        return self.data.device

    def _shuffle(self) -> Tensor:
        return torch.randperm(len(self.data), generator=self._rng).to(self.data.device)

    def next_index(self) -> Tensor:
        """Advance the stream by one batch and return this process's sample indices.

        Returns:
            Indices of shape ``(batch_size,)`` on the data's device (a view of the
            permutation; copy it to keep it).
        """
        step = self.batch_size * self.world_size
        if self._position + step > len(self.data):
            if self.reshuffle:
                self._order = self._shuffle()
            self._position = 0
        start = self._position + self.rank * self.batch_size
        self._position += step
        return self._order[start : start + self.batch_size]

    def gather(self, index: Tensor, out: Tensor | None = None, labels_out: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """The samples (and labels) at ``index``, written into ``out`` (and ``labels_out``) if given.

        Args:
            index: Sample indices on the data's device.
            out: A buffer for the samples, or ``None`` to allocate.
            labels_out: A buffer for the labels, or ``None`` to allocate.

        Returns:
            ``(samples, labels)``; ``labels`` is ``None`` when the stream has none.
        """
        samples = torch.index_select(self.data, 0, index, out=out) if out is not None else self.data.index_select(0, index)
        if self.labels is None:
            return samples, None
        labels = torch.index_select(self.labels, 0, index, out=labels_out) if labels_out is not None else self.labels.index_select(0, index)
        return samples, labels

    def serve(self, data: Tensor, batch_size: int | None = None) -> None:
        """Serve other tensors of the same samples from now on (another resolution, say), keeping
        the stream's order and position: the next batch holds the samples it would have held.

        Args:
            data: ``(M, *)`` samples, ``M`` as before, on the same device.
            batch_size: A new batch size, or ``None`` to keep it.

        Raises:
            ValueError: If ``data`` holds another number of samples or the batch size does not fit.
        """
        if len(data) != len(self.data) or data.device != self.data.device:
            raise ValueError(f"serve: {len(data)} samples on {data.device}; expected {len(self.data)} on {self.data.device}, the stream's")
        most = len(data) // self.world_size
        size = self.batch_size if batch_size is None else check_int("batch_size", batch_size, maximum=most, expected=f"an integer from 1 to {most}")
        self.data, self.batch_size = data, size
        self._buffer = torch.empty_like(data[:size])
        self._label_buffer = None if self.labels is None else torch.empty_like(self.labels[:size])

    def __iter__(self) -> TensorBatches:
        return self

    def __next__(self) -> Tensor | tuple[Tensor, Tensor]:
        samples, labels = self.gather(self.next_index(), self._buffer, self._label_buffer)
        if labels is None:
            return samples.detach()
        return samples.detach(), labels.detach()

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
        self._rng.set_state(state["rng"].cpu())
