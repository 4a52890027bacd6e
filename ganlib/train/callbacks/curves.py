"""Learning curves, grouped by the namespace of each metric's name, so everything logged is drawn.

A metric's name is ``namespace/name`` (``loss/critic``, ``penalty/gp``, ``score/fid``); the
curves draw one panel per namespace, and a panel titled "other" for names without one. How a
namespace is drawn (its title, its place, whether each metric gets its own panel, a log
scale) is a :class:`Panel` in the :data:`PANELS` registry; a plugin that logs a new namespace
may register one, and without it the namespace still gets a panel of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlib._files import write_atomically
from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.registry import Registry
from ganlib.train.callback import Callback, register_callback
from ganlib.train.history import History

if TYPE_CHECKING:
    from ganlib.train.metrics import Metrics
    from ganlib.train.callback import Loop

__all__ = ["PANELS", "LearningCurves", "Panel", "panel_grid", "panel_layout", "register_panel"]


@dataclass(frozen=True)
class Panel:
    """How the metrics of one namespace are drawn.

    Attributes:
        title: The panel's title.
        order: Panels are drawn in increasing order (unregistered namespaces after the
            registered ones, then "other").
        split: One panel per metric (for scores on different scales: FID, Inception Score).
        log_scale: A logarithmic y axis.
    """

    title: str
    order: int = 50
    split: bool = False
    log_scale: bool = False


PANELS: Registry[Panel] = Registry("curve panel")
"""How each metric namespace is drawn, by namespace."""


def register_panel(namespace: str, title: str, *, order: int = 50, split: bool = False, log_scale: bool = False, replace: bool = False) -> Panel:
    """Say how the curves draw the metrics named ``namespace/...``.

    Args:
        namespace: The part of the metric names before the slash.
        title: The panel's title.
        order: Its place among the panels (built-ins use 0 to 90).
        split: One panel per metric.
        log_scale: A logarithmic y axis.
        replace: Replace an earlier registration.

    Returns:
        The :class:`Panel`.
    """
    panel = Panel(title, order, split, log_scale)
    PANELS.register(namespace, panel, replace=replace, summary=title)
    return panel


register_panel("loss", "losses", order=0)
register_panel("critic", "critic scores", order=10)
register_panel("accuracy", "critic accuracy", order=20)
register_panel("penalty", "penalties and regularizers", order=30)
register_panel("generator", "generator terms", order=40)
register_panel("began", "BEGAN: convergence M and k", order=45)
register_panel("lr", "learning rates", order=60, log_scale=True)
register_panel("augment", "augmentation", order=65)
register_panel("schedule", "steps per iteration", order=70)
register_panel("score", "scores", order=90, split=True)


def _namespace(name: str) -> str:
    return name.split("/", 1)[0] if "/" in name else "other"


def panel_layout(names: list[str]) -> list[tuple[str, list[str], Panel]]:
    """The panels that draw ``names``.

    Args:
        names: Metric names.

    Returns:
        ``(title, names, panel)`` for each panel, in drawing order.

    Example:
        >>> [(title, keys) for title, keys, _ in panel_layout(["loss/critic", "score/fid", "loss/generator", "mine"])]
        [('losses', ['loss/critic', 'loss/generator']), ('other', ['mine']), ('score/fid', ['score/fid'])]
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_namespace(name), []).append(name)
    layout = []
    for namespace, members in groups.items():
        panel = PANELS[namespace] if namespace in PANELS else Panel(namespace, order=80 if namespace != "other" else 85)
        if panel.split:
            layout += [(name, [name], panel) for name in members]
        else:
            layout.append((panel.title, members, panel))
    return sorted(layout, key=lambda item: (item[2].order, item[0]))


