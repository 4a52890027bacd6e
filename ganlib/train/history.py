"""The run's metrics on the host: one table, filled by one batched device-to-host copy per read.

Every iteration's :class:`~ganlib.train.Metrics` stays on the device until someone needs the
numbers. :class:`History` queues them (:meth:`History.add`, no synchronization) and converts
everything queued in **one** copy when a consumer asks (:meth:`History.flush`): the metrics
logger at its interval, the progress bar, the learning curves. The numbers are converted once
and shared, so three consumers cost one synchronization per interval, not three per iteration.

The table is bounded: past ``max_rows`` rows the oldest half is thinned by averaging
neighbouring rows, so a 100,000-iteration run keeps a few thousand points for its curves
(the full record is in ``metrics.jsonl``); what a checkpoint keeps of it is bounded by
``saved_rows``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from ganlib.train.metrics import Metrics

__all__ = ["History", "migrate_name"]

# Metric names of ganlib 0.2.0, before names had a namespace (``gp`` is now ``penalty/gp``).
_OLD_NAMES = {
    "critic_loss": "loss/critic",
    "generator_loss": "loss/generator",
    "d_real": "critic/d_real",
    "d_fake": "critic/d_fake",
    "acc_real": "accuracy/real",
    "acc_fake": "accuracy/fake",
    "wasserstein": "critic/wasserstein",
    "gp": "penalty/gp",
    "lp": "penalty/lp",
    "dragan": "penalty/dragan",
    "r1": "penalty/r1",
    "r2": "penalty/r2",
    "grad_norm": "penalty/grad_norm",
    "k": "began/k",
    "convergence": "began/convergence",
    "generator_d_fake": "generator/d_fake",
    "generator_pull_away": "generator/pull_away",
    "fid": "score/fid",
    "kid": "score/kid",
    "inception_score": "score/inception_score",
    "classes_covered": "score/classes_covered",
    "distance_to_curve": "score/distance_to_curve",
    "curve_coverage": "score/curve_coverage",
    "modes_covered": "score/modes_covered",
    "modes_share_5pct": "score/modes_share_5pct",
}


def migrate_name(name: str) -> str:
    """The namespaced name of a metric logged by ganlib 0.2.0 (others unchanged).

    Args:
        name: A metric's name as a log records it.

    Returns:
        The name of this version.

    Example:
        >>> migrate_name("gp"), migrate_name("critic_loss"), migrate_name("loss/critic")
        ('penalty/gp', 'loss/critic', 'loss/critic')
    """
    if name.startswith("generator_") and name not in _OLD_NAMES:
        return f"generator/{name[len('generator_'):]}"
    return _OLD_NAMES.get(name, name)


class History:
    """Every iteration's metrics as host-side columns, filled lazily.

    Args:
        max_rows: Rows kept before the oldest half is thinned (neighbours averaged).
        saved_rows: Rows a checkpoint keeps (the table thinned the same way).

    Example:
        >>> import torch
        >>> history = History()
        >>> history.add(Metrics(1, ("loss/critic",), torch.tensor([0.5])))
        >>> history.add(Metrics(2, ("loss/critic",), torch.tensor([0.25]), {"score/fid": 9.0}))
        >>> history.flush()
        2
        >>> history.column("loss/critic"), history.column("score/fid")
        ([0.5, 0.25], [nan, 9.0])
    """

    auto_flush = 256
    """Queued iterations that trigger a flush by themselves."""

    def __init__(self, max_rows: int = 20000, saved_rows: int = 2000) -> None:
        if max_rows < 4 or saved_rows < 2:
            raise ValueError(f"max_rows={max_rows} and saved_rows={saved_rows} are too small; expected at least 4 and 2")
        self.max_rows = max_rows
        self.saved_rows = saved_rows
        self._pending: list[Metrics] = []
        self.iterations: list[int] = []
        self.columns: dict[str, list[float]] = {}

    # --- filling -----------------------------------------------------------------------------

    def add(self, metrics: Metrics) -> None:
        """Queue one iteration's metrics (no synchronization, except one per ``auto_flush``
        iterations when nobody reads the history, so that the queue stays bounded).

        Args:
            metrics: The iteration's metrics, on the device.
        """
        self._pending.append(metrics)
        if len(self._pending) >= self.auto_flush:
            self.flush()

    @property
    def pending(self) -> int:
        """Iterations queued and not yet converted."""
        return len(self._pending)

    def flush(self) -> int:
        """Convert everything queued, in one device-to-host copy.

        Returns:
            The number of rows added.
        """
        if not self._pending:
            return 0
        pending, self._pending = self._pending, []
        device_values = [m.values.reshape(-1).float() for m in pending if m.values.numel()]
        flat = torch.cat(device_values).tolist() if device_values else []  # the one synchronization
        offset = 0
        for metrics in pending:
            count = len(metrics.names)
            row = dict(zip(metrics.names, flat[offset : offset + count], strict=True))
            offset += count
            row.update(metrics.extras)
            self.append(metrics.iteration, row)
        return len(pending)

    def append(self, iteration: int, row: Mapping[str, float]) -> None:
        """Add one row of host values (a name missing from it is NaN there).

        Args:
            iteration: The row's iteration.
            row: Named values.
        """
        length = len(self.iterations)
        for name in row:
            if name not in self.columns:
                self.columns[name] = [math.nan] * length
        for name, column in self.columns.items():
            value = row.get(name, math.nan)
            column.append(float(value) if value is not None else math.nan)
        self.iterations.append(int(iteration))
        if len(self.iterations) > self.max_rows:
            self._thin(self.max_rows // 2)

    def _thin(self, rows: int) -> None:
        """Halve the oldest ``rows`` rows by averaging neighbours (NaN-aware)."""
        rows -= rows % 2
        if rows < 2:
            return

        def pair_mean(a: float, b: float) -> float:
            values = [v for v in (a, b) if not math.isnan(v)]
            return sum(values) / len(values) if values else math.nan

        self.iterations = self.iterations[1:rows:2] + self.iterations[rows:]
        for name, column in self.columns.items():
            self.columns[name] = [pair_mean(column[i], column[i + 1]) for i in range(0, rows, 2)] + column[rows:]

    # --- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.iterations)

    def column(self, name: str) -> list[float]:
        """One metric's values, NaN where an iteration did not report it.

        Args:
            name: The metric's name.

        Returns:
            A list as long as :attr:`iterations`.
        """
        return list(self.columns.get(name, [math.nan] * len(self.iterations)))

    def rows_after(self, iteration: int) -> Iterator[tuple[int, dict[str, float]]]:
        """The rows after an iteration.

        Args:
            iteration: Rows with a larger iteration are yielded.

        Yields:
            ``(iteration, {name: value})``, NaN entries left out.
        """
        start = len(self.iterations)
        while start > 0 and self.iterations[start - 1] > iteration:
            start -= 1
        for index in range(start, len(self.iterations)):
            row = {name: column[index] for name, column in self.columns.items() if not math.isnan(column[index])}
            yield self.iterations[index], row

    def latest(self) -> dict[str, float]:
        """The newest value of every metric (not only of the newest row)."""
        values: dict[str, float] = {}
        for name, column in self.columns.items():
            for value in reversed(column):
                if not math.isnan(value):
                    values[name] = value
                    break
        return values

    def truncate_after(self, iteration: int) -> None:
        """Drop the rows after ``iteration`` (a resume from an earlier checkpoint).

        Args:
            iteration: The last iteration to keep.
        """
        keep = sum(1 for i in self.iterations if i <= iteration)
        self.iterations = self.iterations[:keep]
        self.columns = {name: column[:keep] for name, column in self.columns.items()}
        self._pending = [m for m in self._pending if m.iteration <= iteration]

    # --- checkpoints ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The table, flushed and thinned to at most ``saved_rows`` rows, as tensors."""
        self.flush()
        copy = History(max(self.max_rows, 4), self.saved_rows)
        copy.iterations, copy.columns = list(self.iterations), {k: list(v) for k, v in self.columns.items()}
        while len(copy.iterations) > self.saved_rows:
            copy._thin(len(copy.iterations))
        names = list(copy.columns)
        values = torch.tensor([copy.columns[n] for n in names], dtype=torch.float32).T if names else torch.empty(len(copy.iterations), 0)
        return {"iterations": torch.tensor(copy.iterations, dtype=torch.long), "names": names, "values": values}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a table saved by :meth:`state_dict`."""
        self._pending = []
        self.iterations = [int(i) for i in state["iterations"].tolist()]
        values = state["values"].reshape(len(self.iterations), -1)
        self.columns = {name: values[:, j].tolist() for j, name in enumerate(state["names"])}
