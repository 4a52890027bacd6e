"""The training loop: n_critic critic steps per generator step, and nothing else.

The Trainer is the only place in ganlib that calls ``zero_grad``, ``backward`` and an
optimizer's ``step``. It does so through small seams, so that precision, gradient
accumulation, distribution and CUDA-graph capture change what a seam does, never the loop:

* :class:`~ganlib.train.Precision` runs forward passes (autocast), backward passes (loss
  scaling) and optimizer steps;
* a feed (:mod:`ganlib.train.feed`) draws real batches, eagerly or from static slots;
* a distribution strategy (:class:`~ganlib.train.Distributed`) wraps the models and decides
  when gradients are all-reduced;
* :class:`~ganlib.train.GraphCapture` records one iteration and replays it.

Everything it does not need for the update itself (logging, sample grids, checkpoints,
progress, evaluation) lives in callbacks (:mod:`ganlib.train.callbacks`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from ganlib._validation import check_int
from ganlib.checkpoint import save_checkpoint
from ganlib.losses import Objective, Step
from ganlib.models import model_name
from ganlib.train.capture import GraphCapture, capture_blocker
from ganlib.train.ema import EMA
from ganlib.train.feed import Feed, check_sharding, make_feed
from ganlib.train.metrics import FiniteGuard, MetricAccumulator, Metrics
from ganlib.train.precision import Precision
from ganlib.train.rng import get_rng_state, set_rng_state

if TYPE_CHECKING:
    from ganlib.train.distributed import Distributed

__all__ = ["CAPTURE_MODES", "Callback", "Trainer", "TrainingInterrupted"]

CAPTURE_MODES: tuple[str, ...] = ("none", "cuda-graph")
"""Valid values of the Trainer's ``capture`` argument."""

CHECKPOINT_FORMAT = 2


class Callback:
    """Base class of Trainer callbacks. Every hook is a no-op; override what you need.

    Hooks run in the order the callbacks were given, except :meth:`measure`, which runs for
    every callback before any :meth:`on_iteration_end`, so that scores a callback measures
    reach every consumer whatever the order. A callback's state, returned by
    :meth:`state_dict`, is saved in checkpoints under :attr:`state_key` and restored on resume.

    Under multi-process training a callback runs on rank 0 only, unless its class sets
    :attr:`all_ranks` (the checkpoint callback does: saving is collective).

    Attributes:
        all_ranks: Run this callback on every process, not only on rank 0.
    """

    all_ranks: bool = False

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint: the class name by default.

        Override it when a run uses two instances of one callback class.
        """
        return type(self).__qualname__

    def on_fit_start(self, trainer: Trainer) -> None:
        """Called once at the start of :meth:`Trainer.fit`, after any resume."""

    def measure(self, trainer: Trainer) -> Mapping[str, float]:
        """Scores to report for the iteration that just ended (e.g. FID), or none.

        They join the iteration's :class:`~ganlib.train.Metrics` as ``extras``, so loggers and
        plots see them like the objective's terms.

        Args:
            trainer: The Trainer.

        Returns:
            Named host-side values; empty by default.
        """
        return {}

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:
        """Called after each generator iteration with its (immutable) metrics."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """Called once when :meth:`Trainer.fit` reaches its iteration count."""

    def on_interrupt(self, trainer: Trainer) -> None:
        """Called on Ctrl-C or SIGTERM, at the first iteration boundary, before fit raises
        :class:`TrainingInterrupted`. The state is consistent: a checkpoint taken here
        resumes exactly."""

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """Called when fit stops with an error.

        Args:
            trainer: The Trainer; :attr:`Trainer.in_iteration` says whether the error struck
                inside an iteration (the models are then partly updated, and no checkpoint
                should be taken) or between iterations.
            error: The exception, which fit re-raises after the callbacks ran.
        """

    def on_save_checkpoint(self, trainer: Trainer) -> None:
        """Called just before the Trainer's state is gathered for a checkpoint.

        Flush here whatever must be on disk for the checkpoint to be resumable without a gap.

        Args:
            trainer: The Trainer about to be saved.
        """

    def state_dict(self) -> dict[str, Any]:
        """The callback's resumable state (empty by default)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`."""


