"""A time budget for training, as a callback (``fit(time_budget=...)`` is the direct way)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganlib.contract import PositiveFloat
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.callback import Loop

__all__ = ["TimeBudget"]


@register_callback("time-budget")
class TimeBudget(Callback):
    """Stop training once ``seconds`` of training time have passed (resumed runs count on).

    It sets the Trainer's budget when fit starts, as ``trainer.fit(..., time_budget=seconds)``
    would: training time is the time spent in :meth:`Trainer.fit`, summed over resumes (it is
    saved in checkpoints); the iteration that crosses the budget finishes and is the fit's
    last (evaluations score it, whatever the order of the callbacks), and ``fit`` returns as
    if it had reached its iteration count. Comparing runs at equal wall time, rather than
    equal iterations, is how a user with a fixed budget should compare objectives.

    Args:
        seconds: The budget.

    Raises:
        ValueError: If ``seconds`` is not positive.
    """

    def __init__(self, seconds: PositiveFloat) -> None:
        if not (isinstance(seconds, (int, float)) and seconds > 0):
            raise ValueError(f"seconds={seconds!r} is invalid; expected a positive time budget")
        self.seconds = float(seconds)

        self._trainer: Loop | None = None

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        self._trainer = trainer
        if trainer.time_budget is None or self.seconds < trainer.time_budget:
            trainer.time_budget = self.seconds

    @property
    def spent(self) -> float:
        """Seconds of training so far (the Trainer's count), this run and the resumed ones."""
        return 0.0 if self._trainer is None else self._trainer.time_spent
