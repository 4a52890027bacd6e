"""Adam's β2 on a schedule: R3GAN raises it from 0.9 to 0.99 over training."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganlib._validation import check_int
from ganlib.contract import Fraction, PositiveInt
from ganlib.schedules import half_cosine
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.callback import Loop

__all__ = ["Beta2Schedule"]


@register_callback("beta2-schedule")
class Beta2Schedule(Callback):
    """Move both Adam optimizers' β2 on a half cosine from ``start`` to ``end`` (R3GAN's schedule).

    brownvc/R3GAN, ``training/training_loop.py``: before every iteration the optimizers get
    ``betas=(0, beta2(t))``, ``beta2`` on :func:`ganlib.schedules.half_cosine` from 0.9 to 0.99
    over the training horizon. Here the horizon is the run's length unless ``horizon`` gives
    it in generator iterations; β1 is left as the optimizer has it. It is a host setting the
    iteration reads, so a run with it trains eagerly rather than as a captured CUDA graph.

    Args:
        start: β2 at the first iteration (0.9).
        end: β2 from the end of the horizon on (0.99).
        horizon: Generator iterations of the schedule; ``None``: the run's.

    Raises:
        ValueError: If a β2 is outside [0, 1) or ``horizon`` is not a positive integer.

    Example:
        >>> schedule = Beta2Schedule(horizon=100)
        >>> round(schedule.value(50, 100), 3)
        0.945
    """

    all_ranks = True  # every process steps its own optimizers

    def __init__(self, start: Fraction = 0.9, end: Fraction = 0.99, horizon: PositiveInt | None = None) -> None:
        for name, value in (("start", start), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                raise ValueError(f"{name}={value!r} is invalid; expected Adam's beta2 in [0, 1)")
        self.start, self.end = float(start), float(end)
        self.horizon = None if horizon is None else check_int("horizon", horizon, expected="a positive number of generator iterations")

    def value(self, iteration: int, run: int) -> float:
        """β2 after ``iteration`` generator iterations of a run of ``run``.

        Args:
            iteration: Generator iterations done.
            run: The run's total (the horizon unless ``horizon`` was given).

        Returns:
            β2.
        """
        return float(half_cosine(iteration, self.start, self.end, self.horizon or max(run, 1)))

    def on_iteration_start(self, trainer: Loop) -> None:  # noqa: D102
        beta2 = self.value(trainer.iteration, trainer.max_iterations)
        for optimizer in (trainer.generator_optimizer, trainer.critic_optimizer):
            for group in optimizer.param_groups:
                if "betas" in group:
                    group["betas"] = (group["betas"][0], beta2)

    def measure(self, trainer: Loop) -> dict[str, float]:  # noqa: D102
        group = trainer.critic_optimizer.param_groups[0]
        return {"adam/beta2": float(group["betas"][1])} if "betas" in group else {}

    def capture_blocker(self) -> str | None:  # noqa: D102
        return "the beta2 schedule changes Adam's beta2, a host setting, at every iteration"