class TrainingInterrupted(KeyboardInterrupt):
    """:meth:`Trainer.fit` stopped at an iteration boundary after Ctrl-C or SIGTERM.

    Args:
        signum: The signal received.
        iteration: The last completed iteration.

    Attributes:
        signum: The signal received (``signal.SIGINT`` or ``signal.SIGTERM``).
        iteration: The last completed iteration.
        exit_code: The conventional exit status: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum: int, iteration: int) -> None:
        super().__init__(f"{signal.Signals(signum).name} at iteration {iteration}")
        self.signum = signum
        self.iteration = iteration
        self.exit_code = 128 + int(signum)


class _DeferredInterrupt:
    """Turns the first SIGINT or SIGTERM into a flag checked at iteration boundaries.

    A checkpoint taken in the middle of an iteration (after some critic steps) could not be
    resumed exactly, so the signal is honoured once the current iteration has finished. A
    second signal stops at once (the default handlers are back in place).
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        self._restore()

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def __enter__(self) -> _DeferredInterrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in self._SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()


def _load_model(role: str, model: nn.Module, state: dict[str, Any]) -> None:
    """Load a model's weights, explaining a checkpoint of another architecture in one line."""
    saved = state.get(f"{role}_config")
    mine = getattr(model, "config", None)
    if isinstance(saved, dict) and isinstance(mine, dict) and saved != mine:
        differences = [f"{key}: checkpoint {saved.get(key)!r}, this {role} {mine.get(key)!r}" for key in sorted(set(saved) | set(mine)) if saved.get(key) != mine.get(key)]
        raise ValueError(f"the checkpoint's {role} was built with other settings ({'; '.join(differences)}); build the same {role} to resume")
    try:
        model.load_state_dict(state[role])
    except RuntimeError as error:
        first = str(error).strip().splitlines()[1:2] or [str(error)]
        raise ValueError(f"the checkpoint's {role} does not fit this {role} ({first[0].strip()}); was it trained with other settings?") from None


_OPTIMIZER_FLAGS = ("capturable", "fused", "foreach", "differentiable")


