"""One iteration's device work: the critic and generator steps that a step schedule calls.

:class:`StepRunner` is what a :class:`~ganlib.train.StepSchedule` drives (it is a
:class:`~ganlib.train.schedule.Steps`): each step draws a real batch from the feed and noise
from the noise source, generates fakes, builds the :class:`~ganlib.losses.Step` the objective
reads, backpropagates the loss once (in micro-batches under accumulation) and steps the
optimizer through the precision seam. It is the only code in ganlib that calls ``zero_grad``,
``backward`` (through :class:`~ganlib.train.Precision`) and an optimizer's ``step``; the
:class:`~ganlib.train.Trainer` owns it, and owns the loop, the counters and the checkpoints.

It does its work through small seams, so that precision, gradient accumulation, distribution,
augmentation and CUDA-graph capture change what a seam does, never the steps:

* :class:`~ganlib.train.Precision` runs forward passes (autocast), backward passes (loss
  scaling) and optimizer steps;
* a feed (:mod:`ganlib.train.feed`) draws real batches, eagerly or from static slots;
* a step schedule (:mod:`ganlib.train.schedule`) decides how critic and generator steps
  alternate;
* an augmentation (:mod:`ganlib.augment`) transforms every batch the critic sees;
* a distribution strategy (:class:`~ganlib.train.Distributed`) wraps the models and decides
  when gradients are all-reduced (:class:`~ganlib.train.accumulate.Accumulation`);
* :class:`~ganlib.train.GraphCapture` records one iteration and replays it.

It knows nothing of the Trainer: what it needs arrives at construction, the counters arrive
with :meth:`StepRunner.at`, and the callbacks' step hooks receive ``owner`` (the Trainer) as
their first argument, as they always have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from ganlib.augment import Augment
from ganlib.losses import Objective, Step
from ganlib.train.accumulate import Accumulation
from ganlib.train.callback import CallbackList
from ganlib.train.capture import CapturePlan, GraphCapture, capture_blocker, make_capturable, varying_work
import ganlib.train.feed as feeds
from ganlib.train.feed import Feed, make_feed
from ganlib.train.metrics import MetricAccumulator
from ganlib.train.noise import NoiseSource
from ganlib.train.parts import is_conditional
from ganlib.train.precision import Precision

if TYPE_CHECKING:
    from ganlib.train.ema import EMA
    from ganlib.train.schedule import StepSchedule

__all__ = ["StepRunner", "held_by_the_steps"]


def held_by_the_steps(name: str, doc: str) -> property:
    """An attribute of the steps' owner that its :class:`StepRunner` holds: reading it reads the
    runner's, assigning it reaches the steps (``trainer.objective = ...`` changes what they train)."""
    return property(lambda owner: getattr(owner._steps, name), lambda owner, value: setattr(owner._steps, name, value), doc=doc)


