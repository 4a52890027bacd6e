"""How the Trainer draws real batches: from any iterable, or from static slots a CUDA graph can read.

The iteration's steps draw from a feed (:meth:`Feed.draw`) in a fixed order.
:class:`IndexFeed` serves a :class:`~ganlib.data.TensorBatches` on the training device. For
iterations that a CUDA graph records, it is *prepared* once per iteration, outside the graph
(:meth:`IndexFeed.prepare` advances the stream by one iteration's worth of batches and copies
their indices into static index tensors), and ``draw`` gathers the samples into static buffers
inside it; otherwise each ``draw`` takes the stream's next batch at once. Both take the
stream's batches in the same order, so eager and captured runs see exactly the same batches.
:class:`IterableFeed` serves anything else (a ``DataLoader``, a list), moving each batch to
the device.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

import warnings

import torch
from torch import Tensor
from torch.utils.data.distributed import DistributedSampler

from ganlib.data import TensorBatches

__all__ = ["Feed", "IndexFeed", "IterableFeed", "capturable", "check_sharding", "make_feed", "same_device"]

Batch = tuple[Tensor, Tensor | None]


class Feed:
    """Base class of feeds.

    Attributes:
        capturable: Whether :meth:`draw` can run inside a CUDA graph.
    """

    capturable: bool = False

    def prepare(self) -> None:
        """Get one iteration's batches ready (called outside any captured region)."""

    def draw(self) -> Batch:
        """The next real batch and its labels (``None`` without labels)."""
        raise NotImplementedError


def _unpack(batch: Any) -> Batch:
    if isinstance(batch, (tuple, list)):
        images = batch[0]
        labels = batch[1] if len(batch) > 1 and isinstance(batch[1], Tensor) else None
        return cast(Tensor, images), labels
    return cast(Tensor, batch), None


class IterableFeed(Feed):
    """Batches from any iterable: a tensor or ``(images, labels)`` per item.

    A finite iterable (a ``DataLoader``) is restarted after each pass. If it has a sampler with
    ``set_epoch`` (a :class:`~torch.utils.data.distributed.DistributedSampler`), each pass is
    told its number first, so that every pass is shuffled differently (and alike on every
    rank).

    Args:
        data: The iterable.
        device: Where batches are moved.
    """

    def __init__(self, data: Iterable[Any], device: torch.device) -> None:
        self.data = data
        self.device = device
        self.epoch = 0
        self._batches: Iterator[Any] = self._start_pass()

    def _start_pass(self) -> Iterator[Any]:
        set_epoch = getattr(getattr(self.data, "sampler", None), "set_epoch", None)
        if callable(set_epoch):
            set_epoch(self.epoch)
        return iter(self.data)

    def draw(self) -> Batch:  # noqa: D102
        try:
            batch = next(self._batches)
        except StopIteration:  # a finite iterable: start its next pass
            self.epoch += 1
            self._batches = self._start_pass()
            try:
                batch = next(self._batches)
            except StopIteration:
                raise ValueError("data yielded no batches; pass a non-empty data set or DataLoader") from None
        images, labels = _unpack(batch)
        if not isinstance(images, Tensor):
            raise TypeError(f"data yielded a {type(images).__name__}; expected a tensor or an (images, labels) pair of tensors")
        images = images.to(self.device, non_blocking=True)
        return images, None if labels is None else labels.to(self.device, non_blocking=True)


class IndexFeed(Feed):
    """Batches of a :class:`~ganlib.data.TensorBatches` on the training device, via static slots.

    Args:
        batches: The stream; its tensors must be on the training device.
        slots: Batches drawn per iteration.
        prepared: Fill the slots once per iteration in :meth:`prepare` (for a captured
            graph, which must draw exactly ``slots`` batches); otherwise each :meth:`draw`
            takes the next batch, so an iteration may draw any number.
    """

    capturable = True

    def __init__(self, batches: TensorBatches, slots: int, *, prepared: bool = True) -> None:
        self.batches = batches
        self.slots = slots
        self.prepared = prepared
        size = batches.batch_size
        self._index = torch.zeros(slots, size, dtype=torch.long, device=batches.device)
        self._out = [torch.empty_like(batches.data[:size]) for _ in range(slots)]
        labels = batches.labels
        self._labels_out = [None if labels is None else torch.empty_like(labels[:size]) for _ in range(slots)]
        self._next = 0

    def prepare(self) -> None:  # noqa: D102
        if self.prepared:
            for slot in range(self.slots):
                self._index[slot].copy_(self.batches.next_index())
        self._next = 0

    def draw(self) -> Batch:  # noqa: D102
        slot = self._next
        if not self.prepared:
            slot %= self.slots
            self._index[slot].copy_(self.batches.next_index())
        elif slot >= self.slots:
            raise RuntimeError(f"an iteration drew more than the {self.slots} batches prepared for it")
        self._next += 1
        images, labels = self.batches.gather(self._index[slot], self._out[slot], self._labels_out[slot])
        return images.detach(), None if labels is None else labels.detach()


def same_device(a: torch.device, b: torch.device) -> bool:
    """Whether two devices are the same, counting ``cuda`` and ``cuda:0`` (the current device) as one."""
    if a.type != b.type:
        return False
    if a.type != "cuda":
        return a.index == b.index or None in (a.index, b.index)
    current = torch.cuda.current_device()
    return (current if a.index is None else a.index) == (current if b.index is None else b.index)


def capturable(data: Any, device: torch.device) -> bool:
    """Whether ``data`` can be drawn from inside a CUDA graph on ``device`` (a :class:`~ganlib.data.TensorBatches` there)."""
    return isinstance(data, TensorBatches) and same_device(data.device, device)


def make_feed(data: Any, device: torch.device, slots: int, *, prepared: bool = False) -> Feed:
    """An :class:`IndexFeed` for a :class:`~ganlib.data.TensorBatches` on ``device``, else an :class:`IterableFeed`.

    Args:
        data: The Trainer's data.
        device: The training device.
        slots: Batches an iteration draws (the static slots of a captured iteration).
        prepared: Prepare the slots once per iteration (for capture).
    """
    if capturable(data, device):
        return IndexFeed(data, slots, prepared=prepared)
    return IterableFeed(data, device)


def check_sharding(data: Any, rank: int, world_size: int) -> None:
    """Make sure each of ``world_size`` processes reads its own share of the data.

    Args:
        data: The Trainer's data.
        rank: This process's rank.
        world_size: The number of processes.

    Raises:
        ValueError: If ``data`` is a :class:`~ganlib.data.TensorBatches` sharded for another
            rank or number of processes.

    Warns:
        RuntimeWarning: If ``data`` is a ``DataLoader`` whose sampler is not a
            :class:`~torch.utils.data.distributed.DistributedSampler` (every process would read
            the same batches).
    """
    if isinstance(data, TensorBatches):
        if (data.rank, data.world_size) != (rank, world_size):
            raise ValueError(
                f"data is TensorBatches(rank={data.rank}, world_size={data.world_size}) in process {rank} of {world_size}; "
                f"pass rank={rank}, world_size={world_size} so that each process reads its own share"
            )
        return
    if hasattr(data, "sampler") and not isinstance(data.sampler, DistributedSampler):
        warnings.warn(
            f"under {world_size} processes the DataLoader's sampler is a {type(data.sampler).__name__}, so every "
            "process reads the same batches; give it sampler=DistributedSampler(dataset) (ganlib calls its set_epoch)",
            RuntimeWarning,
            stacklevel=3,
        )
