"""The training loop: the Trainer runs iterations, keeps their counters, and saves and restores
every state a run needs to continue exactly.

The steps of one iteration are a :class:`~ganlib.train.StepRunner`'s (the only code that
calls ``zero_grad``, ``backward`` and an optimizer's ``step``, through the seams it lists); the
rest lives in rooms of its own: the callbacks and their dispatch (:mod:`ganlib.train.callback`),
the checkpoint state and its formats (:mod:`ganlib.train.state`), signals
(:mod:`ganlib.train.signals`), the metric history (:mod:`ganlib.train.history`).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from ganlib._validation import check_int
from ganlib.augment import Augment
from ganlib.checkpoint import save_checkpoint
from ganlib.errors import TrainingInterrupted
from ganlib.losses import Objective
from ganlib.train.callback import Callback, CallbackList
from ganlib.train.accumulate import Accumulation
from ganlib.train.noise import NoiseSource
from ganlib.train.parts import Stateful, check_parts, choose_fuse
from ganlib.train.ema import EMA
from ganlib.train.feed import check_sharding
from ganlib.train.history import History
from ganlib.train.metrics import FiniteGuard, Metrics
from ganlib.train.precision import Precision
from ganlib.train.schedule import FixedSchedule, StepSchedule
from ganlib.train.signals import DeferredInterrupt
from ganlib.train.steps import StepRunner, held_by_the_steps
from ganlib.train.state import gather_state, restore_state

if TYPE_CHECKING:
    from ganlib.train.distributed import Distributed

__all__ = ["CAPTURE_MODES", "Callback", "Stateful", "Trainer", "TrainingInterrupted"]

CAPTURE_MODES: tuple[str, ...] = ("none", "cuda-graph")
"""Valid values of the Trainer's ``capture`` argument."""

