"""Runs side by side: their curves overlaid on shared axes, their final values in one table.

A run is read from its directory: ``config.json`` (the settings), ``metrics.jsonl`` (every
logged iteration, names brought to this version's). Metrics are matched by name
(``loss/critic`` of one run is drawn with ``loss/critic`` of the others), one panel per name,
in the curves' panel order (:func:`~ganlib.train.callbacks.curves.panel_layout`). The table
names each run by its directory, gives the settings that differ between the runs, and each
shared metric's last logged value (for a score, its direction from its registration).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlib._files import write_atomically
from ganlib.train.callbacks.logger import HOST_KEYS, read_log

__all__ = ["RunRecord", "compare_table", "differing_settings", "draw_comparison", "final_values", "load_run", "load_runs", "shared_metrics"]

_NOT_SETTINGS = {"out", "resume", "plugins", "no_plugins", "command", "data_root", "download", "overwrite", "threads", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints"}
"""Keys of ``config.json`` that say where or how loudly a run ran, not what it trained."""

@dataclass
class RunRecord:
    """One run as read from its directory.

    Attributes:
        path: The run directory.
        label: Its name in figures and tables (the directory's name, made unique).
        settings: Its ``config.json``.
        records: Its ``metrics.jsonl``, one dict per logged iteration.
    """

    path: Path
    label: str
    settings: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)

    def column(self, name: str) -> tuple[list[int], list[float]]:
        """The iterations at which ``name`` was logged, and its values there."""
        xs, ys = [], []
        for record in self.records:
            value = record.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                xs.append(int(record["iteration"]))
                ys.append(float(value))
        return xs, ys

    @property
    def metrics(self) -> list[str]:
        """Every metric name the run logged, in the order first seen."""
        names: dict[str, None] = {}
        for record in self.records:
            names.update({k: None for k in record if k not in HOST_KEYS})
        return list(names)


def load_run(path: str | os.PathLike[str], label: str | None = None) -> RunRecord:
    """Read a run directory.

    Args:
        path: A directory written by ``python -m ganlib train`` (or a study's cell).
        label: Its name in figures and tables (the directory's name by default).

    Returns:
        The run.

    Raises:
        FileNotFoundError: If ``path`` holds no ``metrics.jsonl`` (it names the path).
        ValueError: If its ``config.json`` is not a JSON object.
    """
    run = Path(path)
    if not (run / "metrics.jsonl").is_file():
        raise FileNotFoundError(f"{run} is not a training run: it has no metrics.jsonl (give the directory that `train --out` wrote)")
    settings: dict[str, Any] = {}
    if (run / "config.json").is_file():
        settings = json.loads((run / "config.json").read_text())
        if not isinstance(settings, dict):
            raise ValueError(f"{run / 'config.json'} is not a JSON object")
    return RunRecord(run, label or run.name, settings, read_log(run))


def _unique_labels(runs: Sequence[RunRecord]) -> None:
    seen: dict[str, int] = {}
    for run in runs:
        if run.label in seen:
            run.label = f"{run.path.parent.name}/{run.label}" if run.path.parent.name else f"{run.label}-{seen[run.label] + 1}"
        seen[run.label] = seen.get(run.label, 0) + 1


def differing_settings(runs: Sequence[RunRecord]) -> list[str]:
    """The ``config.json`` keys whose values are not the same in every run (where and how
    loudly it ran left out), in the order of the first run's file."""
    keys = list(dict.fromkeys(k for run in runs for k in run.settings))
    return [k for k in keys if k not in _NOT_SETTINGS and len({json.dumps(run.settings.get(k), sort_keys=True) for run in runs}) > 1]


def shared_metrics(runs: Sequence[RunRecord]) -> list[str]:
    """The metric names logged by at least two of the runs (by the one run, if one is given),
    in the curves' panel order."""
    from ganlib.train.callbacks.curves import panel_layout

    counts: dict[str, int] = {}
    for run in runs:
        for name in run.metrics:
            counts[name] = counts.get(name, 0) + 1
    least = 1 if len(runs) == 1 else 2
    names = [name for name, count in counts.items() if count >= least]
    return [name for _, keys, _ in panel_layout(names) for name in keys]


def final_values(run: RunRecord, names: Sequence[str]) -> dict[str, float | None]:
    """The last logged value of each of ``names`` (``None`` where the run never logged it)."""
    out: dict[str, float | None] = {}
    for name in names:
        _, ys = run.column(name)
        out[name] = ys[-1] if ys else None
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def compare_table(runs: Sequence[RunRecord], metrics: Sequence[str] | None = None) -> str:
    """The runs as a Markdown table: label, iterations, the settings that differ, and each
    metric's last value.

    Args:
        runs: The runs.
        metrics: The metrics to give (default: the scores ``score/*`` they share, else every
            shared metric).

    Returns:
        The table, one line per run under its header.
    """
    shared = shared_metrics(runs)
    if metrics is None:
        scores = [m for m in shared if m.startswith("score/")]
        metrics = scores or shared
    differ = differing_settings(runs)
    header = ["run", "iterations", *differ, *metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        last = run.records[-1]["iteration"] if run.records else 0
        finals = final_values(run, metrics)
        cells = [run.label, str(last), *(_cell(run.settings.get(k)) for k in differ), *(_cell(finals[m]) for m in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def draw_comparison(runs: Sequence[RunRecord], path: str | os.PathLike[str], metrics: Sequence[str] | None = None, smooth: int = 1) -> Path:
    """Overlay the runs' curves, one panel per metric, each run in its own colour.

    Args:
        runs: The runs.
        path: The PNG to write (atomically).
        metrics: The metrics to draw (default: :func:`shared_metrics`).
        smooth: Window of a moving average drawn over the raw values (1: the raw values only).

    Returns:
        The figure's path.

    Raises:
        ValueError: If there is no metric to draw.
    """
    import numpy as np

    from ganlib.train.callbacks.curves import panel_grid

    names = list(metrics) if metrics is not None else shared_metrics(runs)
    if not names:
        raise ValueError("the runs share no logged metric to draw; compare runs that logged something in common")
    fig, axes = panel_grid(len(names))
    colours = [f"C{i % 10}" for i in range(len(runs))]
    for ax, name in zip(axes, names, strict=True):
        for run, colour in zip(runs, colours, strict=True):
            xs, ys = run.column(name)
            if not ys:
                continue
            sparse = len(ys) <= 30
            if smooth > 1 and len(ys) >= smooth and not sparse:
                ax.plot(xs, ys, color=colour, lw=0.6, alpha=0.3)
                kernel = np.ones(smooth) / smooth
                ax.plot(xs[smooth - 1:], np.convolve(ys, kernel, mode="valid"), color=colour, lw=1.4, label=run.label)
            else:
                ax.plot(xs, ys, color=colour, lw=1.2, marker="o" if sparse else None, ms=3, label=run.label)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("generator iteration")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(path)
    write_atomically(out, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    return out


def load_runs(paths: Sequence[str | os.PathLike[str]]) -> list[RunRecord]:
    """Read several run directories, with labels made unique."""
    runs = [load_run(p) for p in paths]
    _unique_labels(runs)
    return runs