def panel_grid(count: int) -> tuple[Any, list[Any]]:
    """A figure of ``count`` panels, four to a row (the spare cells of the last row hidden).

    Returns:
        The :class:`matplotlib.figure.Figure` and its first ``count`` axes.
    """
    from matplotlib.figure import Figure  # the object-oriented API: no pyplot state, a notebook's backend left alone

    columns = min(4, count)
    rows = -(-count // columns)
    fig = Figure(figsize=(4.2 * columns, 3.3 * rows))
    axes = list(fig.subplots(rows, columns, squeeze=False).flat)
    for ax in axes[count:]:
        ax.axis("off")
    return fig, axes[:count]


@register_callback("learning-curves")
class LearningCurves(Callback):
    """Plot the learning curves to ``curves.png`` every ``every`` iterations and at the end.

    Every metric in the Trainer's :attr:`~ganlib.train.Trainer.history` is drawn, in one panel
    per namespace (see :func:`panel_layout`): losses, critic scores, accuracy, penalties, the
    scores of evaluation callbacks (FID, IS, each in its own panel), learning rates, and a
    panel for anything else. A metric reported on some iterations only (a lazy penalty, an
    evaluation) is drawn at those iterations, with markers when it is sparse. Raw values are
    drawn thin, with a moving average over ``smooth`` points on top. The figure is written
    atomically; drawing reads the host-side history and never the device.

    Args:
        run_dir: The run directory.
        every: Redraw every this many iterations.
        smooth: Window of the moving average (1: none).
        path: The figure's file (``run_dir/curves.png`` by default).
    """

    def __init__(self, run_dir: str | os.PathLike[str], every: PositiveInt = 50, smooth: PositiveInt = 10, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else Path(run_dir) / "curves.png"
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.smooth = check_int("smooth", smooth)
        self._history: History | None = None

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        self._history = trainer.history

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        if metrics.iteration % self.every == 0:
            self.draw()

    def on_fit_end(self, trainer: Loop) -> None:  # noqa: D102
        self.draw()

    def on_interrupt(self, trainer: Loop) -> None:
        """A run stopped by Ctrl-C or SIGTERM leaves the figure a finished one does."""
        self.draw()

    def history(self) -> dict[str, list[float]]:
        """The recorded metrics as columns, ``{"iteration": [...], name: [...]}`` (NaN where absent)."""
        if self._history is None:
            return {"iteration": []}
        self._history.flush()
        return {"iteration": list(self._history.iterations), **{k: list(v) for k, v in self._history.columns.items()}}

    def draw(self) -> Path | None:
        """Redraw the figure now.

        Returns:
            The figure's path, or ``None`` when nothing has been recorded yet.
        """
        # The object-oriented API draws without pyplot's global state, so the user's
        # interactive backend (a notebook, say) is left alone.
        import numpy as np

        history = self.history()
        x_all = np.asarray(history.pop("iteration"), dtype=float)
        names = [name for name, column in history.items() if np.isfinite(np.asarray(column, dtype=float)).any()]
        layout = panel_layout(names)
        if not layout:
            return None
        fig, axes = panel_grid(len(layout))
        for ax, (title, keys, panel) in zip(axes, layout, strict=False):
            for key in keys:
                y = np.asarray(history[key], dtype=float)
                present = np.isfinite(y)
                x, y = x_all[present], y[present]
                sparse = len(y) < 0.2 * len(x_all) or len(y) <= 30
                (line,) = ax.plot(x, y, lw=0.6 if not sparse else 1.2, alpha=0.35 if not sparse else 0.9, marker="o" if sparse else None, ms=3)
                if not sparse and self.smooth > 1 and len(y) >= self.smooth:
                    kernel = np.ones(self.smooth) / self.smooth
                    ax.plot(x[self.smooth - 1 :], np.convolve(y, kernel, mode="valid"), color=line.get_color(), lw=1.4, label=key)
                else:
                    line.set_label(key)
            if panel.log_scale:
                ax.set_yscale("log")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("generator iteration")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        write_atomically(self.path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
        return self.path

    @classmethod
    def from_log(cls, run_dir: str | os.PathLike[str], smooth: int = 10) -> LearningCurves:
        """Rebuild the curves of a run from its ``metrics.jsonl`` (to redraw an old run's
        figure with this version's panels, say; a 0.2 log's names are brought up to date).
        The log holds every ``--log-every``-th iteration, so the curves are as fine as the log.

        Args:
            run_dir: The run directory.
            smooth: Window of the moving average.

        Returns:
            A LearningCurves over the logged iterations; call :meth:`draw`.

        Raises:
            FileNotFoundError: If the run has no ``metrics.jsonl``.
        """
        from ganlib.train.callbacks.logger import HOST_KEYS, read_log

        curves = cls(run_dir, smooth=smooth)
        history = History(max_rows=10**9)
        for record in read_log(run_dir):
            values = {k: float(v) for k, v in record.items() if k not in HOST_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)}
            history.append(int(record["iteration"]), values)
        curves._history = history
        return curves
