"""Callbacks: logging, progress, sample grids, learning curves and checkpoints.

They plug into :class:`~ganlib.train.Trainer` and keep the loop free of I/O. None of them
synchronizes with the device more often than its ``every`` interval asks: they keep the
per-iteration metric tensors and convert them in one batch when they write.

A run directory produced by the flagship example and these callbacks looks like::

    run/
      config.json            the run's arguments
      metrics.jsonl          one JSON object per iteration (MetricsLogger)
      tensorboard/           TensorBoard event files (MetricsLogger)
      curves.png             learning curves (LearningCurves)
      samples/iter_000100.png, samples/latest.png   fixed-noise grids (SampleGrid)
      checkpoints/latest.pt  the newest checkpoint (Checkpointer)
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
import warnings
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor
from torchvision.utils import make_grid, save_image
from tqdm.auto import tqdm

from ganlib._validation import check_int
from ganlib.checkpoint import BEST, CHECKPOINT_DIR, LATEST
from ganlib.train.metrics import Metrics, finite_or_none
from ganlib.train.trainer import Callback, Trainer

log = logging.getLogger(__name__)

__all__ = [
    "Checkpointer",
    "TimeBudget",
    "grid_labels",
    "LearningCurves",
    "MetricsLogger",
    "ProgressBar",
    "SampleGrid",
    "generate_samples",
    "standard_callbacks",
]


def _check_every(every: int) -> int:
    return check_int("every", every, expected="a positive number of iterations")


@torch.no_grad()
def generate_samples(generator: torch.nn.Module, noise: Tensor, batch_size: int = 256, labels: Tensor | None = None) -> Tensor:
    """Generate samples in eval mode without side effects, restoring the generator's mode.

    Args:
        generator: Maps ``(N, latent_dim)`` (and labels, when conditional) to samples.
        noise: Noise of shape ``(N, latent_dim)`` on the generator's device.
        batch_size: Largest chunk passed to the generator at once.
        labels: Class labels ``(N,)`` for a conditional generator, else ``None``.

    Returns:
        Samples of shape ``(N, *)``, on the generator's device.
    """
    was_training = generator.training
    generator.eval()
    try:
        if labels is None:
            return torch.cat([generator(chunk) for chunk in noise.split(batch_size)])
        return torch.cat([generator(z, y) for z, y in zip(noise.split(batch_size), labels.to(noise.device).split(batch_size), strict=True)])
    finally:
        generator.train(was_training)


def grid_labels(trainer: Trainer, num: int) -> Tensor | None:
    """The labels a sample grid uses: every class in turn.

    Args:
        trainer: The Trainer whose generator is sampled.
        num: How many samples the grid holds.

    Returns:
        Labels ``0, 1, ..., K-1, 0, 1, ...`` (``num`` of them, on the CPU) for a conditional
        Trainer, else ``None``.
    """
    if not trainer.conditional:
        return None
    classes = int(getattr(trainer.generator, "num_classes"))  # noqa: B009 - conditional generators have it
    return torch.arange(num) % classes


class MetricsLogger(Callback):
    """Write every iteration's metrics to JSON Lines and TensorBoard.

    Each record holds ``iteration``, every metric of the iteration (the objective's terms,
    the losses, the accuracies, the gradient norm at the interpolates for WGAN-GP),
    ``it_per_s`` (averaged since the previous write) and ``wall_time`` (seconds of training
    in this run, resumed runs continuing the count). Records are buffered and written every
    ``every`` iterations, with one device synchronization per write.

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

    def __init__(self, run_dir: str | os.PathLike[str], every: int = 10, tensorboard: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.every = _check_every(every)
        self.tensorboard = tensorboard
        self.path = self.run_dir / "metrics.jsonl"
        self._pending: list[Metrics] = []
        self._wall_time = 0.0
        self._last_time = 0.0
        self._writer: Any = None

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._truncate_after(trainer.iteration)
        if self.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=trainer.iteration + 1)
        self._last_time = time.perf_counter()

    def _truncate_after(self, iteration: int) -> None:
        if not self.path.exists():
            return
        kept = []
        with self.path.open() as handle:
            lines = handle.readlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):
                    warnings.warn(f"{self.path}: dropped a torn last line (a write cut short by a crash)", RuntimeWarning, stacklevel=2)
                    continue
                raise ValueError(f"{self.path}, line {number}, is not valid JSON; fix or remove that line to resume") from None
            if record.get("iteration", 0) <= iteration:
                kept.append(line if line.endswith("\n") else line + "\n")
        tmp = self.path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(kept))
        os.replace(tmp, self.path)

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:  # noqa: D102
        self._pending.append(metrics)
        if len(self._pending) >= self.every:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        now = time.perf_counter()
        elapsed = now - self._last_time
        self._last_time = now
        speed = len(self._pending) / elapsed if elapsed > 0 else math.nan
        flat = torch.cat([m.values.reshape(-1) for m in self._pending]).tolist()  # one sync for all
        start_wall = self._wall_time
        offset = 0
        lines = []
        for k, metrics in enumerate(self._pending, start=1):
            row = flat[offset : offset + len(metrics.names)]
            offset += len(metrics.names)
            record = {"iteration": metrics.iteration, **dict(zip(metrics.names, row, strict=True)), **metrics.extras}
            record.update(it_per_s=speed, wall_time=start_wall + elapsed * k / len(self._pending))
            lines.append(json.dumps({key: finite_or_none(v) if isinstance(v, float) else v for key, v in record.items()}) + "\n")
            if self._writer is not None:
                for name, value in record.items():
                    if name != "iteration":
                        self._writer.add_scalar(name, value, metrics.iteration)
        with self.path.open("a") as handle:
            handle.write("".join(lines))
        self._wall_time += elapsed
        self._pending.clear()
        if self._writer is not None:
            self._writer.flush()

    def on_save_checkpoint(self, trainer: Trainer) -> None:  # noqa: D102
        self._flush()

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        self._close()

    def on_interrupt(self, trainer: Trainer) -> None:  # noqa: D102
        self._close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:  # noqa: D102
        self._close()

    def _close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"wall_time": self._wall_time}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self._wall_time = float(state["wall_time"])