class Trainer:
    """Alternating GAN training: critic steps and generator steps, as a step schedule says.

    By default one *iteration* follows Gulrajani et al. (2017), Algorithm 1:

    1. ``n_critic`` times: draw a **fresh** real batch, generate fakes without building the
       generator's graph (for the real batch's labels, if the models are conditional), build
       a :class:`~ganlib.losses.Step` and take the objective's critic loss, backpropagate it
       once, step the critic optimizer, then call
       :meth:`~ganlib.losses.Objective.after_critic_step` (weight clipping, after the update).
    2. Once: with the critic's parameters frozen (no gradients are computed for them),
       generate fakes, take the generator loss (with a real batch when the objective or the
       conditioning needs one) and step the generator optimizer; then update the EMA.

    Every term an objective reports is averaged over the steps that reported it and handed
    to the callbacks as the iteration's :class:`~ganlib.train.Metrics`, on the device; the
    host-side :attr:`history` converts them in batches when someone reads them.

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
        n_critic: Critic updates per generator update (5 in WGAN and WGAN-GP, 1 in DCGAN);
            the :class:`~ganlib.train.FixedSchedule` used when ``step_schedule`` is ``None``.
        callbacks: Callbacks, run in order.
        ema: An :class:`~ganlib.train.EMA` of the generator, updated after each iteration.
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
        augment: An :class:`~ganlib.augment.Augment` applied to every batch the critic sees.
        step_schedule: A :class:`~ganlib.train.StepSchedule`; ``FixedSchedule(n_critic)`` when ``None``.

    Raises:
        ValueError: If an argument is invalid (the message names it), for example optimizers
            that hold the other network's parameters.

    Attributes:
        iteration: Generator iterations completed.
        critic_steps: Critic updates completed.
        max_iterations: The total passed to the running (or last) :meth:`fit`.
        time_spent: Seconds spent in :meth:`fit`, over this run and the runs it resumed.
        last_iteration: Whether the iteration that just ended is the last of this fit (its
            count reached or its time budget spent); evaluations score it whatever their interval.
        should_stop: Set it (from a callback) to end :meth:`fit` after the current iteration.
        in_iteration: Whether an iteration is under way (for :meth:`Callback.on_exception`).
        last_checkpoint: ``(iteration, path)`` of the newest checkpoint this Trainer saved.
        history: The host-side :class:`~ganlib.train.History` of every iteration's metrics.
        checkpointed: Components saved in checkpoints by name
            (:meth:`register_for_checkpointing`).
    """

    objective = held_by_the_steps("objective", "The objective.")
    generator_optimizer = held_by_the_steps("generator_optimizer", "The generator's optimizer.")
    critic_optimizer = held_by_the_steps("critic_optimizer", "The critic's optimizer.")
    device = held_by_the_steps("device", "The models' device.")
    precision = held_by_the_steps("precision", "The :class:`~ganlib.train.Precision` of the steps.")
    augment = held_by_the_steps("augment", "The augmentation of every batch the critic sees, or ``None``.")
    conditional = held_by_the_steps("conditional", "Whether the models take a condition (labels, or a coarse image) with each batch.")

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
        augment: Augment | None = None,
        step_schedule: StepSchedule | None = None,
    ) -> None:
        check_int("n_critic", n_critic)
        check_int("accumulate", accumulate, expected="a positive number of micro-batches")
        check_int("check_finite_every", check_finite_every, expected="a positive number of iterations")
        if capture not in CAPTURE_MODES:
            raise ValueError(f"capture={capture!r} is invalid; expected one of {', '.join(map(repr, CAPTURE_MODES))}")
        latent_dim = check_parts(generator, critic, objective, (generator_optimizer, critic_optimizer), latent_dim)
        self.generator = generator
        self.critic = critic
        self.data = data
        self.step_schedule = step_schedule if step_schedule is not None else FixedSchedule(n_critic)
        self.n_critic = getattr(self.step_schedule, "n_critic", n_critic)
        self.accumulate = accumulate
        self.callbacks = CallbackList(callbacks)
        self.ema = ema
        self.latent_dim = latent_dim
        self.iteration = 0
        self.critic_steps = 0
        self.max_iterations = 0
        self.time_spent = 0.0
        self.time_budget: float | None = None
        self.last_iteration = False
        self.should_stop = False
        self.in_iteration = False
        device = next(generator.parameters()).device
        precision = precision if isinstance(precision, Precision) else Precision(precision, device)
        self.capture = capture
        self.distributed = distributed
        augment = augment.to(device) if augment is not None else None
        fuse = choose_fuse(fuse_critic_forward, device, critic)
        self.history = History()
        self.checkpointed: dict[str, Stateful] = {}
        self.last_checkpoint: tuple[int, Path] | None = None
        world, rank = (1, 0) if distributed is None else (distributed.world_size, distributed.rank)
        self._noise_source = NoiseSource(self.latent_dim, device, seed, rank, world)
        self._guard = FiniteGuard(device, check_finite_every)
        wrapped = (generator, critic)
        if distributed is not None:
            check_sharding(data, distributed.rank, distributed.world_size)
            wrapped = (distributed.wrap(generator), distributed.wrap(critic))
        self._steps = StepRunner(
            generator, critic, objective, (generator_optimizer, critic_optimizer),
            precision=precision, accumulation=Accumulation(accumulate, distributed), callbacks=self.callbacks,
            noise=self._noise_source, augment=augment, fuse=fuse, wrapped=wrapped, owner=self,
        )

    # --- properties ---------------------------------------------------------------------------

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator to draw samples from: the EMA copy when there is one."""
        return self.ema.module if self.ema is not None else self.generator

    @property
    def noise_generator(self) -> torch.Generator:
        """The generator of the training noise (on the training device, seeded with ``seed``)."""
        return self._noise_source.generator

    @property
    def needs_real_in_generator_step(self) -> bool:
        """Whether the generator step draws a real batch (objective or conditioning asks for it)."""
        return self._steps.needs_real_in_generator_step

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
        return self._steps.graph is not None and self._steps.graph.active

    @property
    def captured_code_path(self) -> bool:
        """Whether iterations run the code path that a CUDA graph records (static gradients)."""
        return self._steps.static_gradients

    @property
    def active_callbacks(self) -> list[Callback]:
        """The callbacks whose host-side hooks run in this process."""
        return self.callbacks.active(self.is_main)

    def register_for_checkpointing(self, name: str, component: Stateful) -> None:
        """Save ``component``'s ``state_dict`` in every checkpoint under ``name`` and restore it on resume.

        Args:
            name: A key unique among registered components.
            component: Anything with ``state_dict`` and ``load_state_dict``.

        Raises:
            ValueError: If ``name`` is taken or ``component`` has no state methods.
        """
        if name in self.checkpointed:
            raise ValueError(f"a component is already registered for checkpointing as {name!r}")
        if not (callable(getattr(component, "state_dict", None)) and callable(getattr(component, "load_state_dict", None))):
            raise ValueError(f"{type(component).__name__} has no state_dict/load_state_dict to checkpoint")
        self.checkpointed[name] = component

    # --- the steps (a StepRunner's) -------------------------------------------------------------

    def models_changed(self) -> None:
        """Say that the models, their optimizers or the data changed shape (a network grew): the
        steps re-read the parameters, and the feed and any CUDA graph are prepared afresh."""
        self._steps.refresh()

    def report(self, phase: str, terms: Mapping[str, Tensor]) -> None:
        """Add terms (device scalars) to this iteration's metrics, averaged like the objective's.

        Args:
            phase: ``"critic"`` or ``"generator"`` (for names without a namespace).
            terms: Named scalar tensors.
        """
        self._steps.report(phase, terms)

    def critic_step(self) -> dict[str, Tensor]:
        """One critic update (:class:`~ganlib.train.StepRunner` takes it).

        Returns:
            The objective's terms of the last micro-batch (device tensors).
        """
        return self._steps.critic_step()

    def generator_step(self) -> dict[str, Tensor]:
        """One generator update, with the critic's parameters frozen.

        Returns:
            The objective's terms of the last micro-batch (device tensors).
        """
        return self._steps.generator_step()

    def capture_blocker(self) -> str | None:
        """Why this Trainer's iterations cannot be recorded as a CUDA graph.

        Returns:
            The reason in words, or ``None`` when they can.
        """
        return self._steps.capture_blocker(self.data, self.step_schedule, self.iteration, self.critic_steps, distributed=self.distributed is not None)

    def _setup(self) -> None:
        """Choose the feed and, if asked, prepare capture (on the first iteration, after any resume)."""
        # Under fp16 a few overflowing (skipped) steps are normal while the loss scale settles.
        self._guard.patience = 20 if self.precision.scaled else 1
        capture = False
        if self.capture == "cuda-graph":
            reason = self.capture_blocker()
            if reason is not None:
                warnings.warn(f"capture='cuda-graph' is not possible here ({reason}); training eagerly", RuntimeWarning, stacklevel=3)
            capture = reason is None
        self._steps.prepare(self.data, self.step_schedule, self.iteration, capture=capture)

    def train_iteration(self) -> Metrics:
        """Run one iteration of the step schedule (``n_critic`` critic steps, one generator step by default).

        Returns:
            The iteration's :class:`~ganlib.train.Metrics`, on the device.
        """
        steps = self._steps
        if steps.feed is None:
            self._setup()
        steps.at(self.iteration, self.critic_steps, self.max_iterations)
        steps.run(self.step_schedule, self.ema)
        self.critic_steps += steps.steps_in_body  # the recorded count, under replay
        self.iteration += 1
        metrics = steps.stats.finish(self.iteration)
        if self.distributed is not None:
            metrics = self.distributed.average(metrics)
        if self.augment is not None:
            # r_t is averaged over the processes above; the images are every process's (ADA counts the global batch)
            world = 1 if self.distributed is None else self.distributed.world_size
            self.augment.after_iteration(metrics.names, metrics.values, images=steps.steps_in_body * steps.batch_size * world)
        self._guard.observe(metrics)
        return metrics

    # --- the loop -----------------------------------------------------------------------------

    def _call(self, hook: str, *args: Any) -> None:
        self.callbacks.call(hook, self, *args, is_main=self.is_main)

    def fit(self, iterations: int, *, time_budget: float | None = None) -> None:
        """Train until ``iterations`` generator iterations have been completed in total.

        ``iterations`` counts from the start of training, not from a resume, so a resumed
        run stops where the uninterrupted run would have. Training also ends once
        ``time_budget`` seconds have been spent in ``fit`` (over the resumed runs too), or when
        a callback sets :attr:`should_stop`. On Ctrl-C or SIGTERM the current iteration is
        finished, every callback's :meth:`~Callback.on_interrupt` runs (the checkpoint
        callback saves there) and :class:`~ganlib.errors.TrainingInterrupted` is raised. A
        second signal stops at once, without a checkpoint. Any other error runs
        :meth:`~Callback.on_exception` and propagates.

        Args:
            iterations: Total number of generator iterations.
            time_budget: Total seconds of training, or ``None`` for no limit.

        Raises:
            ValueError: If ``iterations`` is below the iterations already done, or
                ``time_budget`` is not positive.
            TrainingInterrupted: After a signal has been handled.
        """
        done = f"the total number of generator iterations, at least the {self.iteration} already done"
        check_int("iterations", iterations, minimum=self.iteration, expected=done)
        if time_budget is not None and not time_budget > 0:
            raise ValueError(f"time_budget={time_budget!r} is invalid; expected a positive number of seconds")
        self.max_iterations = iterations
        self.time_budget = time_budget
        self.should_stop = False
        self.last_iteration = False
        self.generator.train()
        self.critic.train()
        with DeferredInterrupt() as interrupt:
            try:
                self._call("on_fit_start")
                spent, start = self.time_spent, time.perf_counter()
                while self.iteration < self.max_iterations and not self.should_stop:
                    self._call("on_iteration_start")
                    self.in_iteration = True
                    metrics = self.train_iteration()
                    self.in_iteration = False
                    self.time_spent = spent + time.perf_counter() - start
                    budget = self.time_budget
                    self.last_iteration = self.iteration >= self.max_iterations or (budget is not None and self.time_spent >= budget)
                    self._guard.check_if_due()
                    extras = self.callbacks.measure(self, is_main=self.is_main)
                    if extras:
                        metrics = metrics.with_extras(extras)
                    if self.is_main:
                        self.history.add(metrics)
                    self._call("on_iteration_end", metrics)
                    signum, stop = interrupt.signum, self.last_iteration or self.should_stop
                    if self.distributed is not None:
                        signum, stop = self.distributed.agree(signum, stop)
                    if signum is not None:
                        self._call("on_interrupt")
                        raise TrainingInterrupted(signum, self.iteration)
                    self.should_stop = stop
            except BaseException as error:
                if not isinstance(error, TrainingInterrupted):  # an interrupt was handled above
                    self._call("on_exception", error)
                raise
        self._call("on_fit_end")

    # --- checkpoints --------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly (see :mod:`ganlib.train.state`).

        Returns:
            Models, optimizers, EMA, the objective's, the augmentation's and the loss scalers'
            states, counters, the noise generator, every global RNG, the data stream's position
            (if it has one), the callbacks' states by :attr:`~Callback.state_key`, the metric
            history (bounded), the training time, the components registered for
            checkpointing, and each model's registry name and ``config`` so it can be rebuilt.
        """
        return gather_state(self)

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
        self._call("on_save_checkpoint")
        state = self.state_dict()
        if self.is_main:
            save_checkpoint(state, path)
        if self.distributed is not None:
            self.distributed.barrier()  # no rank reads the file before it is complete
        self.last_checkpoint = (self.iteration, Path(path))
        return Path(path)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`, of this or an older format.

        Args:
            state: The saved state (e.g. from :func:`~ganlib.checkpoint.load_checkpoint`).

        Raises:
            ValueError: If the state does not fit this Trainer (the message says what differs).
        """
        self._steps.release()  # a restored state is fed and captured afresh
        self._guard.reset()
        self._call("on_load_checkpoint", state)  # a growing network takes the saved shape first
        restore_state(self, state)
