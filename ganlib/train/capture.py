"""CUDA-graph capture of a whole training iteration.

On a GPU the eager step is launch-bound: the flagship's iteration (5 critic steps with the
gradient penalty's double backward, optimizer steps, a generator step) is thousands of small
kernel launches, and the GPU idles between them. :class:`GraphCapture` records the
iteration once with :class:`torch.cuda.CUDAGraph` and then replays it as one launch.

This module knows nothing of the Trainer: the Trainer describes what capture needs in a
:class:`CapturePlan` (device, optimizers, random generators, and facts about the feed and
the work), asks :func:`capture_blocker` whether it can capture, and hands the iteration's
body to :meth:`GraphCapture.run`.

What makes capture possible (and what :func:`capture_blocker` checks):

* every tensor the iteration touches is static: real batches are gathered inside the graph
  from a :class:`~ganlib.data.TensorBatches` on the GPU, through index slots filled before
  each replay; noise comes from generators registered with the graph, so each replay draws
  new numbers; the penalty's interpolation weights come from the default CUDA generator,
  which graphs handle the same way;
* optimizers run in their ``capturable`` mode (step counters on the GPU) and gradients are
  zeroed in place, never set to ``None``;
* the iteration does the same work every time;
* metrics are accumulated into static buffers inside the graph and read after the replay;
* the first iterations run eagerly on a side stream, exactly the code path that is then
  recorded, so that lazy initialisation (cuDNN's algorithm search, workspaces) happens
  before capture.

**Learning rates.** A float learning rate would be baked into the recorded graph. While
recording, each optimizer group's ``lr`` is a device tensor the graph reads; afterwards the
group holds a float again, which any scheduler or callback may change, and before every
replay its value is copied into the tensor (a tiny device fill, no host synchronization). So
``torch.optim.lr_scheduler`` and hand-written LR callbacks work unchanged under capture.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor
from torch.optim import Optimizer

__all__ = ["CapturePlan", "GraphCapture", "capture_blocker", "make_capturable", "varying_work"]

SCHEDULE_HORIZON = 256
"""Iterations compared when asking whether every iteration does the same work."""


class _Schedule(Protocol):
    def critic_draws(self, steps: Any) -> int: ...

    def capture_blocker(self) -> str | None: ...


class _Scheduled(Protocol):
    def schedule(self, critic_step: int) -> Hashable: ...

    def generator_schedule(self, iteration: int) -> Hashable: ...


class _Blocker(Protocol):
    def capture_blocker(self) -> str | None: ...


def varying_work(schedule: _Schedule, objective: _Scheduled, critic_steps: int, iteration: int, parts: Sequence[_Blocker], driver: Any = None) -> str | None:
    """Why iterations do not all do the same device work (which one graph would record), or ``None``.

    A part (the step schedule, the augmentation, the callbacks) may say why itself; otherwise the
    objective's lazy penalties are compared over :data:`SCHEDULE_HORIZON` iterations: a penalty
    every k steps where k does not divide the steps of an iteration changes the work.

    Args:
        schedule: The step schedule (its ``critic_draws`` per iteration).
        objective: The objective (its ``schedule`` and ``generator_schedule``).
        critic_steps: Critic steps done so far.
        iteration: Iterations done so far.
        parts: Components that may block capture themselves.
        driver: What the schedule drives (the Trainer), for its ``critic_draws``.

    Returns:
        The reason in words, or ``None``.
    """
    reason = next((r for part in parts if (r := part.capture_blocker()) is not None), None)
    if reason is not None:
        return reason
    n = schedule.critic_draws(driver)

    def key(at: int) -> Hashable:
        start = critic_steps + (at - iteration) * n
        return (tuple(objective.schedule(start + i) for i in range(n)), objective.generator_schedule(at))

    first = key(iteration)
    if any(key(iteration + k) != first for k in range(1, SCHEDULE_HORIZON)):
        return (
            "the objective's work changes from iteration to iteration (a lazy penalty every k steps "
            "where k does not divide the steps of an iteration), and a graph records one iteration"
        )
    return None


def make_capturable(optimizer: Optimizer) -> bool:
    """Switch ``optimizer`` to its capturable mode and move its step counters to the parameters' device.

    Args:
        optimizer: An optimizer such as Adam, AdamW or RMSprop.

    Returns:
        Whether the optimizer could be made capturable (``False`` if it has no such mode).
    """
    if not all("capturable" in group for group in optimizer.param_groups):
        return False
    for group in optimizer.param_groups:
        group["capturable"] = True
    for param, state in optimizer.state.items():
        step = state.get("step")
        if isinstance(step, torch.Tensor) and isinstance(param, torch.Tensor) and step.device != param.device:
            state["step"] = step.to(param.device, torch.float32)
    return True


@dataclass(frozen=True)
class CapturePlan:
    """What capture needs to know about a training loop.

    Attributes:
        device: The training device.
        optimizers: ``(role, optimizer)`` pairs stepped inside the iteration.
        generators: Random generators the iteration draws from besides the default CUDA one
            (registered with the graph, so every replay draws new numbers).
        feed_capturable: Whether the real batches can be gathered inside a graph.
        scaled: Whether fp16 loss scaling decides on the host to skip steps.
        distributed: Whether several processes train together.
        varying_work: Why the iteration's work changes from one iteration to the next, or
            ``None`` when it does not.
    """

    device: torch.device
    optimizers: tuple[tuple[str, Optimizer], ...]
    generators: tuple[torch.Generator, ...] = ()
    feed_capturable: bool = True
    scaled: bool = False
    distributed: bool = False
    varying_work: str | None = None


def capture_blocker(plan: CapturePlan) -> str | None:
    """Why iterations described by ``plan`` cannot be captured, in words, or ``None`` if they can.

    Args:
        plan: The description.

    Returns:
        The reason, or ``None``.
    """
    if plan.device.type != "cuda":
        return f"the models are on {plan.device}; CUDA graphs need a CUDA device"
    if not plan.feed_capturable:
        return "data must be a ganlib.data.TensorBatches on the models' CUDA device, not a DataLoader or host tensors"
    if plan.scaled:
        return "fp16 loss scaling decides on the host whether to skip each step; use bf16 or fp32"
    if plan.distributed:
        return "multi-process (DDP) training is not captured"
    if not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"PyTorch {torch.__version__} cannot register the Trainer's noise generator with a graph (needs 2.5 or newer)"
    if plan.varying_work is not None:
        return plan.varying_work
    for role, optimizer in plan.optimizers:
        if not all("capturable" in group for group in optimizer.param_groups):
            return f"the {role} optimizer ({type(optimizer).__name__}) has no capturable mode; use Adam, AdamW or RMSprop"
    return None


class GraphCapture:
    """Records one iteration as a CUDA graph and replays it.

    Create it only when :func:`capture_blocker` returns ``None``, after making the optimizers
    capturable (:func:`make_capturable`) and turning off autocast's weight cache.

    Args:
        device: The CUDA device.
        optimizers: The optimizers stepped inside the iteration (their learning rates are fed
            to the graph through device tensors).
        generators: Random generators to register with the graph.
        warmup: Eager iterations, on a side stream, before recording.
    """

    def __init__(self, device: torch.device, optimizers: Sequence[Optimizer], generators: Sequence[torch.Generator] = (), warmup: int = 3) -> None:
        self.device = device
        self.optimizers = tuple(optimizers)
        self.generators = tuple(generators)
        self.warmup = warmup
        self.warmed_up = 0
        self._graph: torch.cuda.CUDAGraph | None = None
        self._learning_rates: list[tuple[dict, Tensor]] = []

    @property
    def active(self) -> bool:
        """Whether a graph has been recorded (iterations are replays)."""
        return self._graph is not None

    def run(self, body: Callable[[], None]) -> None:
        """Run one iteration: eagerly while warming up, then by replaying the recorded graph.

        Args:
            body: The iteration's device work (the same callable every time).
        """
        if self._graph is None and self.warmed_up < self.warmup:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                body()
            torch.cuda.current_stream(self.device).wait_stream(side)
            self.warmed_up += 1
            return
        if self._graph is None:
            self._graph = self._record(body)
        self._feed_learning_rates()
        self._graph.replay()

    def _record(self, body: Callable[[], None]) -> torch.cuda.CUDAGraph:
        torch.cuda.synchronize(self.device)
        self._learning_rates = []
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                if not isinstance(group["lr"], Tensor):
                    self._learning_rates.append((group, torch.tensor(float(group["lr"]), device=self.device)))
        floats = [group["lr"] for group, _ in self._learning_rates]
        for group, tensor in self._learning_rates:
            group["lr"] = tensor  # the graph reads the learning rate from here
        graph = torch.cuda.CUDAGraph()
        for generator in self.generators:
            graph.register_generator_state(generator)
        try:
            with torch.cuda.graph(graph):
                body()
        finally:
            for (group, _), value in zip(self._learning_rates, floats, strict=True):
                group["lr"] = value  # schedulers and callbacks keep working with floats
        return graph

    def _feed_learning_rates(self) -> None:
        for group, tensor in self._learning_rates:
            value = group["lr"]
            if isinstance(value, Tensor):
                tensor.copy_(value)
            else:
                tensor.fill_(float(value))

    def release(self) -> None:
        """Drop the recorded graph and its memory (before restoring a checkpoint)."""
        if self._graph is not None:
            torch.cuda.synchronize(self.device)
            self._graph = None
            self._learning_rates = []
            gc.collect()