class ProgressBar(Callback):
    """A tqdm progress bar over generator iterations, showing the current metrics.

    Args:
        every: Refresh the metrics shown on the bar every this many iterations.
        print_every: Also print a full line of metrics every this many iterations (kept in
            logs where the bar itself is overwritten); 0 disables it.
        keys: Metrics to show; those absent from an objective's terms are skipped.
    """

    def __init__(
        self,
        every: int = 1,
        print_every: int = 0,
        keys: tuple[str, ...] = ("critic_loss", "generator_loss", "wasserstein", "gp", "acc_real", "acc_fake"),
    ) -> None:
        self.every = _check_every(every)
        self.print_every = check_int("print_every", print_every, minimum=0, expected="0 (off) or a positive integer")
        self.keys = keys
        self._bar: Any = None

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        self._bar = tqdm(total=trainer.max_iterations, initial=trainer.iteration, unit="it", dynamic_ncols=True)

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:  # noqa: D102
        self._bar.update(1)
        show = metrics.iteration % self.every == 0
        say = self.print_every and metrics.iteration % self.print_every == 0
        if not (show or say):
            return
        values = metrics.to_dict()
        shown = {k: f"{values[k]:.3g}" for k in self.keys if k in values}
        if show:
            self._bar.set_postfix(shown, refresh=False)
        if say:
            self._bar.write(f"iter {metrics.iteration:6d}  " + "  ".join(f"{k}={v}" for k, v in shown.items()))

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        self._close()

    def on_interrupt(self, trainer: Trainer) -> None:  # noqa: D102
        self._close()

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:  # noqa: D102
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class SampleGrid(Callback):
    """Save a grid of samples from fixed noise every ``every`` iterations and at the end.

    Grids go to ``samples/iter_XXXXXX.png`` and ``samples/latest.png`` (torchvision's
    :func:`~torchvision.utils.save_image`). The noise is drawn once from ``seed`` and kept in
    the callback's state, so the grids of a run, resumed or not, all show the same latent
    points. Samples come from :attr:`Trainer.sampling_generator` (the EMA when present) in
    eval mode. For a conditional generator each column is one class.

    Args:
        run_dir: The run directory.
        every: Save every this many iterations.
        num: Number of samples in the grid.
        nrow: Samples per grid row.
        seed: Seed of the fixed noise.
    """

    def __init__(self, run_dir: str | os.PathLike[str], every: int = 50, num: int = 64, nrow: int = 8, seed: int = 1234) -> None:
        self.directory = Path(run_dir) / "samples"
        self.every = _check_every(every)
        self.num = num
        self.nrow = nrow
        self.seed = seed
        self._noise: Tensor | None = None

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._noise is None:
            rng = torch.Generator().manual_seed(self.seed)
            self._noise = torch.randn(self.num, trainer.latent_dim, generator=rng)

    def save(self, trainer: Trainer) -> Path:
        """Save the grid for the current iteration now.

        Args:
            trainer: The Trainer whose sampling generator draws the grid.

        Returns:
            The numbered grid's path.
        """
        assert self._noise is not None, "on_fit_start has not run"
        labels = grid_labels(trainer, self.num)
        images = generate_samples(trainer.sampling_generator, self._noise.to(trainer.device), labels=labels)
        nrow = self.nrow if labels is None else int(labels.max()) + 1
        grid = make_grid(images, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
        path = self.directory / f"iter_{trainer.iteration:06d}.png"
        save_image(grid, path)
        save_image(grid, self.directory / "latest.png")
        return path

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:  # noqa: D102
        if metrics.iteration % self.every == 0:
            self.save(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        if trainer.iteration % self.every != 0:
            self.save(trainer)

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"noise": self._noise}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self._noise = state["noise"]


_CURVE_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("losses", ("critic_loss", "generator_loss")),
    ("Wasserstein estimate", ("wasserstein",)),
    ("penalties", ("gp", "lp", "dragan", "r1", "r2", "grad_norm")),
    ("critic accuracy", ("acc_real", "acc_fake")),
    ("BEGAN: convergence M and k", ("convergence", "k")),
    ("pulling-away term", ("generator_pull_away",)),
)


