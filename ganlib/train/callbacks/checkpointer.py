"""Periodic, final and best checkpoints of a run, written atomically."""

from __future__ import annotations

import logging
import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlib._files import remove_orphans, write_atomically
from ganlib._validation import check_int
from ganlib.checkpoint import BEST, CHECKPOINT_DIR, LATEST
from ganlib.contract import NonNegativeInt, PositiveInt
from ganlib.metrics.registry import score_of
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.metrics import Metrics
    from ganlib.train.callback import Loop

log = logging.getLogger(__name__)

__all__ = ["Checkpointer"]


def _copy_atomically(source: Path, target: Path) -> None:
    write_atomically(target, lambda tmp: shutil.copyfile(source, tmp))


@register_callback("checkpointer")
class Checkpointer(Callback):
    """Save the Trainer's complete state every ``every`` iterations, at the end and on Ctrl-C.

    The newest state is always ``checkpoints/latest.pt``; with ``keep=K`` the last ``K``
    periodic checkpoints are also kept as ``checkpoints/iter_XXXXXX.pt`` (older ones that
    this run wrote are deleted; files it did not write are never touched). Writes are atomic
    (:meth:`Trainer.save_checkpoint`), and temporary files left by a save that was killed are
    removed at the next save (only those of processes that are gone, never through a
    symbolic link). When training stops with an error *between* iterations (in a callback,
    say), the state is consistent and is saved too; an error inside an iteration leaves the
    models partly updated, and nothing is saved; nor is anything saved once a NaN or infinity
    has been seen (the Trainer refuses to save then).

    With ``best="score/fid"`` (any score an evaluation callback reports, better in its declared
    direction: :func:`ganlib.metrics.register_score`) the state with the best score so far is
    kept as ``checkpoints/best.pt``, saved at the iteration that scored it; the best score is
    part of the callback's state, so a resumed run goes on comparing against it. Under
    multi-process training the score exists on rank 0 only, so the best state is considered at
    iterations that are both scored and checkpointed.

    Under multi-process training it runs on every rank (saving is collective) and rank 0
    writes; a failure on one rank saves nothing (the other ranks may be stuck in a collective).

    Args:
        run_dir: The run directory.
        every: Save every this many iterations.
        keep: Keep this many numbered periodic checkpoints besides ``latest.pt`` (0: none).
        best: The name of a score to keep the best state by, or ``None``.

    Raises:
        ValueError: If ``every`` is not positive or ``keep`` is negative.
    """

    all_ranks = True

    def __init__(self, run_dir: str | os.PathLike[str], every: PositiveInt = 100, keep: NonNegativeInt = 0, best: str | None = None) -> None:
        self.directory = Path(run_dir) / CHECKPOINT_DIR
        self.every = check_int("every", every, expected="a positive number of iterations")
        self.keep = check_int("keep", keep, minimum=0, expected="0 or a positive number of checkpoints")
        self.best = best
        self._higher = best is not None and score_of(best).higher_is_better
        self.best_score = -math.inf if self._higher else math.inf
        self.written: list[str] = []

    def save(self, trainer: Loop, numbered: bool = False) -> Path:
        """Save the Trainer's state now.

        Args:
            trainer: The Trainer to save.
            numbered: Also keep it under its iteration number (periodic saves, with ``keep``).

        Returns:
            The path of ``latest.pt``.
        """
        if trainer.is_main:
            remove_orphans(self.directory)
        if numbered and self.keep:
            name = f"iter_{trainer.iteration:06d}.pt"
            if name not in self.written:
                self.written.append(name)  # before saving, so that the saved state lists it
        latest = trainer.save_checkpoint(self.directory / LATEST)
        if numbered and self.keep and trainer.is_main:
            _copy_atomically(latest, self.directory / f"iter_{trainer.iteration:06d}.pt")
            self._prune()
        return latest

    def _prune(self) -> None:
        old, self.written = self.written[: -self.keep], self.written[-self.keep :]
        for name in old:
            path = self.directory / name
            if path.is_file() and not path.is_symlink():
                path.unlink()

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:  # noqa: D102
        periodic = metrics.iteration % self.every == 0
        score = metrics.extras.get(self.best, math.nan) if self.best is not None else math.nan
        better = score > self.best_score if self._higher else score < self.best_score
        improved = math.isfinite(score) and better and (trainer.distributed is None or periodic)
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
        state: dict[str, Any] = {"written": list(self.written)} if self.keep else {}
        if self.best is not None:
            state["best_score"] = self.best_score
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.best_score = float(state.get("best_score", -math.inf if self._higher else math.inf))
        self.written = [str(name) for name in state.get("written", [])]

    def on_fit_end(self, trainer: Loop) -> None:  # noqa: D102
        self.save(trainer)

    def on_interrupt(self, trainer: Loop) -> None:  # noqa: D102
        self.save(trainer)

    def on_exception(self, trainer: Loop, error: BaseException) -> None:  # noqa: D102
        if not trainer.in_iteration and trainer.iteration > 0 and trainer.distributed is None and trainer.healthy:
            path = self.save(trainer)
            log.warning("training stopped with an error after iteration %d; saved %s", trainer.iteration, path)