def _load_optimizer(optimizer: Optimizer, saved: dict[str, Any]) -> None:
    """Load an optimizer's state, keeping this optimizer's implementation flags.

    A checkpoint written under CUDA-graph capture holds ``capturable=True`` (and step counters
    on the GPU); resumed on the CPU, where Adam has no capturable mode, those flags would fail.
    Hyperparameters come from the checkpoint; how the update runs stays this optimizer's.
    """
    flags = [{key: group[key] for key in _OPTIMIZER_FLAGS if key in group} for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, kept in zip(optimizer.param_groups, flags, strict=True):
        group.update(kept)
    for param, param_state in optimizer.state.items():
        step = param_state.get("step")
        if not isinstance(step, Tensor) or not isinstance(param, Tensor):
            continue
        on_device = any(g.get("capturable") or g.get("fused") for g in optimizer.param_groups if any(p is param for p in g["params"]))
        target = param.device if on_device else torch.device("cpu")
        if step.device != target:
            param_state["step"] = step.to(target)


def _has_batch_statistics(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


class Trainer:
    """Alternating GAN training with n_critic critic updates per generator update.

    One *iteration* follows Gulrajani et al. (2017), Algorithm 1:

    1. ``n_critic`` times: draw a **fresh** real batch, generate fakes without building the
       generator's graph (for the real batch's labels, if the models are conditional), build
       a :class:`~ganlib.losses.Step` and take the objective's critic loss, backpropagate it
       once, step the critic optimizer, then call
       :meth:`~ganlib.losses.Objective.after_critic_step` (weight clipping, after the update).
    2. Once: with the critic's parameters frozen (no gradients are computed for them),
       generate fakes, take the generator loss (with a real batch when the objective or the
       conditioning needs one) and step the generator optimizer; then update the EMA.

    Every term an objective reports is averaged over the steps that reported it and handed
    to the callbacks as the iteration's :class:`~ganlib.train.Metrics`, on the device.

    Args:
        generator: Maps noise ``(N, latent_dim)`` (and labels, if it has a ``num_classes``
            attribute that is not ``None``) to samples.
        critic: Maps samples (and labels, when conditional) to scores ``(N,)``.
        objective: The objective, e.g. ``get_objective("wgan-gp")``.
        generator_optimizer: Optimizer over the generator's parameters.
        critic_optimizer: Optimizer over the critic's parameters.
        data: Real batches: a :class:`~ganlib.data.TensorBatches` on the models' device
            (fastest, capturable, its position is checkpointed), or any iterable of batches,
            e.g. a :class:`torch.utils.data.DataLoader` (restarted after each pass). A batch
            is a tensor or an ``(images, labels)`` pair.
        n_critic: Critic updates per generator update (5 in WGAN and WGAN-GP, 1 in DCGAN).
        callbacks: Callbacks, run in order.
        ema: An :class:`~ganlib.train.EMA` of the generator, updated after each generator step.
        latent_dim: Noise size; defaults to ``generator.latent_dim``.
        seed: Seed of the noise generator.
        precision: ``"fp32"``, ``"bf16"`` (autocast) or ``"fp16"`` (autocast and loss
            scaling), or a :class:`~ganlib.train.Precision`.
        accumulate: Split every batch into this many micro-batches and accumulate their
            gradients before one optimizer step (same result for critics without batch
            statistics, less memory).
        capture: ``"none"`` or ``"cuda-graph"``: record one whole iteration as a CUDA graph and
            replay it (see :class:`~ganlib.train.GraphCapture`); falls back to eager
            iterations, with one warning saying why, where capture cannot apply.
        fuse_critic_forward: Score real and fake batches in one critic forward over their
            concatenation. ``None`` (default): on CUDA, for critics without batch statistics.
        distributed: A :class:`~ganlib.train.Distributed` strategy for multi-process training.
        check_finite_every: Read the NaN/Inf guard every this many iterations (it is also
            read before every checkpoint). The guard costs one tiny kernel per iteration and
            one synchronization per read.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Attributes:
        iteration: Generator iterations completed.
        critic_steps: Critic updates completed.
        max_iterations: The total passed to the running (or last) :meth:`fit`.
        in_iteration: Whether an iteration is under way (for :meth:`Callback.on_exception`).
        last_checkpoint: ``(iteration, path)`` of the newest checkpoint this Trainer saved.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Objective,
        generator_optimizer: Optimizer,
        critic_optimizer: Optimizer,
        data: Iterable[Any],
        *,
        n_critic: int = 5,
        callbacks: Sequence[Callback] = (),
        ema: EMA | None = None,
        latent_dim: int | None = None,
        seed: int = 0,
        precision: str | Precision = "fp32",
        accumulate: int = 1,
        capture: str = "none",
        fuse_critic_forward: bool | None = None,
        distributed: Distributed | None = None,
        check_finite_every: int = 10,
    ) -> None:
        check_int("n_critic", n_critic)
        check_int("accumulate", accumulate, expected="a positive number of micro-batches")
        check_int("check_finite_every", check_finite_every, expected="a positive number of iterations")
        if capture not in CAPTURE_MODES:
            raise ValueError(f"capture={capture!r} is invalid; expected one of {', '.join(map(repr, CAPTURE_MODES))}")
        if not isinstance(objective, Objective):
            raise TypeError(f"objective must be a ganlib.losses.Objective, got {type(objective).__name__}")
        latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("latent_dim is unknown: pass latent_dim=... or give the generator a latent_dim attribute")
        self.generator = generator
        self.critic = critic
        self.objective = objective
        self.generator_optimizer = generator_optimizer
        self.critic_optimizer = critic_optimizer
        self.data = data
        self.n_critic = n_critic
        self.accumulate = accumulate
        self.callbacks = list(callbacks)
        self._check_state_keys()
        self.ema = ema
        self.latent_dim = int(latent_dim)
        self.iteration = 0
        self.critic_steps = 0
        self.max_iterations = 0
        self.in_iteration = False
        self.device = next(generator.parameters()).device
        self.precision = precision if isinstance(precision, Precision) else Precision(precision, self.device)
        self.capture = capture
        self.distributed = distributed
        self.conditional = getattr(generator, "num_classes", None) is not None
        if self.conditional and getattr(critic, "num_classes", None) is None:
            raise ValueError("the generator is conditional (it has num_classes) but the critic is not; use a conditional critic")
        self.fuse = fuse_critic_forward if fuse_critic_forward is not None else self.device.type == "cuda" and not _has_batch_statistics(critic)
        if self.fuse and _has_batch_statistics(critic):
            raise ValueError("fuse_critic_forward=True with a BatchNorm critic would mix real and fake batch statistics; leave it None or False")
        self._seed = seed
        self._noise_rng = torch.Generator(self.device).manual_seed(seed)
        # Only the parameters that were trainable to begin with are frozen and thawed.
        self._critic_params = [p for p in critic.parameters() if p.requires_grad]
        self._stats = MetricAccumulator(self.device)
        self._noise: dict[int, Tensor] = {}
        self._batch_size = 0
        self._feed: Feed | None = None
        self._graph: GraphCapture | None = None
        self._guard = FiniteGuard(self.device, check_finite_every)
        self.last_checkpoint: tuple[int, Path] | None = None
        self._critic_module: nn.Module = critic
        self._generator_module: nn.Module = generator
        if distributed is not None:
            check_sharding(data, distributed.rank, distributed.world_size)
            self._critic_module = distributed.wrap(critic)
            self._generator_module = distributed.wrap(generator)

    # --- helpers -----------------------------------------------------------------------------

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator to draw samples from: the EMA copy when there is one."""
        return self.ema.module if self.ema is not None else self.generator

    @property
    def noise_generator(self) -> torch.Generator:
        """The generator of the training noise (on the training device, seeded with ``seed``)."""
        return self._noise_rng

    @property
    def needs_real_in_generator_step(self) -> bool:
        """Whether the generator step draws a real batch (objective or conditioning asks for it)."""
        return self.objective.needs_real_in_generator_step or self.conditional

    @property
    def healthy(self) -> bool:
        """Whether no non-finite metric has been seen (reads the guard: one synchronization)."""
        return self._guard.healthy()

    @property
    def is_main(self) -> bool:
        """Whether this process writes files: always in one process, rank 0 under distribution."""
        return self.distributed is None or self.distributed.is_main

    @property
    def captured(self) -> bool:
        """Whether iterations are being replayed from a CUDA graph."""
        return self._graph is not None and self._graph.active

    def _check_state_keys(self) -> None:
        # Only callbacks with state need distinct keys.
        keys = [cb.state_key for cb in self.callbacks if type(cb).state_dict is not Callback.state_dict]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(
                f"callbacks share the state key(s) {repeated}; give each instance its own state_key "
                "(override the state_key property) so that their states are saved separately"
            )

    def _sample_noise(self, batch_size: int) -> Tensor:
        # One buffer per size, refilled in place. Under distribution every process draws the
        # global batch's noise and keeps its own slice, so a run on W processes at batch B
        # sees exactly the noise of one process at batch W * B.
        world, rank = (1, 0) if self.distributed is None else (self.distributed.world_size, self.distributed.rank)
        buffer = self._noise.get(batch_size)
        if buffer is None:
            buffer = self._noise[batch_size] = torch.empty(batch_size * world, self.latent_dim, device=self.device)
        buffer.normal_(generator=self._noise_rng)
        return buffer[rank * batch_size : (rank + 1) * batch_size]

    def _generate(self, module: nn.Module, noise: Tensor, labels: Tensor | None) -> Tensor:
        if self.conditional:
            if labels is None:
                raise ValueError("the models are conditional but the data has no labels; pass (images, labels) batches")
            return module(noise, labels)
        return module(noise)

    def _micro_batches(self, *tensors: Tensor | None) -> Iterator[tuple[Any, ...]]:
        if self.accumulate == 1:
            yield tensors
            return
        size = next(len(t) for t in tensors if t is not None)
        if size % self.accumulate:
            raise ValueError(f"accumulate={self.accumulate} does not divide the batch of {size} samples; choose a divisor of the batch size")
        chunks = [None if t is None else t.chunk(self.accumulate) for t in tensors]
        for i in range(self.accumulate):
            yield tuple(None if c is None else c[i] for c in chunks)

    def _sync(self, module: nn.Module, last: bool) -> contextlib.AbstractContextManager[Any]:
        if self.distributed is None or last:
            return contextlib.nullcontext()
        return self.distributed.no_sync(module)

    def _scaled(self, loss: Tensor) -> Tensor:
        return loss if self.accumulate == 1 else loss / self.accumulate

    # --- one iteration -------------------------------------------------------------------------

    def _critic_step(self, index: int) -> None:
        optimizer = self.critic_optimizer
        optimizer.zero_grad(set_to_none=not self.captured_code_path)
        real, labels = self._feed_draw()
        self._batch_size = real.shape[0]
        noise = self._sample_noise(real.shape[0])
        for micro, (r, y, z) in enumerate(self._micro_batches(real, labels, noise)):
            with self._sync(self._critic_module, micro == self.accumulate - 1), self.precision.autocast():
                with torch.no_grad():
                    fake = self._generate(self.generator, z, y).to(r.dtype)
                step = Step(
                    "critic",
                    self._critic_module,
                    fake=fake,
                    noise=z,
                    real=r,
                    labels=y,
                    conditional=self.conditional,
                    critic_step=self.critic_steps + index,
                    iteration=self.iteration,
                    grad_scale=self.precision.grad_scale("critic"),
                    fuse=self.fuse,
                )
                terms = self.objective.critic_loss(step)
            self.precision.backward(self._scaled(terms["loss"]), "critic")
            self._stats.report("critic", terms)
        self.precision.step(optimizer, "critic")
        self.objective.after_critic_step(self.critic)

    def _generator_step(self) -> None:
        optimizer = self.generator_optimizer
        optimizer.zero_grad(set_to_none=not self.captured_code_path)
        real, labels = self._feed_draw() if self.needs_real_in_generator_step else (None, None)
        noise = self._sample_noise(real.shape[0] if real is not None else self._batch_size)
        for p in self._critic_params:
            p.requires_grad_(False)
        try:
            for micro, (z, r, y) in enumerate(self._micro_batches(noise, real, labels)):
                with self._sync(self._generator_module, micro == self.accumulate - 1), self.precision.autocast():
                    fake = self._generate(self._generator_module, z, y)
                    step = Step(
                        "generator",
                        self.critic,
                        fake=fake,
                        noise=z,
                        real=r,
                        labels=y,
                        conditional=self.conditional,
                        critic_step=self.critic_steps + self.n_critic,
                        iteration=self.iteration,
                        grad_scale=self.precision.grad_scale("generator"),
                        fuse=self.fuse,
                    )
                    terms = self.objective.generator_loss(step)
                self.precision.backward(self._scaled(terms["loss"]), "generator")
                self._stats.report("generator", terms)
        finally:
            for p in self._critic_params:
                p.requires_grad_(True)
        self.precision.step(optimizer, "generator")

    def _feed_draw(self) -> tuple[Tensor, Tensor | None]:
        assert self._feed is not None
        return self._feed.draw()

    def _iteration_body(self) -> None:
        """One whole iteration's device work: what a CUDA graph records."""
        self._stats.reset()
        for index in range(self.n_critic):
            self._critic_step(index)
        self._generator_step()
        if self.ema is not None:
            self.ema.update(self.generator)

    @property
    def captured_code_path(self) -> bool:
        """Whether iterations run the code path that a CUDA graph records (static gradients)."""
        return self._graph is not None

    def _setup(self) -> None:
        """Choose the feed and, if asked, prepare capture (on the first iteration, after any resume)."""
        slots = self.n_critic + (1 if self.needs_real_in_generator_step else 0)
        self._feed = make_feed(self.data, self.device, slots)
        # Under fp16 a few overflowing (skipped) steps are normal while the loss scale settles.
        self._guard.patience = 20 if self.precision.scaled else 1
        if self.capture != "cuda-graph":
            return
        reason = capture_blocker(self, self._feed)
        if reason is not None:
            warnings.warn(f"capture='cuda-graph' is not possible here ({reason}); training eagerly", RuntimeWarning, stacklevel=3)
            return
        self._graph = GraphCapture(self)

    def train_iteration(self) -> Metrics:
        """Run one generator iteration: ``n_critic`` critic steps, then one generator step.

        Returns:
            The iteration's :class:`~ganlib.train.Metrics`, on the device.
        """
        if self._feed is None:
            self._setup()
        assert self._feed is not None
        self._feed.prepare()
        if self._graph is not None:
            self._graph.run(self._iteration_body)
        else:
            self._iteration_body()
        self.critic_steps += self.n_critic
        self.iteration += 1
        metrics = self._stats.finish(self.iteration)
        if self.distributed is not None:
            metrics = self.distributed.average(metrics)
        self._guard.observe(metrics)
        return metrics

    # --- the loop -----------------------------------------------------------------------------

    @property
    def active_callbacks(self) -> list[Callback]:
        """The callbacks this process runs: all of them on rank 0, the ``all_ranks`` ones elsewhere."""
        return self.callbacks if self.is_main else [cb for cb in self.callbacks if cb.all_ranks]

    def _run_callbacks(self, hook: str, *args: Any) -> None:
        for callback in self.active_callbacks:
            getattr(callback, hook)(self, *args)

    def fit(self, iterations: int) -> None:
        """Train until ``iterations`` generator iterations have been completed in total.

        ``iterations`` counts from the start of training, not from a resume, so a resumed
        run stops where the uninterrupted run would have. On Ctrl-C or SIGTERM the current
        iteration is finished, every callback's :meth:`~Callback.on_interrupt` runs (the
        checkpoint callback saves there) and :class:`TrainingInterrupted` is raised. A second
        signal stops at once, without a checkpoint. Any other error runs
        :meth:`~Callback.on_exception` and propagates.

        Args:
            iterations: Total number of generator iterations.

        Raises:
            ValueError: If ``iterations`` is below the iterations already done.
            TrainingInterrupted: After a signal has been handled.
        """
        check_int(
            "iterations",
            iterations,
            minimum=self.iteration,
            expected=f"the total number of generator iterations, at least the {self.iteration} already done",
        )
        self.max_iterations = iterations
        self.generator.train()
        self.critic.train()
        with _DeferredInterrupt() as interrupt:
            try:
                self._run_callbacks("on_fit_start")
                while self.iteration < self.max_iterations:
                    self.in_iteration = True
                    metrics = self.train_iteration()
                    self.in_iteration = False
                    self._guard.check_if_due()
                    extras: dict[str, float] = {}
                    for callback in self.active_callbacks:
                        extras.update(callback.measure(self))
                    if extras:
                        metrics = metrics.with_extras(extras)
                    self._run_callbacks("on_iteration_end", metrics)
                    signum = interrupt.signum
                    if self.distributed is not None:
                        signum = self.distributed.agree_on_signal(signum)
                    if signum is not None:
                        self._run_callbacks("on_interrupt")
                        raise TrainingInterrupted(signum, self.iteration)
            except TrainingInterrupted:
                raise
            except BaseException as error:
                self._run_callbacks("on_exception", error)
                raise
        self._run_callbacks("on_fit_end")

    # --- checkpoints --------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly.

        Returns:
            Models, optimizers, EMA, the objective's and the loss scalers' states, counters,
            the noise generator, every global RNG, the data stream's position (if it has
            one), the callbacks' states by :attr:`~Callback.state_key`, and each model's
            registry name and ``config`` (if it has them) so it can be rebuilt for sampling.
        """
        return {
            "format": CHECKPOINT_FORMAT,
            "iteration": self.iteration,
            "critic_steps": self.critic_steps,
            "n_critic": self.n_critic,
            "precision": self.precision.precision,
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "generator_optimizer": self.generator_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "objective": self.objective.state_dict(),
            "scalers": self.precision.state_dict(),
            "noise_rng": self._noise_rng.get_state(),
            "noise_rng_device": self.device.type,
            "rng": get_rng_state(),
            "rng_per_rank": self.distributed.all_gather_object(get_rng_state()) if self.distributed is not None else None,
            "data": self.data.state_dict() if hasattr(self.data, "state_dict") else None,
            "callbacks": {cb.state_key: cb.state_dict() for cb in self.callbacks},
            "generator_model": model_name(self.generator),
            "generator_config": getattr(self.generator, "config", None),
            "critic_model": model_name(self.critic),
            "critic_config": getattr(self.critic, "config", None),
        }

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Let every callback prepare (:meth:`Callback.on_save_checkpoint`), then write
        :meth:`state_dict` to ``path`` atomically.

        Under distribution this is collective (every rank must call it: the state holds each
        rank's random states) and only rank 0 writes.

        Args:
            path: The checkpoint file.

        Returns:
            The path (written on rank 0).
        """
        self._guard.check()  # never write a checkpoint from a diverged state
        self._run_callbacks("on_save_checkpoint")
        state = self.state_dict()
        if self.is_main:
            save_checkpoint(state, path)
        if self.distributed is not None:
            self.distributed.barrier()  # no rank reads the file before it is complete
        self.last_checkpoint = (self.iteration, Path(path))
        return Path(path)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`.

        Args:
            state: The saved state (e.g. from :func:`~ganlib.checkpoint.load_checkpoint`).

        Raises:
            ValueError: If the state holds an EMA but this Trainer has none, or the reverse.
        """
        if (state["ema"] is None) != (self.ema is None):
            raise ValueError(
                "the checkpoint and this Trainer disagree about the EMA: "
                f"checkpoint has {'no ' if state['ema'] is None else ''}EMA, Trainer has "
                f"{'none' if self.ema is None else 'one'}; pass the same --ema setting"
            )
        if self._graph is not None:  # re-capture from the restored state
            self._graph.release()
            self._graph = None
        self._feed = None
        self._guard.reset()
        self.iteration = state["iteration"]
        self.critic_steps = state["critic_steps"]
        for role, model in (("generator", self.generator), ("critic", self.critic)):
            _load_model(role, model, state)
        _load_optimizer(self.generator_optimizer, state["generator_optimizer"])
        _load_optimizer(self.critic_optimizer, state["critic_optimizer"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        self.objective.load_state_dict(state.get("objective", {}))
        self.precision.load_state_dict(state.get("scalers", {}))
        self._load_noise_rng(state)
        set_rng_state(self._own_rng_state(state))
        if state["data"] is not None and hasattr(self.data, "load_state_dict"):
            self.data.load_state_dict(state["data"])
        self._load_callback_states(state["callbacks"])

    def _own_rng_state(self, state: dict[str, Any]) -> dict[str, Any]:
        per_rank = state.get("rng_per_rank")
        world, rank = (1, 0) if self.distributed is None else (self.distributed.world_size, self.distributed.rank)
        if per_rank is None:
            if world > 1:
                warnings.warn("the checkpoint was written by one process; every rank resumes from its random state", RuntimeWarning, stacklevel=3)
            return state["rng"]
        if len(per_rank) != world:
            warnings.warn(
                f"the checkpoint holds the random states of {len(per_rank)} processes, this run has {world}: "
                "resuming with rank 0's, so the continuation is not the uninterrupted run",
                RuntimeWarning,
                stacklevel=3,
            )
            return per_rank[0]
        return per_rank[rank]

    def _load_noise_rng(self, state: dict[str, Any]) -> None:
        saved_type = state.get("noise_rng_device", "cpu" if state["noise_rng"].numel() > 16 else "cuda")
        if saved_type == self.device.type:
            self._noise_rng.set_state(state["noise_rng"].cpu())
            return
        # A CPU generator's state (Mersenne Twister) means nothing to a CUDA generator
        # (Philox seed and offset) and back: derive a new seed from the saved state instead.
        seed = int(torch.as_tensor(state["noise_rng"]).to(torch.int64).sum()) * 1_000_003 + int(state["iteration"])
        self._noise_rng.manual_seed(seed % (2**63))
        warnings.warn(
            f"the checkpoint's noise generator ran on {saved_type} and this run is on {self.device.type}: "
            "noise continues from a seed derived from the saved state, so the rest of the run is "
            "reproducible but not identical to an uninterrupted run on the original device",
            RuntimeWarning,
            stacklevel=3,
        )

    def _load_callback_states(self, saved: dict[str, Any]) -> None:
        # Checkpoints of ganlib 0.1.0 keyed callbacks "ClassName.1".
        saved = {(key[:-2] if key.endswith(".1") else key): value for key, value in saved.items()}
        keys = {callback.state_key for callback in self.callbacks}
        for callback in self.callbacks:
            if callback.state_key in saved:
                callback.load_state_dict(saved[callback.state_key])
            elif type(callback).state_dict is not Callback.state_dict:
                warnings.warn(f"the checkpoint holds no state for callback {callback.state_key!r}; it starts fresh", RuntimeWarning, stacklevel=3)
        unused = sorted(k for k, v in saved.items() if k not in keys and v)
        if unused:
            warnings.warn(f"the checkpoint holds state for callbacks this run does not have: {unused}", RuntimeWarning, stacklevel=3)