_EXTRA_PANELS: tuple[tuple[str, str], ...] = (
    ("FID (MNIST classifier)", "fid"),
    ("Inception Score (MNIST)", "inception_score"),
    ("mean distance to the curve", "distance_to_curve"),
    ("modes covered", "modes_covered"),
)


class LearningCurves(Callback):
    """Plot the learning curves to ``curves.png`` every ``every`` iterations and at the end.

    Panels, each drawn only when the run reports its metrics: the critic and generator
    losses; the Wasserstein estimate; the penalties (``gp``, ``lp``, ``dragan``, ``r1``,
    ``r2``) and the mean gradient norm at the penalty's points; the critic's accuracy on real
    and on fake; and, when an evaluation callback measures them, FID and the Inception Score.
    A metric reported on some iterations only (a lazy penalty) is drawn at those iterations.
    Raw values are drawn thin, with a moving average over ``smooth`` points on top.

    Args:
        run_dir: The run directory.
        every: Redraw every this many iterations.
        smooth: Window of the moving average (1 disables it).
    """

    def __init__(self, run_dir: str | os.PathLike[str], every: int = 50, smooth: int = 10) -> None:
        self.path = Path(run_dir) / "curves.png"
        self.every = _check_every(every)
        self.smooth = _check_every(smooth)
        self._records: list[Metrics] = []
        self._extras: dict[str, list[tuple[int, float]]] = {}

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:  # noqa: D102
        self._records.append(metrics)
        for name, value in metrics.extras.items():
            self._extras.setdefault(name, []).append((metrics.iteration, value))
        if metrics.iteration % self.every == 0:
            self.draw()

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        self.draw()

    def history(self) -> dict[str, list[float]]:
        """The recorded device metrics as columns, ``{"iteration": [...], name: [...]}``.

        A metric missing from an iteration is NaN there. One device synchronization.
        """
        names: dict[str, None] = {}
        for record in self._records:
            names.update(dict.fromkeys(record.names))
        flat = torch.cat([r.values.reshape(-1).float().cpu() for r in self._records]).tolist() if self._records else []
        columns: dict[str, list[float]] = {name: [math.nan] * len(self._records) for name in names}
        offset = 0
        for row, record in enumerate(self._records):
            for name in record.names:
                columns[name][row] = flat[offset]
                offset += 1
        return {"iteration": [r.iteration for r in self._records], **columns}

    def draw(self) -> Path | None:
        """Redraw the figure now.

        Returns:
            The figure's path, or ``None`` when nothing has been recorded yet.
        """
        # The object-oriented API draws without pyplot's global state, so the user's
        # interactive backend (a notebook, say) is left alone.
        import numpy as np
        from matplotlib.figure import Figure

        history = self.history()
        panels = [(t, [k for k in keys if k in history]) for t, keys in _CURVE_PANELS]
        panels = [(t, keys) for t, keys in panels if keys]
        panels += [(title, [key]) for title, key in _EXTRA_PANELS if key in self._extras]
        if not panels:
            return None
        fig = Figure(figsize=(4.2 * len(panels), 3.4))
        axes = fig.subplots(1, len(panels), squeeze=False)
        x_all = np.asarray(history["iteration"])
        for ax, (title, keys) in zip(axes[0], panels, strict=True):
            if keys[0] in self._extras:
                points = np.asarray(self._extras[keys[0]])
                ax.plot(points[:, 0], points[:, 1], marker="o", lw=1.2, label=keys[0])
                keys = []
            for key in keys:
                y = np.asarray(history[key], dtype=float)
                present = np.isfinite(y)
                x, y = x_all[present], y[present]
                (line,) = ax.plot(x, y, lw=0.6, alpha=0.35)
                if self.smooth > 1 and len(y) >= self.smooth:
                    kernel = np.ones(self.smooth) / self.smooth
                    ax.plot(x[self.smooth - 1 :], np.convolve(y, kernel, mode="valid"), color=line.get_color(), lw=1.4, label=key)
                else:
                    line.set_label(key)
            ax.set_title(title)
            ax.set_xlabel("generator iteration")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp.png")
        fig.savefig(tmp, dpi=90)
        os.replace(tmp, self.path)
        return self.path

    @classmethod
    def from_log(cls, run_dir: str | os.PathLike[str], smooth: int = 10) -> LearningCurves:
        """Rebuild the curves of a run from its ``metrics.jsonl`` (to redraw an old run's
        figure with this version's panels, say). The log holds every ``--log-every``-th
        iteration, so the curves are as fine as the log.

        Args:
            run_dir: The run directory.
            smooth: Window of the moving average.

        Returns:
            A LearningCurves over the logged iterations; call :meth:`draw`.

        Raises:
            FileNotFoundError: If the run has no ``metrics.jsonl``.
        """
        curves = cls(run_dir, smooth=smooth)
        log = Path(run_dir) / "metrics.jsonl"
        if not log.is_file():
            raise FileNotFoundError(f"{log} does not exist; is {run_dir} a run directory?")
        host_only = {"iteration", "it_per_s", "wall_time"}
        extra_keys = {key for _, key in _EXTRA_PANELS} | {"kid", "classes_covered", "curve_coverage"}
        for line in log.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a torn last line
                continue
            values = {k: v for k, v in record.items() if k not in host_only and isinstance(v, (int, float))}
            names = tuple(k for k in values if k not in extra_keys)
            metrics = Metrics(int(record["iteration"]), names, torch.tensor([float(values[n]) for n in names]))
            curves._records.append(metrics)
            for key in extra_keys & values.keys():
                curves._extras.setdefault(key, []).append((metrics.iteration, float(values[key])))
        return curves

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        history = self.history()
        iterations = history.pop("iteration")
        names = list(history)
        rows = torch.tensor([history[n] for n in names], dtype=torch.float32).T if names else torch.empty(len(iterations), 0)
        extras = {k: [list(p) for p in v] for k, v in self._extras.items()}
        return {"names": names, "iterations": torch.tensor(iterations, dtype=torch.long), "rows": rows, "extras": extras}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        names = tuple(state["names"])
        self._records = []
        for iteration, row in zip(state["iterations"].tolist(), state["rows"].reshape(len(state["iterations"]), -1), strict=True):
            present = torch.isfinite(row)
            kept = tuple(n for n, p in zip(names, present.tolist(), strict=True) if p)
            self._records.append(Metrics(int(iteration), kept, row[present].clone()))
        self._extras = {k: [(int(i), float(v)) for i, v in points] for k, points in state.get("extras", {}).items()}


