"""CUDA-graph capture of a whole training iteration.

On a GPU the eager step is launch-bound: the flagship's iteration (5 critic steps with the
gradient penalty's double backward, optimizer steps, a generator step) is thousands of small
kernel launches, and the GPU idles between them. :class:`GraphCapture` records the
iteration once with :class:`torch.cuda.CUDAGraph` and then replays it as one launch.

What makes that possible (and what :func:`capture_blocker` checks):

* every tensor the iteration touches is static: the real batches are gathered inside the
  graph from a :class:`~ganlib.data.TensorBatches` on the GPU, through index slots the
  Trainer fills before each replay (:class:`~ganlib.train.feed.IndexFeed`); noise comes from
  the Trainer's CUDA generator, registered with the graph so that each replay draws new
  numbers; the penalty's interpolation weights come from the default CUDA generator, which
  graphs handle the same way;
* optimizers run in their ``capturable`` mode (step counters on the GPU) and gradients are
  zeroed in place, never set to ``None``;
* the iteration does the same work every time (an objective whose
  :meth:`~ganlib.losses.Objective.schedule` varies between iterations cannot be recorded once);
* metrics are accumulated into static buffers inside the graph and read after the replay;
* the first iterations run eagerly on a side stream, exactly the code path that is then
  recorded, so that lazy initialisation (cuDNN's algorithm search with
  ``torch.backends.cudnn.benchmark``, workspace allocation) happens before capture.

The eager warm-up iterations are real training iterations; the recording itself computes
nothing, and is followed at once by the first replay.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch.optim import Optimizer

from ganlib.train.feed import Feed

if TYPE_CHECKING:
    from ganlib.train.trainer import Trainer

__all__ = ["GraphCapture", "capture_blocker", "make_capturable"]

_SCHEDULE_HORIZON = 256


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


def _schedule_varies(trainer: Trainer) -> bool:
    n, start = trainer.n_critic, trainer.critic_steps
    first = tuple(trainer.objective.schedule(start + i) for i in range(n))
    return any(
        tuple(trainer.objective.schedule(start + k * n + i) for i in range(n)) != first for k in range(1, _SCHEDULE_HORIZON)
    )


def capture_blocker(trainer: Trainer, feed: Feed) -> str | None:
    """Why ``trainer``'s iterations cannot be captured, in words, or ``None`` if they can.

    Args:
        trainer: The Trainer.
        feed: The feed it draws batches from.

    Returns:
        The reason, or ``None``.
    """
    if trainer.device.type != "cuda":
        return f"the models are on {trainer.device}; CUDA graphs need a CUDA device"
    if not feed.capturable:
        return "data must be a ganlib.data.TensorBatches on the models' CUDA device, not a DataLoader or host tensors"
    if trainer.precision.scaled:
        return "fp16 loss scaling decides on the host whether to skip each step; use bf16 or fp32"
    if trainer.distributed is not None:
        return "multi-process (DDP) training is not captured"
    if not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"PyTorch {torch.__version__} cannot register the Trainer's noise generator with a graph (needs 2.5 or newer)"
    if _schedule_varies(trainer):
        return (
            "the objective's work changes from iteration to iteration (a lazy penalty every k critic steps "
            "where k does not divide n_critic), and a graph records one iteration"
        )
    for role, optimizer in (("generator", trainer.generator_optimizer), ("critic", trainer.critic_optimizer)):
        if not all("capturable" in group for group in optimizer.param_groups):
            return f"the {role} optimizer ({type(optimizer).__name__}) has no capturable mode; use Adam, AdamW or RMSprop"
    return None


class GraphCapture:
    """Records one iteration of a Trainer as a CUDA graph and replays it.

    Create it only when :func:`capture_blocker` returns ``None``. It switches both optimizers
    to their capturable mode and turns off autocast's weight cache (which a graph cannot hold).

    Args:
        trainer: The Trainer whose iterations are recorded.
        warmup: Eager iterations, on a side stream, before recording.
    """

    def __init__(self, trainer: Trainer, warmup: int = 3) -> None:
        self.trainer = trainer
        self.warmup = warmup
        self.warmed_up = 0
        self._graph: torch.cuda.CUDAGraph | None = None
        for optimizer in (trainer.generator_optimizer, trainer.critic_optimizer):
            make_capturable(optimizer)
        trainer.precision.cache_enabled = False

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
            side = torch.cuda.Stream(self.trainer.device)
            side.wait_stream(torch.cuda.current_stream(self.trainer.device))
            with torch.cuda.stream(side):
                body()
            torch.cuda.current_stream(self.trainer.device).wait_stream(side)
            self.warmed_up += 1
            return
        if self._graph is None:
            self._graph = self._record(body)
        self._graph.replay()

    def _record(self, body: Callable[[], None]) -> torch.cuda.CUDAGraph:
        torch.cuda.synchronize(self.trainer.device)
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.trainer.noise_generator)
        with torch.cuda.graph(graph):
            body()
        return graph

    def release(self) -> None:
        """Drop the recorded graph and its memory (before restoring a checkpoint)."""
        if self._graph is not None:
            torch.cuda.synchronize(self.trainer.device)
            self._graph = None
            gc.collect()
