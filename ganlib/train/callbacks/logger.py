"""The metrics log: JSON Lines and TensorBoard, written from the run's history."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlib._files import write_text_atomically
from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.train.callback import Callback, register_callback
from ganlib.train.history import migrate_name
from ganlib.train.metrics import finite_or_none

if TYPE_CHECKING:
    from ganlib.train.metrics import Metrics
    from ganlib.train.callback import Loop

__all__ = ["MetricsLogger", "read_log"]

HOST_KEYS = ("iteration", "it_per_s", "wall_time")
"""Keys of a log record that the logger adds (not metrics of the run)."""


def _json_lines(path: Path, lines: list[str], *, advice: str, warn: bool = False) -> Iterator[tuple[int, str, Any]]:
    """``(number, line, record)`` for each non-blank line of a JSON Lines file; a torn last line
    (a write cut short by a crash) is skipped (with a warning when ``warn``), any other bad line
    is named."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                if warn:
                    warnings.warn(f"{path}: dropped a torn last line (a write cut short by a crash)", RuntimeWarning, stacklevel=3)
                continue
            raise ValueError(f"{path}, line {number}, is not valid JSON; fix or remove that line{advice}") from None
        yield number, line, record


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a ``metrics.jsonl``, names brought to this version's (``gp`` becomes ``penalty/gp``).

    A torn last line (a write cut short by a crash) is skipped.

    Args:
        path: The log file, or a run directory.

    Returns:
        The records, in order.

    Raises:
        FileNotFoundError: If there is no log.
        ValueError: If a line other than the last is not valid JSON (its number is given).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; is {path.parent} a run directory?")
    records = []
    for number, _, record in _json_lines(path, path.read_text().splitlines(keepends=True), advice=""):
        if not isinstance(record, dict):
            raise ValueError(f"{path}, line {number}, is not a JSON object")
        records.append({(k if k in HOST_KEYS else migrate_name(k)): v for k, v in record.items()})
    return records


@register_callback("metrics-logger")
class MetricsLogger(Callback):
    """Write every iteration's metrics to JSON Lines and TensorBoard.

    Each record holds ``iteration``, every metric of the iteration (the objective's terms,
    ``loss/critic``, ``penalty/gp``, ``accuracy/real`` ...; the scores of evaluation callbacks,
    ``score/fid`` ...), ``it_per_s`` (averaged since the previous write) and ``wall_time``
    (seconds of training, resumed runs continuing the count). Records are written every
    ``every`` iterations from the Trainer's :attr:`~ganlib.train.Trainer.history`, which
    converts the device values in one copy (shared with the progress bar and the curves).

    Pending records are also written before every checkpoint and when training stops with
    an error, so the log always reaches at least the newest checkpoint. On resume, records
    past the resumed iteration (written after the last checkpoint by a run that then crashed)
    are dropped from ``metrics.jsonl`` and purged from TensorBoard, so the history never
    holds two versions of an iteration; a torn last line (a crash in the middle of a write)
    is dropped with a warning. The file is strict JSON: a non-finite value is written as
    ``null``.

    Args:
        run_dir: The run directory; writes ``metrics.jsonl`` and ``tensorboard/`` there.
        every: Write every this many iterations (and at the end).
        tensorboard: Also write TensorBoard events with
            :class:`torch.utils.tensorboard.SummaryWriter`.
    """

    def __init__(self, run_dir: str | os.PathLike[str], every: PositiveInt = 10, tensorboard: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.tensorboard = tensorboard
        self.path = self.run_dir / "metrics.jsonl"
        self._writer: Any = None
        self._written = 0
        self._wall = 0.0

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._truncate_after(trainer.iteration)
        if self.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=trainer.iteration + 1)
        self._written = trainer.iteration
        self._wall = trainer.time_spent

    def _truncate_after(self, iteration: int) -> None:
        if not self.path.exists():
            return
        lines = self.path.read_text().splitlines(keepends=True)
        kept = []
        for _, line, record in _json_lines(self.path, lines, advice=" to resume", warn=True):
            if isinstance(record, dict) and record.get("iteration", 0) <= iteration:
                kept.append(line if line.endswith("\n") else line + "\n")
        write_text_atomically(self.path, "".join(kept))

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        if metrics.iteration % self.every == 0:
            self._flush(trainer)

    def _flush(self, trainer: Loop) -> None:
        trainer.history.flush()
        rows = list(trainer.history.rows_after(self._written))
        if not rows:
            return
        wall = trainer.time_spent
        elapsed = wall - self._wall
        speed = len(rows) / elapsed if elapsed > 0 else math.nan
        lines = []
        for k, (iteration, values) in enumerate(rows, start=1):
            record = {"iteration": iteration, **values, "it_per_s": speed, "wall_time": self._wall + elapsed * k / len(rows)}
            lines.append(json.dumps({key: finite_or_none(v) if isinstance(v, float) else v for key, v in record.items()}) + "\n")
            if self._writer is not None:
                for name, value in values.items():
                    self._writer.add_scalar(name, value, iteration)
        with self.path.open("a") as handle:
            handle.write("".join(lines))
        self._written = rows[-1][0]
        self._wall = wall
        if self._writer is not None:
            self._writer.flush()

    def on_save_checkpoint(self, trainer: Loop) -> None:  # noqa: D102
        self._flush(trainer)

    def on_fit_end(self, trainer: Loop) -> None:  # noqa: D102
        self._close(trainer)

    def on_interrupt(self, trainer: Loop) -> None:  # noqa: D102
        self._close(trainer)

    def on_exception(self, trainer: Loop, error: BaseException) -> None:  # noqa: D102
        self._close(trainer)

    def _close(self, trainer: Loop) -> None:
        self._flush(trainer)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