def _copy_atomically(source: Path, target: Path) -> None:
    # Through a hidden temporary beside the target (cleaned up by the next save if killed).
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


class Checkpointer(Callback):
    """Save the Trainer's complete state every ``every`` iterations, at the end and on Ctrl-C.

    The newest state is always ``checkpoints/latest.pt``; with ``keep=K`` the last ``K``
    periodic checkpoints are also kept as ``checkpoints/iter_XXXXXX.pt`` (older ones are
    deleted). Writes are atomic (:meth:`Trainer.save_checkpoint`), and temporary files left by
    a save that was killed are removed at the next save. When training stops with an error
    *between* iterations (in a callback, say), the state is consistent and is saved too; an
    error inside an iteration leaves the models partly updated, and nothing is saved; nor is
    anything saved once a NaN or infinity has been seen (the Trainer refuses to save then).

    With ``best="fid"`` (any score an evaluation callback reports, lower being better) the
    state with the best score so far is kept as ``checkpoints/best.pt``, saved at the iteration
    that scored it; the best score is part of the callback's state, so a resumed run goes on
    comparing against it. Under multi-process training the score exists on rank 0 only, so the
    best state is considered at iterations that are both scored and checkpointed.

    Under multi-process training it runs on every rank (saving is collective) and rank 0
    writes; a failure on one rank saves nothing (the other ranks may be stuck in a collective).

    Args:
        run_dir: The run directory.
        every: Save every this many iterations.
        keep: Keep this many numbered periodic checkpoints besides ``latest.pt`` (0: none).
        best: The name of a score to keep the best state by (lower is better), or ``None``.

    Raises:
        ValueError: If ``every`` is not positive or ``keep`` is negative.
    """

    all_ranks = True

    def __init__(self, run_dir: str | os.PathLike[str], every: int = 100, keep: int = 0, best: str | None = None) -> None:
        self.directory = Path(run_dir) / CHECKPOINT_DIR
        self.every = _check_every(every)
        self.keep = check_int("keep", keep, minimum=0, expected="0 or a positive number of checkpoints")
        self.best = best
        self.best_score = math.inf

    def save(self, trainer: Trainer, numbered: bool = False) -> Path:
        """Save the Trainer's state now.

        Args:
            trainer: The Trainer to save.
            numbered: Also keep it under its iteration number (periodic saves, with ``keep``).

        Returns:
            The path of ``latest.pt``.
        """
        if trainer.is_main and self.directory.is_dir():
            for orphan in self.directory.glob(".*.tmp"):  # left by a save that was killed
                orphan.unlink(missing_ok=True)
        latest = trainer.save_checkpoint(self.directory / LATEST)
        if numbered and self.keep and trainer.is_main:
            _copy_atomically(latest, self.directory / f"iter_{trainer.iteration:06d}.pt")
            for old in sorted(self.directory.glob("iter_*.pt"))[: -self.keep]:
                old.unlink()
        return latest

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:  # noqa: D102
        periodic = metrics.iteration % self.every == 0
        score = metrics.extras.get(self.best, math.nan) if self.best is not None else math.nan
        improved = math.isfinite(score) and score < self.best_score and (trainer.distributed is None or periodic)
        if improved:
            self.best_score = score  # before saving, so that the saved state knows it
        if periodic:
            self.save(trainer, numbered=True)
        if not improved:
            return
        best = self.directory / BEST
        if not periodic:  # single process only (see above)
            trainer.save_checkpoint(best)
        elif trainer.is_main:  # the state was just saved: copy it (under DDP rank 0 alone holds the score)
            _copy_atomically(self.directory / LATEST, best)
        log.info("iteration %d: best %s so far (%.4g), saved %s", metrics.iteration, self.best, score, best)

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {} if self.best is None else {"best_score": self.best_score}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.best_score = float(state.get("best_score", math.inf))

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        self.save(trainer)

    def on_interrupt(self, trainer: Trainer) -> None:  # noqa: D102
        self.save(trainer)

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:  # noqa: D102
        if not trainer.in_iteration and trainer.iteration > 0 and trainer.distributed is None and trainer.healthy:
            path = self.save(trainer)
            log.warning("training stopped with an error after iteration %d; saved %s", trainer.iteration, path)


