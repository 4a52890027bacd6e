"""The training loop: the steps of one iteration, and the loop that runs iterations.

The Trainer is the only place in ganlib that calls ``zero_grad``, ``backward`` and an
optimizer's ``step``. It does so through small seams, so that precision, gradient
accumulation, distribution, augmentation and CUDA-graph capture change what a seam does,
never the loop:

* :class:`~ganlib.train.Precision` runs forward passes (autocast), backward passes (loss
  scaling) and optimizer steps;
* a feed (:mod:`ganlib.train.feed`) draws real batches, eagerly or from static slots;
* a step schedule (:mod:`ganlib.train.schedule`) decides how critic and generator steps
  alternate;
* an augmentation (:mod:`ganlib.augment`) transforms every batch the critic sees;
* a distribution strategy (:class:`~ganlib.train.Distributed`) wraps the models and decides
  when gradients are all-reduced;
* :class:`~ganlib.train.GraphCapture` records one iteration and replays it.

Everything else lives in its own room: the callbacks and their dispatch
(:mod:`ganlib.train.callback`), the checkpoint state and its formats
(:mod:`ganlib.train.state`), signals (:mod:`ganlib.train.signals`), the metric history
(:mod:`ganlib.train.history`).
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
from ganlib.losses import Objective, Step
from ganlib.train.callback import Callback, CallbackList
from ganlib.train.accumulate import Accumulation
from ganlib.train.capture import CapturePlan, GraphCapture, capture_blocker, make_capturable, varying_work
from ganlib.train.noise import NoiseSource
from ganlib.train.parts import Stateful, check_optimizer, has_batch_statistics
from ganlib.train.ema import EMA
import ganlib.train.feed as feeds
from ganlib.train.feed import Feed, check_sharding, make_feed
from ganlib.train.history import History
from ganlib.train.metrics import FiniteGuard, MetricAccumulator, Metrics
from ganlib.train.precision import Precision
from ganlib.train.schedule import FixedSchedule, StepSchedule
from ganlib.train.signals import DeferredInterrupt
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
        if not isinstance(objective, Objective):
            raise TypeError(f"objective must be a ganlib.losses.Objective, got {type(objective).__name__}")
        latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("latent_dim is unknown: pass latent_dim=... or give the generator a latent_dim attribute")
        if getattr(generator, "num_classes", None) is not None and getattr(critic, "num_classes", None) is None:
            raise ValueError("the generator is conditional (it has num_classes) but the critic is not; use a conditional critic")
        check_optimizer("generator", generator_optimizer, generator, critic)
        check_optimizer("critic", critic_optimizer, critic, generator)
        self.generator = generator
        self.critic = critic
        self.objective = objective
        self.generator_optimizer = generator_optimizer
        self.critic_optimizer = critic_optimizer
        self.data = data
        self.step_schedule = step_schedule if step_schedule is not None else FixedSchedule(n_critic)
        self.n_critic = getattr(self.step_schedule, "n_critic", n_critic)
        self.accumulate = accumulate
        self._accumulation = Accumulation(accumulate, distributed)
        self.callbacks = CallbackList(callbacks)
        self.ema = ema
        self.latent_dim = int(latent_dim)
        self.iteration = 0
        self.critic_steps = 0
        self.max_iterations = 0
        self.time_spent = 0.0
        self.time_budget: float | None = None
        self.last_iteration = False
        self.should_stop = False
        self.in_iteration = False
        self.device = next(generator.parameters()).device
        self.precision = precision if isinstance(precision, Precision) else Precision(precision, self.device)
        self.capture = capture
        self.distributed = distributed
        self.augment = augment.to(self.device) if augment is not None else None
        self.conditional = getattr(generator, "num_classes", None) is not None
        self.fuse = fuse_critic_forward if fuse_critic_forward is not None else self.device.type == "cuda" and not has_batch_statistics(critic)
        if self.fuse and has_batch_statistics(critic):
            raise ValueError("fuse_critic_forward=True with a BatchNorm critic would mix real and fake batch statistics; leave it None or False")
        self.history = History()
        self.checkpointed: dict[str, Stateful] = {}
        self.last_checkpoint: tuple[int, Path] | None = None
        world, rank = (1, 0) if distributed is None else (distributed.world_size, distributed.rank)
        self._noise_source = NoiseSource(self.latent_dim, self.device, seed, rank, world)
        # Only the parameters that were trainable to begin with are frozen and thawed.
        self._critic_params = [p for p in critic.parameters() if p.requires_grad]
        self._stats = MetricAccumulator(self.device)
        self._batch_size = 0
        self._steps_in_body = 0
        self._clock: Tensor | None = None  # the iteration count on the device, advanced inside the body
        self._feed: Feed | None = None
        self._graph: GraphCapture | None = None
        self._guard = FiniteGuard(self.device, check_finite_every)
        self._critic_module: nn.Module = critic
        self._generator_module: nn.Module = generator
        if distributed is not None:
            check_sharding(data, distributed.rank, distributed.world_size)
            self._critic_module = distributed.wrap(critic)
            self._generator_module = distributed.wrap(generator)

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

    @property
    def captured_code_path(self) -> bool:
        """Whether iterations run the code path that a CUDA graph records (static gradients)."""
        return self._graph is not None

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

    # --- helpers ------------------------------------------------------------------------------

    def report(self, phase: str, terms: Mapping[str, Tensor]) -> None:
        """Add terms (device scalars) to this iteration's metrics, averaged like the objective's.

        Args:
            phase: ``"critic"`` or ``"generator"`` (for names without a namespace).
            terms: Named scalar tensors.
        """
        self._stats.report(phase, terms)

    def _generate(self, module: nn.Module, noise: Tensor, labels: Tensor | None) -> Tensor:
        if self.conditional:
            if labels is None:
                raise ValueError("the models are conditional but the data has no labels; pass (images, labels) batches")
            return module(noise, labels)
        return module(noise)

    def _step(self, phase: str, critic: Any, fake: Tensor, noise: Tensor, real: Tensor | None, labels: Tensor | None, critic_step: int) -> Step:
        return Step(
            phase,  # type: ignore[arg-type]
            critic,
            fake=fake,
            noise=noise,
            real=real,
            labels=labels,
            conditional=self.conditional,
            critic_step=critic_step,
            iteration=self.iteration,
            clock=self._clock,
            horizon=self.max_iterations,
            grad_scale=self.precision.grad_scale(phase),
            fuse=self.fuse,
            augment=self.augment,
        )

    def _optimizer_step(self, optimizer: Optimizer, role: str) -> None:
        if self.callbacks.has_step_hooks:
            self.precision.unscale_(optimizer, role)  # hooks see the true gradients
            self.callbacks.before_optimizer_step(self, role, optimizer)
        self.precision.step(optimizer, role)

    # --- one iteration -------------------------------------------------------------------------

    def critic_step(self) -> dict[str, Tensor]:
        """One critic update: draw a real batch, generate fakes, backpropagate the critic loss once, step.

        Called by the step schedule (:mod:`ganlib.train.schedule`).

        Returns:
            The objective's terms of the last micro-batch (device tensors).
        """
        optimizer = self.critic_optimizer
        optimizer.zero_grad(set_to_none=not self.captured_code_path)
        real, labels = self._feed_draw()
        self._batch_size = real.shape[0]
        noise = self._noise_source.draw(real.shape[0])
        critic_step = self.critic_steps + self._steps_in_body
        self._steps_in_body += 1
        terms: dict[str, Tensor] = {}
        for micro, (r, y, z) in enumerate(self._accumulation.split(real, labels, noise)):
            with self._accumulation.sync(self._critic_module, micro == self.accumulate - 1), self.precision.autocast():
                with torch.no_grad():
                    fake = self._generate(self.generator, z, y).to(r.dtype)
                fake = self.callbacks.critic_fakes(self, fake)
                terms = self.objective.critic_loss(self._step("critic", self._critic_module, fake, z, r, y, critic_step))
            self.precision.backward(self._accumulation.scaled(terms["loss"]), "critic")
            self._stats.report("critic", terms)
        self._optimizer_step(optimizer, "critic")
        self.objective.after_critic_step(self.critic)
        return terms

    def generator_step(self) -> dict[str, Tensor]:
        """One generator update, with the critic's parameters frozen.

        Returns:
            The objective's terms of the last micro-batch (device tensors).
        """
        optimizer = self.generator_optimizer
        optimizer.zero_grad(set_to_none=not self.captured_code_path)
        real, labels = self._feed_draw() if self.needs_real_in_generator_step else (None, None)
        noise = self._noise_source.draw(real.shape[0] if real is not None else self._batch_size)
        critic_step = self.critic_steps + self._steps_in_body
        terms: dict[str, Tensor] = {}
        for p in self._critic_params:
            p.requires_grad_(False)
        try:
            for micro, (z, r, y) in enumerate(self._accumulation.split(noise, real, labels)):
                with self._accumulation.sync(self._generator_module, micro == self.accumulate - 1), self.precision.autocast():
                    fake = self._generate(self._generator_module, z, y)
                    terms = self.objective.generator_loss(self._step("generator", self.critic, fake, z, r, y, critic_step))
                self.precision.backward(self._accumulation.scaled(terms["loss"]), "generator")
                self._stats.report("generator", terms)
        finally:
            for p in self._critic_params:
                p.requires_grad_(True)
        self._optimizer_step(optimizer, "generator")
        return terms

    def _feed_draw(self) -> tuple[Tensor, Tensor | None]:
        assert self._feed is not None
        return self._feed.draw()

    def _iteration_body(self) -> None:
        """One whole iteration's device work: what a CUDA graph records."""
        self._stats.reset()
        self._steps_in_body = 0
        self.step_schedule.run(self)
        if self.ema is not None:
            self.ema.update(self.generator)
        if self.augment is not None:
            self._stats.report("critic", dict(self.augment.report()))
        assert self._clock is not None
        self._clock.add_(1)

    def capture_blocker(self) -> str | None:
        """Why this Trainer's iterations cannot be recorded as a CUDA graph.

        Returns:
            The reason in words, or ``None`` when they can.
        """
        plan = CapturePlan(
            self.device,
            (("generator", self.generator_optimizer), ("critic", self.critic_optimizer)),
            (self._noise_source.generator,),
            feed_capturable=feeds.capturable(self.data, self.device),
            scaled=self.precision.scaled,
            distributed=self.distributed is not None,
            varying_work=None if self.device.type != "cuda" else varying_work(
                self.step_schedule, self.objective, self.critic_steps, self.iteration,
                (self.step_schedule, *((self.augment,) if self.augment is not None else ()), self.callbacks), self,
            ),
        )
        return capture_blocker(plan)

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
        self._clock = torch.tensor(self.iteration, device=self.device)  # after any resume
        slots = self.step_schedule.critic_draws(self) + (1 if self.needs_real_in_generator_step else 0)
        self._feed = make_feed(self.data, self.device, slots, prepared=capture)
        if capture:
            for optimizer in (self.generator_optimizer, self.critic_optimizer):
                make_capturable(optimizer)
            self.precision.cache_enabled = False  # autocast's weight cache cannot live in a graph
            self._graph = GraphCapture(self.device, (self.generator_optimizer, self.critic_optimizer), (self._noise_source.generator,))

    def train_iteration(self) -> Metrics:
        """Run one iteration of the step schedule (``n_critic`` critic steps, one generator step by default).

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
        self.critic_steps += self._steps_in_body  # the recorded count, under replay
        self.iteration += 1
        metrics = self._stats.finish(self.iteration)
        if self.distributed is not None:
            metrics = self.distributed.average(metrics)
        if self.augment is not None:
            # r_t is averaged over the processes above; the images are every process's (ADA counts the global batch)
            world = 1 if self.distributed is None else self.distributed.world_size
            self.augment.after_iteration(metrics.names, metrics.values, images=self._steps_in_body * self._batch_size * world)
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
        check_int(
            "iterations",
            iterations,
            minimum=self.iteration,
            expected=f"the total number of generator iterations, at least the {self.iteration} already done",
        )
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
            except TrainingInterrupted:
                raise
            except BaseException as error:
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
        if self._graph is not None:  # re-capture from the restored state
            self._graph.release()
            self._graph = None
        self._feed = None
        self._guard.reset()
        restore_state(self, state)
