"""Learning-rate schedules: any ``torch.optim.lr_scheduler``, stepped once per generator iteration.

:class:`LRSchedule` steps one scheduler per optimizer after every iteration, logs each
optimizer's learning rate (``lr/generator``, ``lr/critic``), and saves the schedulers' states
in checkpoints, so a resumed run continues the schedule exactly. It works the same on the
CPU, eagerly on CUDA, and under CUDA-graph capture, where the learning rate reaches the
recorded graph through a device tensor (see :mod:`ganlib.train.capture`).

Schedules are registered by name for the command line (``--lr-schedule NAME
--lr-schedule-arg KEY=VALUE``): ``constant``, ``step``, ``cosine``, ``linear`` (linear decay to
``end_factor`` of the rate over the run) and ``exponential``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from torch.optim import Optimizer, lr_scheduler

from ganlib.contract import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt
from ganlib.registry import Registry
from ganlib.schedules import half_cosine
from ganlib.train.callback import Callback

if TYPE_CHECKING:
    from ganlib.train.metrics import Metrics
    from ganlib.train.callback import Loop

__all__ = ["LR_SCHEDULES", "LRSchedule", "build_lr_schedule", "register_lr_schedule"]

Builder = Callable[..., lr_scheduler.LRScheduler]

LR_SCHEDULES: Registry[Builder] = Registry("learning-rate schedule")
"""Learning-rate schedules by name: builders ``(optimizer, *, iterations, **arguments) -> LRScheduler``."""


def register_lr_schedule(name: str, builder: Builder | None = None, *, replace: bool = False) -> Any:
    """Register a schedule builder ``(optimizer, *, iterations, **arguments) -> LRScheduler``.

    Args:
        name: The name (``--lr-schedule NAME``).
        builder: The builder; ``iterations`` is the run's total, its other keyword arguments
            are ``--lr-schedule-arg KEY=VALUE``.
        replace: Replace another schedule registered under ``name``.

    Returns:
        The builder unchanged, or a decorator.
    """
    return LR_SCHEDULES.register(name, builder, replace=replace)


@register_lr_schedule("constant")
def _constant(optimizer: Optimizer, *, iterations: NonNegativeInt) -> lr_scheduler.LRScheduler:
    """The learning rate does not change."""
    return lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


@register_lr_schedule("step")
def _step(optimizer: Optimizer, *, iterations: NonNegativeInt, step_size: PositiveInt = 1000, gamma: PositiveFloat = 0.5) -> lr_scheduler.LRScheduler:
    """Multiply the rate by gamma every step_size iterations (StepLR)."""
    return lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)


@register_lr_schedule("cosine")
def _cosine(optimizer: Optimizer, *, iterations: NonNegativeInt, eta_min: NonNegativeFloat = 0.0, horizon: PositiveInt | None = None) -> lr_scheduler.LRScheduler:
    """A half cosine to eta_min over horizon iterations (the run's length by default), then eta_min."""
    span = max(1, horizon if horizon is not None else iterations)
    if eta_min < 0:
        raise ValueError(f"eta_min={eta_min!r} is invalid; expected a learning rate >= 0")

    def factor(base: float) -> Callable[[int], float]:
        end = eta_min / base if base > 0 else 0.0
        return lambda step: float(half_cosine(step, 1.0, end, span))

    return lr_scheduler.LambdaLR(optimizer, [factor(float(group.get("initial_lr", group["lr"]))) for group in optimizer.param_groups])


@register_lr_schedule("linear")
def _linear(optimizer: Optimizer, *, iterations: NonNegativeInt, end_factor: NonNegativeFloat = 0.0, start: NonNegativeInt = 0) -> lr_scheduler.LRScheduler:
    """Constant for start iterations, then linear decay to end_factor times the rate at the end."""
    span = max(1, iterations - start)

    def factor(step: int) -> float:
        return 1.0 if step < start else 1.0 - (1.0 - end_factor) * min(1.0, (step - start) / span)

    return lr_scheduler.LambdaLR(optimizer, factor)


@register_lr_schedule("exponential")
def _exponential(optimizer: Optimizer, *, iterations: NonNegativeInt, gamma: PositiveFloat = 0.999) -> lr_scheduler.LRScheduler:
    """Multiply the rate by gamma every iteration (ExponentialLR)."""
    return lr_scheduler.ExponentialLR(optimizer, gamma=gamma)


def build_lr_schedule(name: str, optimizer: Optimizer, iterations: int, **arguments: Any) -> lr_scheduler.LRScheduler:
    """Build a registered schedule for ``optimizer`` over a run of ``iterations``.

    Args:
        name: A name in :data:`LR_SCHEDULES`.
        optimizer: The optimizer whose learning rate it schedules.
        iterations: The run's total generator iterations.
        **arguments: The schedule's own arguments.

    Returns:
        The scheduler.

    Raises:
        ValueError: If ``name`` is unknown or an argument is not the schedule's.
    """
    return LR_SCHEDULES.build(name, optimizer=optimizer, iterations=iterations, **arguments)


class LRSchedule(Callback):
    """Step learning-rate schedulers once per generator iteration, log the rates, and checkpoint them.

    Args:
        schedulers: ``{"generator": scheduler, "critic": scheduler}`` (either may be left out),
            each built on the Trainer's optimizer of that role.

    Raises:
        ValueError: If a role is not ``"generator"`` or ``"critic"``.

    Example:
        >>> import torch
        >>> g = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
        >>> schedule = LRSchedule({"generator": torch.optim.lr_scheduler.StepLR(g, step_size=2, gamma=0.5)})
        >>> sorted(schedule.state_dict())
        ['generator']
    """

    all_ranks = True  # every process steps its own optimizers

    def __init__(self, schedulers: Mapping[str, lr_scheduler.LRScheduler]) -> None:
        for role in schedulers:
            if role not in ("generator", "critic"):
                raise ValueError(f"scheduler role {role!r} is invalid; expected 'generator' or 'critic'")
        self.schedulers = dict(schedulers)

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        for role, scheduler in self.schedulers.items():
            optimizer = trainer.generator_optimizer if role == "generator" else trainer.critic_optimizer
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"the {role} scheduler was built on another optimizer than the Trainer's {role} optimizer")

    def measure(self, trainer: Loop) -> Mapping[str, float]:  # noqa: D102
        rates = {}
        for role, optimizer in (("generator", trainer.generator_optimizer), ("critic", trainer.critic_optimizer)):
            rate = optimizer.param_groups[0]["lr"]
            rates[f"lr/{role}"] = float(rate)
        return rates

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        for scheduler in self.schedulers.values():
            scheduler.step()

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {role: scheduler.state_dict() for role, scheduler in self.schedulers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        for role, scheduler in self.schedulers.items():
            if role in state:
                scheduler.load_state_dict(state[role])