class TimeBudget(Callback):
    """Stop training once ``seconds`` of training time have passed (resumed runs count on).

    Training time is the time spent in :meth:`Trainer.fit`, summed over resumes (it is saved in
    checkpoints); the iteration that crosses the budget finishes, and ``fit`` returns as if
    it had reached its iteration count (:meth:`~Callback.on_fit_end` runs, the checkpoint
    callback saves). Comparing runs at equal wall time, rather than equal iterations, is how
    a user with a fixed budget should compare objectives.

    Args:
        seconds: The budget.

    Raises:
        ValueError: If ``seconds`` is not positive.
    """

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds={seconds!r} is invalid; expected a positive time budget")
        self.seconds = float(seconds)
        self._spent = 0.0
        self._start = 0.0

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        self._start = time.perf_counter()

    def measure(self, trainer: Trainer) -> Mapping[str, float]:
        """End training when the budget is spent.

        It decides here, before any callback's ``on_iteration_end``, so that an evaluation
        callback placed after it scores the final iteration.

        Args:
            trainer: The Trainer.

        Returns:
            Nothing to report.
        """
        if self.spent >= self.seconds:
            trainer.max_iterations = trainer.iteration
        return {}

    @property
    def spent(self) -> float:
        """Seconds of training so far, this run and the resumed ones."""
        return self._spent + time.perf_counter() - self._start

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"spent": self.spent}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self._spent = float(state["spent"])