class StepRunner:
    """The critic and generator steps of one iteration, and the iteration body a graph records.

    Args:
        generator: The generator (the one the optimizer and the EMA hold).
        critic: The critic.
        objective: The objective whose losses are backpropagated.
        optimizers: The generator's and the critic's optimizers.
        precision: Runs autocast, backward passes and optimizer steps.
        accumulation: Splits batches into micro-batches (and decides when gradients sync).
        callbacks: The callbacks whose step hooks run here (``critic_fakes``, ``before_optimizer_step``).
        noise: The noise source.
        augment: The augmentation every batch the critic sees goes through, or ``None``.
        fuse: Score real and fake batches in one critic forward.
        wrapped: The generator and critic as the distribution strategy wrapped them (the
            modules themselves in one process).
        owner: What the callbacks' step hooks receive as their first argument (the Trainer).

    Attributes:
        conditional: Whether the models take labels.
        feed: The feed real batches are drawn from (set by :meth:`prepare`).
        clock: The iteration count on the device, advanced inside the body (set by :meth:`prepare`).
        graph: The CUDA graph the body is recorded in and replayed from, when captured.
        batch_size: The size of the last critic step's real batch.
        steps_in_body: Critic steps taken in the iteration under way.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Objective,
        optimizers: tuple[Optimizer, Optimizer],
        *,
        precision: Precision,
        accumulation: Accumulation,
        callbacks: CallbackList,
        noise: NoiseSource,
        augment: Augment | None,
        fuse: bool,
        wrapped: tuple[nn.Module, nn.Module],
        owner: Any,
    ) -> None:
        self.generator = generator
        self.critic = critic
        self.objective = objective
        self.generator_optimizer, self.critic_optimizer = optimizers
        self.precision = precision
        self.accumulation = accumulation
        self.callbacks = callbacks
        self.noise = noise
        self.augment = augment
        self.fuse = fuse
        self._generator_module, self._critic_module = wrapped
        self.owner = owner
        self.device: torch.device = noise.device
        self.conditional = is_conditional(generator)
        self.stats = MetricAccumulator(self.device)
        # Only the parameters that were trainable to begin with are frozen and thawed.
        self._critic_params = [p for p in critic.parameters() if p.requires_grad]
        self.feed: Feed | None = None
        self.clock: Tensor | None = None
        self.graph: GraphCapture | None = None
        self.batch_size = 0
        self.steps_in_body = 0
        self._iteration = 0
        self._critic_steps = 0
        self._horizon = 0

    @property
    def static_gradients(self) -> bool:
        """Whether the steps run the code path a CUDA graph records (gradients kept, zeroed in place)."""
        return self.graph is not None

    @property
    def needs_real_in_generator_step(self) -> bool:
        """Whether the generator step draws a real batch (objective or conditioning asks for it)."""
        return self.objective.needs_real_in_generator_step or self.conditional

    def capture_blocker(self, data: Any, schedule: StepSchedule, iteration: int, critic_steps: int, *, distributed: bool) -> str | None:
        """Why these steps over ``data`` cannot be recorded as a CUDA graph.

        Args:
            data: The real batches.
            schedule: The step schedule.
            iteration: Iterations done.
            critic_steps: Critic steps done.
            distributed: Whether the models are distributed.

        Returns:
            The reason in words, or ``None`` when they can be recorded.
        """
        parts = (schedule, *((self.augment,) if self.augment is not None else ()), self.callbacks)
        plan = CapturePlan(
            self.device,
            (("generator", self.generator_optimizer), ("critic", self.critic_optimizer)),
            (self.noise.generator,),
            feed_capturable=feeds.capturable(data, self.device),
            scaled=self.precision.scaled,
            distributed=distributed,
            varying_work=None if self.device.type != "cuda" else varying_work(schedule, self.objective, critic_steps, iteration, parts, self),
        )
        return capture_blocker(plan)

    def prepare(self, data: Any, schedule: StepSchedule, iteration: int, *, capture: bool) -> None:
        """Choose the feed and start the device clock; with ``capture``, make the optimizers
        capturable and record the body in a CUDA graph on the first :meth:`run`.

        Args:
            data: The real batches (the feed gets as many slots as an iteration draws).
            schedule: The step schedule.
            iteration: Iterations done (the clock's start).
            capture: Record the body as a CUDA graph.
        """
        self.clock = torch.tensor(iteration, device=self.device)
        slots = schedule.critic_draws(self) + (1 if self.needs_real_in_generator_step else 0)
        self.feed = make_feed(data, self.device, slots, prepared=capture)
        if capture:
            optimizers = (self.generator_optimizer, self.critic_optimizer)
            for optimizer in optimizers:
                make_capturable(optimizer)
            self.precision.cache_enabled = False  # autocast's weight cache cannot live in a graph
            self.graph = GraphCapture(self.device, optimizers, (self.noise.generator,))

    def release(self) -> None:
        """Drop the feed and any graph (a restored state is prepared and captured afresh)."""
        if self.graph is not None:
            self.graph.release()
            self.graph = None
        self.feed = None

    def refresh(self) -> None:
        """The models, their optimizers or the data changed shape (a network grew): re-read the
        critic's parameters and prepare the feed and any graph afresh before the next iteration."""
        self.release()
        self._critic_params = [p for p in self.critic.parameters() if p.requires_grad]

    def run(self, schedule: StepSchedule, ema: EMA | None) -> None:
        """One iteration: the body, eagerly or replayed from the graph.

        Args:
            schedule: The step schedule.
            ema: The generator's EMA, or ``None``.
        """
        assert self.feed is not None, "prepare() comes before the first iteration"
        self.feed.prepare()
        if self.graph is not None:
            self.graph.run(lambda: self.iteration_body(schedule, ema))
        else:
            self.iteration_body(schedule, ema)

    def at(self, iteration: int, critic_steps: int, horizon: int) -> None:
        """Set the counters the coming steps' :class:`~ganlib.losses.Step` carry.

        Args:
            iteration: Iterations done.
            critic_steps: Critic steps done.
            horizon: The total iterations of the fit.
        """
        self._iteration, self._critic_steps, self._horizon = iteration, critic_steps, horizon

    def report(self, phase: str, terms: Mapping[str, Tensor]) -> None:
        """Add terms (device scalars) to this iteration's metrics, averaged like the objective's.

        Args:
            phase: ``"critic"`` or ``"generator"`` (for names without a namespace).
            terms: Named scalar tensors.
        """
        self.stats.report(phase, terms)

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
            iteration=self._iteration,
            clock=self.clock,
            horizon=self._horizon,
            grad_scale=self.precision.grad_scale(phase),
            fuse=self.fuse,
            augment=self.augment,
        )

    def _optimizer_step(self, optimizer: Optimizer, role: str) -> None:
        if self.callbacks.has_step_hooks:
            self.precision.unscale_(optimizer, role)  # hooks see the true gradients
            self.callbacks.before_optimizer_step(self.owner, role, optimizer)
        self.precision.step(optimizer, role)

    def _draw(self) -> tuple[Tensor, Tensor | None]:
        assert self.feed is not None, "the feed is set before the first step"
        real, labels = self.feed.draw()
        return self.callbacks.real_batch(self.owner, real), labels

    def critic_step(self) -> dict[str, Tensor]:
        """One critic update: draw a real batch, generate fakes, backpropagate the critic loss once, step.

        Returns:
            The objective's terms of the last micro-batch (device tensors).
        """
        optimizer = self.critic_optimizer
        optimizer.zero_grad(set_to_none=not self.static_gradients)
        real, labels = self._draw()
        self.batch_size = real.shape[0]
        noise = self.noise.draw(real.shape[0])
        critic_step = self._critic_steps + self.steps_in_body
        self.steps_in_body += 1
        terms: dict[str, Tensor] = {}
        last = self.accumulation.parts - 1
        for micro, (r, y, z) in enumerate(self.accumulation.split(real, labels, noise)):
            with self.accumulation.sync(self._critic_module, micro == last), self.precision.autocast():
                with torch.no_grad():
                    fake = self._generate(self.generator, z, y).to(r.dtype)
                fake = self.callbacks.critic_fakes(self.owner, fake)
                terms = self.objective.critic_loss(self._step("critic", self._critic_module, fake, z, r, y, critic_step))
            self.precision.backward(self.accumulation.scaled(terms["loss"]), "critic")
            self.stats.report("critic", terms)
        self._optimizer_step(optimizer, "critic")
        self.objective.after_critic_step(self.critic)
        return terms

    def generator_step(self) -> dict[str, Tensor]:
        """One generator update, with the critic's parameters frozen.

        Returns:
            The objective's terms of the last micro-batch (device tensors).
        """
        optimizer = self.generator_optimizer
        optimizer.zero_grad(set_to_none=not self.static_gradients)
        real, labels = self._draw() if self.needs_real_in_generator_step else (None, None)
        noise = self.noise.draw(real.shape[0] if real is not None else self.batch_size)
        critic_step = self._critic_steps + self.steps_in_body
        terms: dict[str, Tensor] = {}
        for p in self._critic_params:
            p.requires_grad_(False)
        try:
            last = self.accumulation.parts - 1
            for micro, (z, r, y) in enumerate(self.accumulation.split(noise, real, labels)):
                with self.accumulation.sync(self._generator_module, micro == last), self.precision.autocast():
                    fake = self._generate(self._generator_module, z, y)
                    terms = self.objective.generator_loss(self._step("generator", self.critic, fake, z, r, y, critic_step))
                self.precision.backward(self.accumulation.scaled(terms["loss"]), "generator")
                self.stats.report("generator", terms)
        finally:
            for p in self._critic_params:
                p.requires_grad_(True)
        self._optimizer_step(optimizer, "generator")
        return terms

    def iteration_body(self, schedule: StepSchedule, ema: EMA | None) -> None:
        """One whole iteration's device work, what a CUDA graph records: the schedule's steps,
        the EMA update, the augmentation's report, and the device clock's tick.

        Args:
            schedule: The step schedule.
            ema: The generator's EMA, or ``None``.
        """
        self.stats.reset()
        self.steps_in_body = 0
        schedule.run(self)
        if ema is not None:
            ema.update(self.generator)
        if self.augment is not None:
            self.stats.report("critic", dict(self.augment.report()))
        assert self.clock is not None
        self.clock.add_(1)
