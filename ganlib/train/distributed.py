"""Multi-process training with torch.distributed: one object the Trainer asks about processes.

Launch with ``torchrun`` (``torchrun --nproc_per_node 2 examples/mnist_wgan_gp.py ...``);
:meth:`Distributed.from_environment` reads the variables torchrun sets, starts the process
group (NCCL on CUDA, gloo on the CPU) and pins each process to its GPU.

How the Trainer uses it, and why each choice:

* The critic and the generator are wrapped in :class:`~torch.nn.parallel.DistributedDataParallel`
  only for the phase that updates them. The critic's whole loss (adversarial terms and the
  gradient penalty, whose input gradient is taken *through* the wrapped critic with
  ``create_graph=True``) is backpropagated **once**, so each parameter's gradient is
  all-reduced once per step. In the generator phase the critic's parameters are frozen and
  the unwrapped critic scores the fakes, so no all-reduce is waiting on gradients that never
  come.
* Every process draws the same permutation of the data and the noise of the whole global
  batch, and keeps its own slice: W processes at batch B see exactly the images and noise
  of one process at batch W·B.
* With gradient accumulation, all micro-batches but the last run under ``no_sync``.
* Metrics are averaged over processes once per iteration (one small all-reduce, no host
  synchronization); only rank 0 should run callbacks that write files.
* Signals: a Ctrl-C or SIGTERM seen by any process stops all of them at the same iteration
  boundary (one tiny all-reduce over a CPU group per iteration), so one checkpoint is written.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ganlib.train.metrics import Metrics

__all__ = ["Distributed"]


class Distributed:
    """The process group as the Trainer sees it.

    Args:
        device: This process's device.
        backend: ``"nccl"``, ``"gloo"``, or ``None`` for NCCL on CUDA and gloo otherwise.
            The process group is started from the environment (``RANK``, ``WORLD_SIZE``,
            ``MASTER_ADDR``, ``MASTER_PORT``, as torchrun sets them) unless it already is.
        timeout: Seconds a collective may wait before the job fails.

    Attributes:
        rank: This process's rank.
        world_size: Number of processes.
        device: This process's device.
    """

    def __init__(self, device: torch.device, backend: str | None = None, timeout: float = 600.0) -> None:
        self.device = torch.device(device)
        if not dist.is_initialized():
            backend = backend or ("nccl" if self.device.type == "cuda" else "gloo")
            dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout))
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        # Control messages (signals, stop requests) go through a CPU group so that reading
        # them never waits for the GPU.
        self._control: Any = dist.new_group(backend="gloo") if dist.get_backend() != "gloo" else None

    @classmethod
    def from_environment(cls, device: str | torch.device = "auto", backend: str | None = None) -> Distributed | None:
        """Start distribution when launched by torchrun (``WORLD_SIZE`` > 1), else return ``None``.

        Under CUDA each process uses GPU ``LOCAL_RANK``.

        Args:
            device: ``"auto"`` (CUDA when available) or a device type.
            backend: As in the constructor.
        """
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return None
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        kind = torch.device(device).type if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        resolved = torch.device(kind, local_rank) if kind == "cuda" else torch.device(kind)
        if resolved.type == "cuda":
            torch.cuda.set_device(resolved)
        return cls(resolved, backend)

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0, the process that writes files."""
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        """Wrap ``module`` for data-parallel gradients (parameters are broadcast from rank 0).

        Args:
            module: A model on this process's device.

        Returns:
            A :class:`~torch.nn.parallel.DistributedDataParallel` wrapper, or ``module`` itself
            when it has no trainable parameters.
        """
        if not any(p.requires_grad for p in module.parameters()):
            return module
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=device_ids)

    def no_sync(self, module: nn.Module) -> contextlib.AbstractContextManager[Any]:
        """A context in which ``module``'s backward passes do not all-reduce (accumulation).

        Args:
            module: A module returned by :meth:`wrap`.

        Returns:
            The context manager.
        """
        if isinstance(module, DistributedDataParallel):
            return module.no_sync()
        return contextlib.nullcontext()

    def average(self, metrics: Metrics) -> Metrics:
        """Average an iteration's metric values over processes (in place, on the device).

        Args:
            metrics: This process's metrics.

        Returns:
            The same record, its values now the mean over processes.
        """
        if metrics.values.numel():
            dist.all_reduce(metrics.values, op=dist.ReduceOp.SUM)
            metrics.values.div_(self.world_size)
        return metrics

    def agree_on_signal(self, signum: int | None) -> int | None:
        """The signal any process received (the largest number), or ``None``: all stop together.

        Args:
            signum: The signal this process received, or ``None``.

        Returns:
            The agreed signal, the same on every process.
        """
        flag = torch.tensor([signum or 0], dtype=torch.int64)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self._control)
        value = int(flag.item())
        return value or None

    def agree(self, signum: int | None, stop: bool) -> tuple[int | None, bool]:
        """Agree on a signal and a stop request at an iteration boundary: one tiny all-reduce.

        Args:
            signum: The signal this process received, or ``None``.
            stop: Whether this process wants to stop after this iteration (its iteration
                count reached, its time budget spent, or a callback's request on rank 0).

        Returns:
            ``(signal, stop)`` as every process sees them: the largest signal any process got,
            and whether any process asked to stop.
        """
        flags = torch.tensor([signum or 0, int(stop)], dtype=torch.int64)
        dist.all_reduce(flags, op=dist.ReduceOp.MAX, group=self._control)
        agreed_signal, agreed_stop = flags.tolist()
        return (agreed_signal or None), bool(agreed_stop)

    def broadcast_object(self, value: Any) -> Any:
        """``value`` as rank 0 has it, on every process.

        Args:
            value: A picklable value (only rank 0's is used).

        Returns:
            Rank 0's value.
        """
        holder = [value]
        dist.broadcast_object_list(holder, src=0, group=self._control)
        return holder[0]

    def all_gather_object(self, value: Any) -> list[Any]:
        """Every process's ``value``, in rank order, on every process.

        Args:
            value: A picklable value.

        Returns:
            The list of values.
        """
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value, group=self._control)
        return gathered

    def barrier(self) -> None:
        """Wait until every process gets here."""
        dist.barrier(group=self._control)

    def close(self) -> None:
        """Destroy the process group."""
        if dist.is_initialized():
            dist.destroy_process_group()