def standard_callbacks(
    run_dir: str | os.PathLike[str],
    *,
    log_every: int = 10,
    sample_every: int = 25,
    checkpoint_every: int = 50,
    keep_checkpoints: int = 0,
    evaluation: Callback | None = None,
    seed: int = 0,
) -> list[Callback]:
    """The usual set of callbacks for a run directory, in order.

    :class:`MetricsLogger`, :class:`ProgressBar` (metrics shown and printed every
    ``log_every`` iterations, so watching costs one device sync per ``log_every``),
    :class:`SampleGrid`, :class:`LearningCurves` and :class:`Checkpointer`, after the
    ``evaluation`` callback if one is given (e.g. :class:`~ganlib.metrics.EvaluateMNIST`;
    its scores reach the others through :meth:`Callback.measure` in any order).

    Args:
        run_dir: The run directory.
        log_every: Metrics written and printed every this many iterations.
        sample_every: Sample grid and curves every this many iterations.
        checkpoint_every: Checkpoint every this many iterations.
        keep_checkpoints: Also keep the last this many periodic checkpoints.
        evaluation: An evaluation callback, or ``None``.
        seed: Seed of the grid's fixed noise (``seed + 1`` is used).

    Returns:
        The callbacks.
    """
    return [
        *([evaluation] if evaluation is not None else []),
        MetricsLogger(run_dir, every=log_every),
        ProgressBar(every=log_every, print_every=log_every),
        SampleGrid(run_dir, every=sample_every, seed=seed + 1),
        LearningCurves(run_dir, every=sample_every),
        Checkpointer(run_dir, every=checkpoint_every, keep=keep_checkpoints, best=getattr(evaluation, "best_by", None)),
    ]
