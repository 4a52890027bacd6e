"""A progress bar you can watch: iterations, speed, and the current losses.

The bar shows the metrics under the names the log and the curves use (``loss/critic``,
``accuracy/real``): one set of names everywhere. Where the output is not a terminal (a log
file, a CI job) the bar steps aside: the same values are printed as one line every ``every``
iterations instead of thousands of redrawn fragments.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import warnings

with warnings.catch_warnings():  # tqdm.auto warns in a notebook without ipywidgets, then draws a text bar
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

from ganlib._validation import check_int
from ganlib.contract import NonNegativeInt, PositiveInt
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.metrics import Metrics
    from ganlib.train.callback import Loop

__all__ = ["DEFAULT_KEYS", "ProgressBar"]

DEFAULT_KEYS: tuple[str, ...] = (
    "loss/critic", "loss/generator", "critic/wasserstein", "penalty/gp", "penalty/r1", "accuracy/real", "accuracy/fake", "score/fid",
)
"""Metrics the bar shows by default, those the run reports."""


@register_callback("progress")
class ProgressBar(Callback):
    """A tqdm progress bar over generator iterations, showing the current metrics.

    With a time budget (``--time-budget``, :class:`~ganlib.train.TimeBudget`) that will end the
    run before its iteration count, the bar counts the budget's seconds instead, with the
    iteration in the postfix, so its remaining time is the run's.

    The values come from the Trainer's :attr:`~ganlib.train.Trainer.history`, read every
    ``every`` iterations (one device synchronization shared with the logger).

    Args:
        every: Refresh the metrics shown on the bar every this many iterations.
        print_every: Also print a full line of metrics every this many iterations (kept in
            logs where the bar itself is overwritten); 0 disables it.
        keys: Metrics to show; those the run does not report are skipped.
        bar: Draw the bar (``True``), print lines only (``False``), or draw it when the
            error stream is a terminal (``None``, the default).
    """

    def __init__(self, every: PositiveInt = 1, print_every: NonNegativeInt = 0, keys: tuple[str, ...] = DEFAULT_KEYS, bar: bool | None = None) -> None:
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.print_every = check_int("print_every", print_every, minimum=0, expected="0 (off) or a positive integer")
        self.keys = tuple(keys)
        self.bar = bar
        self._bar: Any = None
        self._timed = False

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        self._bar = None  # opened at the first iteration, when every callback has set the budget
        self._timed = False

    def _open(self, trainer: Loop) -> None:
        if not (self.bar if self.bar is not None else sys.stderr.isatty()):
            self._bar = _Lines(trainer.max_iterations)
            return
        budget = trainer.time_budget
        started = max(trainer.iteration - 1, 0)
        rate = trainer.time_spent / max(trainer.iteration, 1)
        self._timed = budget is not None and rate * trainer.max_iterations > budget
        if self._timed:
            assert budget is not None
            self._bar = tqdm(total=round(budget), initial=0, unit="s", dynamic_ncols=True, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} s of the time budget [{elapsed}<{remaining}{postfix}]")
        else:
            self._bar = tqdm(total=trainer.max_iterations, initial=started, unit="it", dynamic_ncols=True)

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        if self._bar is None:
            self._open(trainer)
        if self._timed:
            self._bar.update(min(round(trainer.time_spent), self._bar.total) - self._bar.n)
        else:
            self._bar.update(1)
        show = metrics.iteration % self.every == 0 or trainer.last_iteration
        say = self.print_every and metrics.iteration % self.print_every == 0
        if not (show or say):
            return
        trainer.history.flush()
        values = trainer.history.latest()
        shown = {k: f"{values[k]:.3g}" for k in self.keys if k in values}
        if show and not (say and isinstance(self._bar, _Lines)):  # without a bar, one line per iteration at most
            iteration = {"it": str(metrics.iteration)} if self._timed else {}
            self._bar.set_postfix({**iteration, **shown}, refresh=False)
        if say:
            self._bar.write(f"iter {metrics.iteration:6d}  " + "  ".join(f"{k}={v}" for k, v in shown.items()))

    def on_fit_end(self, trainer: Loop) -> None:  # noqa: D102
        self._close()

    def on_interrupt(self, trainer: Loop) -> None:  # noqa: D102
        self._close()

    def on_exception(self, trainer: Loop, error: BaseException) -> None:  # noqa: D102
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _Lines:
    """What stands in for the bar where the output is not a terminal: a line per refresh."""

    def __init__(self, total: int) -> None:
        self.total, self.n = total, 0

    def update(self, step: int) -> None:
        self.n += step

    def set_postfix(self, values: dict[str, str], refresh: bool = False) -> None:
        print(f"iter {self.n:6d}/{self.total}  " + "  ".join(f"{k}={v}" for k, v in values.items()), file=sys.stderr, flush=True)

    def write(self, line: str) -> None:
        print(line, flush=True)

    def close(self) -> None:
        pass
